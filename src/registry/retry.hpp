#pragma once
// Bounded retries with exponential backoff and jitter, for idempotent registry steps.
// 429 and 503 answers may say how long to wait (Retry-After, seconds or HTTP-date): that wins.
//
//   Result<Response> r = RetryCall(policy, clock, stop, [&] { return client.Get(url); });

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace freightliner::registry {

struct RetryPolicy {
  int max_attempts = 5;  // total tries, the first included
  Clock::Duration initial_backoff = std::chrono::milliseconds(200);
  Clock::Duration max_backoff = std::chrono::seconds(20);
  double jitter = 0.2;  // each delay is scaled by a random factor in [1-jitter, 1+jitter]
  // A server asking for a longer wait than this is not waited for: the step fails as rate_limited.
  Clock::Duration max_retry_after = std::chrono::minutes(5);

  // Delay after `failed_attempts` failures (1 = after the first), before jitter; capped.
  Clock::Duration BaseBackoff(int failed_attempts) const;
  // With jitter; `unit_random` in [0, 1).
  Clock::Duration Backoff(int failed_attempts, double unit_random) const;
};

// The bounds of --retry-times and --retry-delay: a typo must not mean retrying for a day.
inline constexpr int kMaxRetryTimes = 100;
inline constexpr Clock::Duration kMaxRetryDelay = std::chrono::minutes(10);

// The policy of `--retry-times N` (retries after the first attempt; 0 disables them) and
// `--retry-delay D` (a fixed wait between attempts, as in skopeo; nullopt keeps the
// exponential backoff). Values are bounded by the flags' validators.
RetryPolicy RetryPolicyFromFlags(int retry_times, std::optional<Clock::Duration> retry_delay);
// "500ms", "2s", "1m", "1m30s": at most kMaxRetryDelay.
Result<Clock::Duration> ParseRetryDelay(std::string_view text);

// Logs one retry at info: what was tried, why it failed (escaped: registries write part of it),
// which attempt of how many, and the wait before the next.
void LogRetry(std::string_view what, int failed_attempt, int max_attempts, const Error& error,
              Clock::Duration delay);

// Network trouble, timeouts, 5xx and 429 are worth another try; other failures are not.
bool IsRetryable(const Error& error);

// Why a retry happened, as metrics label it: one reason per retryable error code, so the set is
// fixed (an error that is not retryable reads as "server_error"; it is never retried anyway).
inline constexpr const char* kRetryReasons[] = {"server_error", "rate_limited", "network",
                                                "timeout"};
const char* RetryReason(const Error& error);

// Parses a Retry-After value: delta-seconds or an HTTP-date (relative to `now`). A date in the
// past means "now" (zero). Returns nullopt for garbage.
std::optional<Clock::Duration> ParseRetryAfter(std::string_view value,
                                               std::chrono::system_clock::time_point now);

// A number in [0, 1) for jitter. Its generator is seeded on a thread's first retry, not on its
// first request (copies run on short-lived threads, and seeding costs a random_device read).
double UnitRandom();

// Called before each wait: attempt that failed (1-based), its error, the delay chosen.
using RetryObserver = std::function<void(int, const Error&, Clock::Duration)>;

// Runs `op` until it succeeds, fails with a non-retryable error, attempts run out or `stop` is
// requested (then the error is kCanceled). The last error is returned, marked no_retry when
// attempts ran out.
template <typename T>
Result<T> RetryCall(const RetryPolicy& policy, Clock& clock, std::stop_token stop,
                    const std::function<Result<T>()>& op, const RetryObserver& observer = {}) {
  for (int attempt = 1;; ++attempt) {
    if (stop.stop_requested()) return MakeError(ErrorCode::kCanceled, "canceled");
    Result<T> result = op();
    if (result || !IsRetryable(result.error())) return result;
    if (attempt >= policy.max_attempts) {
      result.error().no_retry = policy.max_attempts > 1;  // spent here; not again outside
      return result;
    }
    Clock::Duration delay = policy.Backoff(attempt, UnitRandom());
    if (const auto& after = result.error().retry_after_seconds) {
      const auto wanted =
          std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(*after));
      if (wanted > policy.max_retry_after) return result;
      delay = wanted;
    }
    if (observer) observer(attempt, result.error(), delay);
    if (!clock.SleepFor(delay, stop)) return MakeError(ErrorCode::kCanceled, "canceled");
  }
}

}  // namespace freightliner::registry
