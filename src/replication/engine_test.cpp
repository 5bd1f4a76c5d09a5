#include "replication/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace freightliner::replication {
namespace {

CopyTask Task(const std::string& source, const std::string& destination) {
  auto src = registry::ParseReference(source);
  auto dst = registry::ParseReference(destination);
  EXPECT_TRUE(src && dst);
  return CopyTask{.source = *src, .destination = *dst};
}

// The server counts on_panic as freightliner_panics_total{component="worker"}: a task that
// throws must reach it, fail (not vanish), and leave the run able to end.
TEST(EngineTest, ATaskThatThrowsIsAFailedTagAndAPanic) {
  registry::ClientPool clients({}, nullptr);
  WorkerPool pool(2);
  std::atomic<int> panics{0};
  std::atomic<int> done{0};
  Engine engine(clients, pool, {},
                {.on_task_start = [](const CopyTask&) { throw std::runtime_error("boom"); },
                 .on_task_done =
                     [&](const TaskResult& r) {
                       EXPECT_EQ(r.state, TaskState::kFailed);
                       ++done;
                     },
                 .on_panic =
                     [&](const char* what) {
                       EXPECT_STREQ(what, "boom");
                       ++panics;
                     }});
  RunSummary summary = engine.Run({Task("127.0.0.1:9/a/app:v1", "127.0.0.1:8/b/app:v1"),
                                   Task("127.0.0.1:9/a/app:v2", "127.0.0.1:8/b/app:v2")},
                                  {});
  EXPECT_EQ(panics, 2);
  EXPECT_EQ(done, 2);
  EXPECT_EQ(summary.failed, 2);
  ASSERT_EQ(summary.failures.size(), 2u);
  ASSERT_TRUE(summary.failures[0].error.has_value());
  EXPECT_EQ(summary.failures[0].error->code, ErrorCode::kInternal);
  EXPECT_EQ(summary.failures[0].error->message, "boom");
}

}  // namespace
}  // namespace freightliner::replication
