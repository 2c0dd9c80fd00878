// A small persistent thread pool: big batches are split into tasks that the calling thread and
// the pool's workers pull from a shared counter; small batches never touch it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ns3ts {

class ThreadPool {
 public:
  /** The process-wide pool (hardware_concurrency - 1 workers, created on first use). */
  static ThreadPool& instance();

  explicit ThreadPool(int workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /** Threads a job can use: the workers plus the calling thread. */
  int capacity() const { return static_cast<int>(workers_.size()) + 1; }

  /**
   * Runs fn(task, slot) for task in [0, tasks) on at most maxThreads threads (0 = all) and returns
   * when all are done. slot in [0, threads) identifies the thread (for per-thread scratch). fn must
   * not throw. Jobs from different callers are serialized.
   */
  void run(int tasks, int maxThreads, const std::function<void(int task, int slot)>& fn);

 private:
  void workerLoop(int index);
  void drain(int slot);

  std::vector<std::thread> workers_;
  std::mutex jobMutex_;  // one job at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int, int)>* fn_ = nullptr;
  std::atomic<int> next_{0};
  int tasks_ = 0;
  int helpers_ = 0;  // workers taking part in the current job
  int busy_ = 0;     // helpers not finished yet
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  // Mirrors of generation_ and busy_ that threads may read without the mutex, so that a worker
  // that has just finished a job, and a caller waiting for its helpers, can spin for a few
  // microseconds before sleeping (see kSpinMicros in thread_pool.cc).
  std::atomic<std::uint64_t> publishedGeneration_{0};
  std::atomic<int> pendingHelpers_{0};
};

}  // namespace ns3ts
