#include "replication/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <stdexcept>

namespace freightliner::replication {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskOnItsThreads) {
  std::atomic<int> done{0};
  std::latch finished(50);
  WorkerPool pool(4);
  EXPECT_EQ(pool.size(), 4);
  for (int i = 0; i < 50; ++i) {
    pool.Submit([&] {
      ++done;
      finished.count_down();
    });
  }
  finished.wait();
  EXPECT_EQ(done.load(), 50);
}

TEST(WorkerPoolTest, GaugesShowActiveAndQueued) {
  WorkerPool pool(2);
  std::latch started(2), release(1);
  for (int i = 0; i < 5; ++i) {
    pool.Submit([&] {
      started.count_down();
      release.wait();
    });
  }
  started.wait();
  EXPECT_EQ(pool.active(), 2);
  EXPECT_EQ(pool.queued(), 3);
  release.count_down();
}

TEST(WorkerPoolTest, AThrowingTaskIsCountedAndTheWorkerSurvives) {
  std::atomic<int> panics{0};
  std::latch after(1);
  WorkerPool pool(1, [&](const char*) { ++panics; });
  pool.Submit([] { throw std::runtime_error("boom"); });
  pool.Submit([&] { after.count_down(); });
  after.wait();
  EXPECT_EQ(panics.load(), 1);
}

}  // namespace
}  // namespace freightliner::replication
