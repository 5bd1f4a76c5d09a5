#include "registry/limiter.hpp"

#include <algorithm>

namespace freightliner::registry {

RegistryLimiter::Permit& RegistryLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    if (owner_ != nullptr) owner_->Release();
    owner_ = other.owner_;
    other.owner_ = nullptr;
  }
  return *this;
}

RegistryLimiter::Permit::~Permit() {
  if (owner_ != nullptr) owner_->Release();
}

RegistryLimiter::RegistryLimiter(LimiterOptions options, Clock& clock)
    : options_(options),
      clock_(clock),
      tokens_(std::max(1.0, options.requests_per_second)),
      last_refill_(clock.Now()) {}

Clock::Duration RegistryLimiter::TakeRateTokenLocked() {
  if (options_.requests_per_second <= 0) return Clock::Duration::zero();
  const auto now = clock_.Now();
  const double burst = std::max(1.0, options_.requests_per_second);
  const double elapsed = std::chrono::duration<double>(now - last_refill_).count();
  tokens_ = std::min(burst, tokens_ + elapsed * options_.requests_per_second);
  last_refill_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return Clock::Duration::zero();
  }
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double>((1.0 - tokens_) / options_.requests_per_second));
}

Result<RegistryLimiter::Permit> RegistryLimiter::Acquire(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (true) {
    if (stop.stop_requested()) return MakeError(ErrorCode::kCanceled, "canceled");
    const auto now = clock_.Now();
    if (paused_until_ > now) {
      const auto wait = paused_until_ - now;
      lock.unlock();
      clock_.SleepFor(wait, stop);
      lock.lock();
      continue;
    }
    if (options_.max_concurrent > 0 && in_flight_ >= options_.max_concurrent) {
      cv_.wait(lock, stop, [&] { return in_flight_ < options_.max_concurrent; });
      continue;
    }
    const auto wait = TakeRateTokenLocked();
    if (wait > Clock::Duration::zero()) {
      lock.unlock();
      clock_.SleepFor(wait, stop);
      lock.lock();
      continue;
    }
    ++in_flight_;
    return Permit(this);
  }
}

void RegistryLimiter::PauseUntil(Clock::TimePoint until) {
  std::lock_guard lock(mu_);
  paused_until_ = std::max(paused_until_, until);
}

void RegistryLimiter::Release() {
  std::lock_guard lock(mu_);
  --in_flight_;
  cv_.notify_one();
}

int RegistryLimiter::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

}  // namespace freightliner::registry
