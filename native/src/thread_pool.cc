#include "thread_pool.h"

#include <algorithm>
#include <chrono>

namespace ns3ts {

namespace {

// How long a worker that finished a job keeps polling for the next one, and how long a caller
// polls for its helpers, before blocking on a condition variable. Waking a sleeping thread costs
// tens of microseconds on a VM, as much as a whole 64-row call through 256-wide layers: without the
// spin, batch 64 on two threads was slower than on one (bench:inference). Bounded, so an idle
// process still sleeps, and short enough not to matter on a loaded machine.
constexpr auto kSpinMicros = std::chrono::microseconds(60);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Polls done() for at most kSpinMicros; true when it became true.
template <typename Done>
bool spinUntil(Done done) {
  const auto until = std::chrono::steady_clock::now() + kSpinMicros;
  for (int i = 0;; i++) {
    if (done()) return true;
    cpuRelax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() >= until) return false;
  }
}

}  // namespace

ThreadPool& ThreadPool::instance() {
  static ThreadPool pool(std::max(1u, std::thread::hardware_concurrency()) - 1);
  return pool;
}

ThreadPool::ThreadPool(int workers) {
  workers_.reserve(static_cast<size_t>(std::max(workers, 0)));
  for (int i = 0; i < workers; i++) workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    publishedGeneration_.store(generation_ + 1, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::drain(int slot) {
  for (;;) {
    const int task = next_.fetch_add(1, std::memory_order_relaxed);
    if (task >= tasks_) return;
    (*fn_)(task, slot);
  }
}

void ThreadPool::workerLoop(int index) {
  std::uint64_t seen = 0;
  for (;;) {
    spinUntil([&] { return publishedGeneration_.load(std::memory_order_acquire) != seen; });
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (index >= helpers_) continue;  // not needed for this job
    }
    drain(index + 1);
    std::lock_guard<std::mutex> lock(mutex_);
    pendingHelpers_.fetch_sub(1, std::memory_order_release);
    if (--busy_ == 0) done_.notify_one();
  }
}

void ThreadPool::run(int tasks, int maxThreads, const std::function<void(int, int)>& fn) {
  if (tasks <= 0) return;
  const int threads = std::min({maxThreads <= 0 ? capacity() : maxThreads, capacity(), tasks});
  if (threads <= 1) {
    for (int task = 0; task < tasks; task++) fn(task, 0);
    return;
  }
  std::lock_guard<std::mutex> job(jobMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = &fn;
    tasks_ = tasks;
    next_.store(0, std::memory_order_relaxed);
    helpers_ = threads - 1;
    busy_ = helpers_;
    pendingHelpers_.store(helpers_, std::memory_order_relaxed);
    generation_++;
    publishedGeneration_.store(generation_, std::memory_order_release);
  }
  wake_.notify_all();
  drain(0);
  spinUntil([&] { return pendingHelpers_.load(std::memory_order_acquire) == 0; });
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return busy_ == 0; });
  fn_ = nullptr;
}

}  // namespace ns3ts
