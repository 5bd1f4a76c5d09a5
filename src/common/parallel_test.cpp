#include "common/parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <stdexcept>

namespace freightliner {
namespace {

std::vector<int> Items(int n) {
  std::vector<int> items(static_cast<size_t>(n));
  std::iota(items.begin(), items.end(), 0);
  return items;
}

TEST(ParallelForTest, RunsEveryItemAndSucceeds) {
  std::atomic<int> sum{0};
  Status s = ParallelFor<int>(Items(100), 4, {}, [&](const int& i, std::stop_token) -> Status {
    sum += i;
    return Ok();
  });
  EXPECT_TRUE(s);
  EXPECT_EQ(sum.load(), 4950);
}

TEST(ParallelForTest, TheFirstErrorComesBack) {
  Status s = ParallelFor<int>(Items(50), 4, {}, [](const int& i, std::stop_token) -> Status {
    if (i == 7) return MakeError(ErrorCode::kNotFound, "item 7");
    return Ok();
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
}

// A body that throws on a worker thread must not end the process: the exception is rethrown on
// the calling thread, where its owner (the engine's task) catches and counts it.
TEST(ParallelForTest, AStdExceptionOnAWorkerThreadReachesTheCaller) {
  std::atomic<int> ran{0};
  try {
    (void)ParallelFor<int>(Items(50), 4, {}, [&](const int& i, std::stop_token) -> Status {
      ++ran;
      if (i == 3) throw std::runtime_error("body broke on 3");
      return Ok();
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "body broke on 3");
  }
  EXPECT_GE(ran.load(), 4);
}

TEST(ParallelForTest, ANonStdExceptionOnAWorkerThreadReachesTheCaller) {
  EXPECT_THROW((void)ParallelFor<int>(Items(50), 4, {},
                                      [](const int& i, std::stop_token) -> Status {
                                        if (i == 10) throw 42;
                                        return Ok();
                                      }),
               int);
}

TEST(ParallelForTest, EveryItemThrowingStillEndsEveryThread) {
  EXPECT_THROW((void)ParallelFor<int>(Items(20), 8, {},
                                      [](const int&, std::stop_token) -> Status {
                                        throw std::logic_error("all of them");
                                      }),
               std::logic_error);
}

}  // namespace
}  // namespace freightliner
