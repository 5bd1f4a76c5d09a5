#include "registry/retry.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <string>

#include "http/untrusted.hpp"

namespace freightliner::registry {

Clock::Duration RetryPolicy::BaseBackoff(int failed_attempts) const {
  // In double first: 2^40 nanoseconds-based counts overflow the integer duration.
  const double scaled = static_cast<double>(initial_backoff.count()) *
                        std::pow(2.0, std::max(0, failed_attempts - 1));
  if (scaled >= static_cast<double>(max_backoff.count())) return max_backoff;
  return Clock::Duration(static_cast<Clock::Duration::rep>(scaled));
}

Clock::Duration RetryPolicy::Backoff(int failed_attempts, double unit_random) const {
  const double scale = 1.0 - jitter + 2.0 * jitter * unit_random;
  const auto base = BaseBackoff(failed_attempts);
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double, Clock::Duration::period>(static_cast<double>(base.count()) *
                                                             scale));
}

bool IsRetryable(const Error& error) {
  if (error.no_retry) return false;
  switch (error.code) {
    case ErrorCode::kNetwork:
    case ErrorCode::kTimeout:
    case ErrorCode::kServerError:
    case ErrorCode::kRateLimited:
      return true;
    default:
      return false;
  }
}

std::optional<Clock::Duration> ParseRetryAfter(std::string_view value,
                                               std::chrono::system_clock::time_point now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    // More than ~30 years is not a real answer (and would overflow the clock's durations).
    auto seconds = http::ParseBoundedUnsigned(value, 999'999'999);
    if (!seconds) return std::nullopt;
    return std::chrono::seconds(static_cast<int64_t>(*seconds));
  }
  // curl_getdate understands all three HTTP-date forms (IMF-fixdate, RFC 850, asctime).
  const time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when < 0) return std::nullopt;
  const auto target = std::chrono::system_clock::from_time_t(when);
  if (target <= now) return Clock::Duration::zero();
  return std::chrono::duration_cast<Clock::Duration>(target - now);
}

double UnitRandom() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace freightliner::registry
