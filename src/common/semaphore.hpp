#pragma once
// A counting semaphore whose waits end when a stop is requested (std::counting_semaphore's don't).

#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace freightliner {

// Thread-safe.
class Semaphore {
 public:
  explicit Semaphore(int permits) : permits_(permits) {}

  // False when `stop` was requested before a permit was free.
  bool Acquire(std::stop_token stop) {
    std::unique_lock lock(mu_);
    if (!cv_.wait(lock, stop, [&] { return permits_ > 0; })) return false;
    --permits_;
    return true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      ++permits_;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable_any cv_;
  int permits_;
};

// Holds one permit for a scope.
class SemaphoreGuard {
 public:
  SemaphoreGuard(Semaphore* sem, std::stop_token stop) : sem_(sem) {
    acquired_ = sem_ == nullptr || sem_->Acquire(stop);
  }
  ~SemaphoreGuard() {
    if (sem_ != nullptr && acquired_) sem_->Release();
  }
  SemaphoreGuard(const SemaphoreGuard&) = delete;
  SemaphoreGuard& operator=(const SemaphoreGuard&) = delete;
  bool acquired() const { return acquired_; }

 private:
  Semaphore* sem_;
  bool acquired_ = false;
};

}  // namespace freightliner
