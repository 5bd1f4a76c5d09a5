#include "registry/retry.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

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

TEST(RetryFlagsTest, RetryTimesCountsRetriesAfterTheFirstAttempt) {
  EXPECT_EQ(RetryPolicyFromFlags(0, std::nullopt).max_attempts, 1);
  EXPECT_EQ(RetryPolicyFromFlags(4, std::nullopt).max_attempts, 5);
  EXPECT_EQ(RetryPolicyFromFlags(kMaxRetryTimes + 50, std::nullopt).max_attempts,
            kMaxRetryTimes + 1);
  // Without --retry-delay the backoff stays exponential.
  EXPECT_EQ(RetryPolicyFromFlags(3, std::nullopt).BaseBackoff(3), RetryPolicy().BaseBackoff(3));
}

TEST(RetryFlagsTest, RetryDelayIsAFixedWaitWithoutJitter) {
  const RetryPolicy p = RetryPolicyFromFlags(3, milliseconds(750));
  EXPECT_EQ(p.Backoff(1, 0.0), milliseconds(750));
  EXPECT_EQ(p.Backoff(3, 0.99), milliseconds(750));
}

TEST(RetryFlagsTest, ParsesBoundedDurations) {
  EXPECT_EQ(*ParseRetryDelay("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseRetryDelay("2s"), seconds(2));
  EXPECT_EQ(*ParseRetryDelay("1m30s"), seconds(90));
  EXPECT_EQ(*ParseRetryDelay("0s"), seconds(0));
  EXPECT_EQ(*ParseRetryDelay("10m"), std::chrono::minutes(10));
  for (const char* bad : {"", "5", "5x", "-1s", "11m", "s", "1h", "99999999999s"}) {
    auto d = ParseRetryDelay(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_NE(ParseRetryDelay("5x").error().message.find("\"5x\""), std::string::npos);
}

// Captures what spdlog's default logger writes, at info, while alive.
class CapturedLog {
 public:
  CapturedLog()
      : previous_(spdlog::default_logger()),
        logger_(std::make_shared<spdlog::logger>(
            "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_))) {
    logger_->set_pattern("%l %v");
    logger_->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger_);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::logger> logger_;
};

TEST(RetryLogTest, EachRetryIsLoggedAtInfoWithReasonAndWait) {
  CapturedLog log;
  FakeClock clock;
  RetryPolicy policy = RetryPolicyFromFlags(2, milliseconds(1500));
  int calls = 0;
  auto r = RetryCall<int>(
      policy, clock, {},
      [&]() -> Result<int> {
        if (++calls < 3) {
          // A registry's words with a forged log line in them.
          return MakeError(ErrorCode::kServerError, "GET x: HTTP 503 UNAVAILABLE: down\nINFO ok");
        }
        return 7;
      },
      [&](int attempt, const Error& e, Clock::Duration delay) {
        LogRetry("GET /v2/ on r.example", attempt, policy.max_attempts, e, delay);
      });
  ASSERT_TRUE(r);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(log.text(),
            "info retrying GET /v2/ on r.example in 1.500 s (attempt 1 of 3 failed: server_error: "
            "GET x: HTTP 503 UNAVAILABLE: down\\nINFO ok)\n"
            "info retrying GET /v2/ on r.example in 1.500 s (attempt 2 of 3 failed: server_error: "
            "GET x: HTTP 503 UNAVAILABLE: down\\nINFO ok)\n");
}

TEST(RetryLogTest, ZeroRetriesMeansOneAttemptAndNoLog) {
  CapturedLog log;
  FakeClock clock;
  int calls = 0;
  auto r = RetryCall<int>(RetryPolicyFromFlags(0, std::nullopt), clock, {}, [&]() -> Result<int> {
    ++calls;
    return MakeError(ErrorCode::kNetwork, "connection refused");
  });
  EXPECT_FALSE(r);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(log.text(), "");
}

}  // namespace
}  // namespace freightliner::registry
