#include "thread_pool.h"

#include <algorithm>

namespace ns3ts {

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
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (index >= helpers_) continue;  // not needed for this job
    }
    drain(index + 1);
    std::lock_guard<std::mutex> lock(mutex_);
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
    generation_++;
  }
  wake_.notify_all();
  drain(0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return busy_ == 0; });
  fn_ = nullptr;
}

}  // namespace ns3ts
