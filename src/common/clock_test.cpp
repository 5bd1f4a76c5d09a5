#include "common/clock.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace freightliner {
namespace {

using std::chrono::milliseconds;

TEST(SystemClockTest, SleepsTheFullTimeWithoutAStop) {
  SystemClock& clock = SystemClock::Instance();
  const auto start = clock.Now();
  EXPECT_TRUE(clock.SleepFor(milliseconds(20), {}));
  EXPECT_GE(clock.Now() - start, milliseconds(20));
}

TEST(SystemClockTest, AStopCutsTheSleepShortAndSaysSo) {
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(20));
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(SystemClock::Instance().SleepFor(std::chrono::seconds(30), stop.get_token()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_FALSE(SystemClock::Instance().SleepFor(milliseconds(1), stop.get_token()));
}

TEST(FakeClockTest, RecordsSleepsAndAdvances) {
  FakeClock clock;
  const auto t0 = clock.Now();
  EXPECT_TRUE(clock.SleepFor(milliseconds(5), {}));
  clock.Advance(milliseconds(10));
  EXPECT_EQ(clock.Now() - t0, milliseconds(15));
  EXPECT_EQ(clock.Sleeps(), std::vector<Clock::Duration>{milliseconds(5)});
}

}  // namespace
}  // namespace freightliner
