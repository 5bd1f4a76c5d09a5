#include "registry/limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace freightliner::registry {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LimiterTest, UnlimitedNeverWaits) {
  FakeClock clock;
  RegistryLimiter limiter({}, clock);
  std::vector<RegistryLimiter::Permit> permits;
  for (int i = 0; i < 100; ++i)
    permits.push_back(std::move(*limiter.Acquire({})));
  EXPECT_EQ(limiter.in_flight(), 100);
  EXPECT_TRUE(clock.Sleeps().empty());
  permits.clear();
  EXPECT_EQ(limiter.in_flight(), 0);
}

TEST(LimiterTest, RateLimitSpacesRequests) {
  FakeClock clock;
  RegistryLimiter limiter({.max_concurrent = 0, .requests_per_second = 2}, clock);
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE(limiter.Acquire({}));
  // A burst of 2, then one token every 500 ms: 4 more requests need 2 s of sleeping.
  Clock::Duration slept{};
  for (auto d : clock.Sleeps())
    slept += d;
  EXPECT_GE(slept, milliseconds(1999));
  EXPECT_LE(slept, milliseconds(2001));
}

TEST(LimiterTest, PauseDelaysEveryone) {
  FakeClock clock;
  RegistryLimiter limiter({}, clock);
  limiter.PauseUntil(clock.Now() + seconds(7));
  ASSERT_TRUE(limiter.Acquire({}));
  ASSERT_EQ(clock.Sleeps().size(), 1u);
  EXPECT_EQ(clock.Sleeps()[0], seconds(7));
}

TEST(LimiterTest, ConcurrencyCapHolds) {
  RegistryLimiter limiter({.max_concurrent = 3, .requests_per_second = 0}, SystemClock::Instance());
  std::atomic<int> now{0}, peak{0};
  std::vector<std::jthread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      auto permit = limiter.Acquire({});
      ASSERT_TRUE(permit);
      const int n = ++now;
      int p = peak.load();
      while (n > p && !peak.compare_exchange_weak(p, n)) {
      }
      // Hold the permit until the cap is reached (bounded): the peak then depends on the
      // limiter, not on how the threads happen to be scheduled (a slow TSan run saw 1).
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (now.load() < 3 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(milliseconds(1));
      }
      --now;
    });
  }
  threads.clear();
  EXPECT_EQ(peak.load(), 3);
}

TEST(LimiterTest, StopUnblocksAWaiter) {
  RegistryLimiter limiter({.max_concurrent = 1, .requests_per_second = 0}, SystemClock::Instance());
  auto held = limiter.Acquire({});
  std::stop_source stop;
  std::jthread canceller([&] {
    std::this_thread::sleep_for(milliseconds(20));
    stop.request_stop();
  });
  auto blocked = limiter.Acquire(stop.get_token());
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::kCanceled);
}

}  // namespace
}  // namespace freightliner::registry
