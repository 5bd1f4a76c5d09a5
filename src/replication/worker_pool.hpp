#pragma once
// A fixed pool of worker threads running tag copies. The CLI makes one per run; the server makes
// one for the process and every job's tags share it. Its gauges are the worker-pool metrics.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace freightliner::replication {

// Thread-safe.
class WorkerPool {
 public:
  // Called when a task throws: the worker survives and counts it (freightliner_panics_total).
  using PanicHandler = std::function<void(const char* what)>;

  explicit WorkerPool(int size, PanicHandler on_panic = {});
  ~WorkerPool();  // stops taking tasks, finishes the running ones, drops the queued ones
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> task);

  int size() const { return size_; }
  int active() const { return active_.load(); }
  int queued() const;

 private:
  void Loop(std::stop_token stop);

  const int size_;
  PanicHandler on_panic_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> queue_;
  std::atomic<int> active_{0};
  std::vector<std::jthread> threads_;
};

}  // namespace freightliner::replication
