#pragma once
// Per-registry politeness: at most N requests in flight, at most R requests per second, and a
// registry-wide pause after a 429 so that every worker backs off together, not each on its own.

#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace freightliner::registry {

struct LimiterOptions {
  int max_concurrent = 0;          // 0 = unlimited
  double requests_per_second = 0;  // 0 = unlimited; bursts up to max(1, rps) requests
};

// Thread-safe. Shared by every request to one registry.
class RegistryLimiter {
 public:
  // Holds one in-flight slot; releases it when destroyed.
  class Permit {
   public:
    Permit() = default;
    explicit Permit(RegistryLimiter* owner) : owner_(owner) {}
    Permit(Permit&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit();

   private:
    RegistryLimiter* owner_ = nullptr;
  };

  RegistryLimiter(LimiterOptions options, Clock& clock);

  // Waits for the pause to end, a rate token and a free slot. Fails only when `stop` is requested.
  Result<Permit> Acquire(std::stop_token stop);
  // Nobody starts a request before `until` (a 429's Retry-After, or the backoff chosen).
  void PauseUntil(Clock::TimePoint until);

  int in_flight() const;

 private:
  void Release();
  // Seconds to wait for the next rate token (0 when one was taken).
  Clock::Duration TakeRateTokenLocked();

  LimiterOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  int in_flight_ = 0;
  double tokens_;
  Clock::TimePoint last_refill_;
  Clock::TimePoint paused_until_{};
};

}  // namespace freightliner::registry
