#include "registry/retry.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <string>

#include "common/format.hpp"
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

RetryPolicy RetryPolicyFromFlags(int retry_times, std::optional<Clock::Duration> retry_delay) {
  RetryPolicy policy;
  policy.max_attempts = 1 + std::clamp(retry_times, 0, kMaxRetryTimes);
  if (retry_delay) {
    const Clock::Duration delay = std::clamp(*retry_delay, Clock::Duration::zero(), kMaxRetryDelay);
    policy.initial_backoff = delay;
    policy.max_backoff = delay;
    policy.jitter = 0.0;
  }
  return policy;
}

Result<Clock::Duration> ParseRetryDelay(std::string_view text) {
  const std::string_view whole = text;
  const auto invalid = [whole] {
    return MakeError(ErrorCode::kInvalidArgument, "invalid duration " + QuoteUntrusted(whole, 32) +
                                                      " (write e.g. 500ms, 2s, 1m; at most 10m)");
  };
  if (text.empty()) return invalid();
  Clock::Duration total{0};
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
      ++digits;
    auto n = http::ParseBoundedUnsigned(text.substr(0, digits), 1'000'000);
    if (digits == 0 || !n) return invalid();
    text.remove_prefix(digits);
    const auto value = static_cast<int64_t>(*n);
    if (text.rfind("ms", 0) == 0) {
      total += std::chrono::milliseconds(value);
      text.remove_prefix(2);
    } else if (!text.empty() && text.front() == 's') {
      total += std::chrono::seconds(value);
      text.remove_prefix(1);
    } else if (!text.empty() && text.front() == 'm') {
      total += std::chrono::minutes(value);
      text.remove_prefix(1);
    } else {
      return invalid();  // a bare number is ambiguous: seconds (skopeo) or milliseconds?
    }
    if (total > kMaxRetryDelay) return invalid();
  }
  return total;
}

void LogRetry(std::string_view what, int failed_attempt, int max_attempts, const Error& error,
              Clock::Duration delay) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay).count();
  spdlog::info("retrying {} in {}.{:03} s (attempt {} of {} failed: {})",
               EscapeUntrusted(what, 512), ms / 1000, ms % 1000, failed_attempt, max_attempts,
               EscapeUntrusted(error.ToString(), 512));
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

const char* RetryReason(const Error& error) {
  switch (error.code) {
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kNetwork:
      return "network";
    case ErrorCode::kTimeout:
      return "timeout";
    default:
      return "server_error";
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
