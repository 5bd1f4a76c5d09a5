#include "registry/retry.hpp"

#include <gtest/gtest.h>

namespace freightliner::registry {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RetryPolicyTest, BackoffDoublesAndIsCapped) {
  RetryPolicy p;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = milliseconds(500);
  EXPECT_EQ(p.BaseBackoff(1), milliseconds(100));
  EXPECT_EQ(p.BaseBackoff(2), milliseconds(200));
  EXPECT_EQ(p.BaseBackoff(3), milliseconds(400));
  EXPECT_EQ(p.BaseBackoff(4), milliseconds(500));
  EXPECT_EQ(p.BaseBackoff(40), milliseconds(500));
}

TEST(RetryPolicyTest, JitterStaysInItsBand) {
  RetryPolicy p;
  p.initial_backoff = milliseconds(1000);
  p.jitter = 0.2;
  EXPECT_EQ(p.Backoff(1, 0.0), milliseconds(800));
  EXPECT_EQ(p.Backoff(1, 0.5), milliseconds(1000));
  EXPECT_LE(p.Backoff(1, 0.999999), milliseconds(1200));
}

TEST(RetryableTest, OnlyTransientFailures) {
  EXPECT_TRUE(IsRetryable(Error(ErrorCode::kNetwork, "")));
  EXPECT_TRUE(IsRetryable(Error(ErrorCode::kTimeout, "")));
  EXPECT_TRUE(IsRetryable(Error(ErrorCode::kServerError, "")));
  EXPECT_TRUE(IsRetryable(Error(ErrorCode::kRateLimited, "")));
  EXPECT_FALSE(IsRetryable(Error(ErrorCode::kNotFound, "")));
  EXPECT_FALSE(IsRetryable(Error(ErrorCode::kAuth, "")));
  EXPECT_FALSE(IsRetryable(Error(ErrorCode::kClientError, "")));
  EXPECT_FALSE(IsRetryable(Error(ErrorCode::kDigestMismatch, "")));
  EXPECT_FALSE(IsRetryable(Error(ErrorCode::kCanceled, "")));
}

TEST(RetryAfterTest, SecondsAndHttpDates) {
  FakeClock clock;
  const auto now = clock.WallNow();  // 2026-01-01T00:00:00Z
  EXPECT_EQ(ParseRetryAfter("7", now), seconds(7));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), seconds(0));
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now), seconds(30));
  EXPECT_EQ(ParseRetryAfter("Thursday, 01-Jan-26 00:01:00 GMT", now), seconds(60));
  EXPECT_EQ(ParseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now), seconds(0));
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
}

TEST(RetryCallTest, RetriesTransientErrorsWithGrowingDelays) {
  FakeClock clock;
  RetryPolicy p;
  p.jitter = 0;
  p.initial_backoff = milliseconds(100);
  int calls = 0;
  Result<int> r = RetryCall<int>(p, clock, {}, [&]() -> Result<int> {
    if (++calls < 3) return MakeError(ErrorCode::kServerError, "500");
    return 42;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.Sleeps(), (std::vector<Clock::Duration>{milliseconds(100), milliseconds(200)}));
}

TEST(RetryCallTest, GivesUpAfterMaxAttempts) {
  FakeClock clock;
  RetryPolicy p;
  p.max_attempts = 4;
  int calls = 0;
  Result<int> r = RetryCall<int>(p, clock, {}, [&]() -> Result<int> {
    ++calls;
    return MakeError(ErrorCode::kNetwork, "reset");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNetwork);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(clock.Sleeps().size(), 3u);
}

TEST(RetryCallTest, ExhaustedErrorsAreNotRetriedAgainByAnOuterLoop) {
  FakeClock clock;
  RetryPolicy p;
  p.max_attempts = 3;
  int calls = 0;
  auto inner = [&]() -> Result<int> {
    return RetryCall<int>(p, clock, {}, [&]() -> Result<int> {
      ++calls;
      return MakeError(ErrorCode::kServerError, "500");
    });
  };
  Result<int> r = RetryCall<int>(p, clock, {}, inner);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().no_retry);
  EXPECT_EQ(calls, 3);  // not 3 x 3
}

TEST(RetryCallTest, NonRetryableFailsAtOnce) {
  FakeClock clock;
  int calls = 0;
  Result<int> r = RetryCall<int>(RetryPolicy{}, clock, {}, [&]() -> Result<int> {
    ++calls;
    return MakeError(ErrorCode::kNotFound, "no such tag");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(clock.Sleeps().empty());
}

TEST(RetryCallTest, HonoursRetryAfter) {
  FakeClock clock;
  int calls = 0;
  Result<int> r = RetryCall<int>(RetryPolicy{}, clock, {}, [&]() -> Result<int> {
    if (++calls == 1) {
      Error e(ErrorCode::kRateLimited, "429");
      e.retry_after_seconds = 3;
      return tl::unexpected(e);
    }
    return 1;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(clock.Sleeps(), (std::vector<Clock::Duration>{seconds(3)}));
}

TEST(RetryCallTest, RetryAfterBeyondTheCapIsNotWaitedFor) {
  FakeClock clock;
  RetryPolicy p;
  p.max_retry_after = seconds(10);
  Result<int> r = RetryCall<int>(p, clock, {}, [&]() -> Result<int> {
    Error e(ErrorCode::kRateLimited, "429");
    e.retry_after_seconds = 3600;
    return tl::unexpected(e);
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kRateLimited);
  EXPECT_TRUE(clock.Sleeps().empty());
}

TEST(RetryCallTest, StopRequestCancels) {
  FakeClock clock;
  std::stop_source source;
  source.request_stop();
  Result<int> r =
      RetryCall<int>(RetryPolicy{}, clock, source.get_token(), [&]() -> Result<int> { return 1; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCanceled);
}

}  // namespace
}  // namespace freightliner::registry
