#include "replication/worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace freightliner::replication {

WorkerPool::WorkerPool(int size, PanicHandler on_panic)
    : size_(size < 1 ? 1 : size), on_panic_(std::move(on_panic)) {
  // spdlog's registry is created on first use; workers log, so create it here, on one thread,
  // before they start (its lazy creation races under TSan's eyes otherwise).
  spdlog::default_logger_raw();
  for (int i = 0; i < size_; ++i) {
    threads_.emplace_back([this](std::stop_token stop) { Loop(stop); });
  }
}

WorkerPool::~WorkerPool() {
  for (auto& t : threads_)
    t.request_stop();
  cv_.notify_all();
  threads_.clear();  // joins
}

void WorkerPool::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

int WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(queue_.size());
}

void WorkerPool::Loop(std::stop_token stop) {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      if (!cv_.wait(lock, stop, [&] { return !queue_.empty(); })) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      ++active_;
    }
    // A task that throws is a bug; the worker logs it, counts it and goes on.
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("worker caught an exception: {}", e.what());
      if (on_panic_) on_panic_(e.what());
    } catch (...) {
      spdlog::error("worker caught an unknown exception");
      if (on_panic_) on_panic_("unknown exception");
    }
    --active_;
  }
}

}  // namespace freightliner::replication
