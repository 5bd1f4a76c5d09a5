#include "replication/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "http/transport.hpp"

namespace freightliner::replication {
namespace {

CopyTask Task(const std::string& tag) {
  CopyTask task;
  task.source = {{"127.0.0.1:9", "team/app"}, tag, ""};
  task.destination = {{"127.0.0.1:8", "mirror/app"}, tag, ""};
  return task;
}

class EngineTest : public ::testing::Test {
 protected:
  std::shared_ptr<http::Transport> transport_ =
      std::make_shared<http::Transport>(http::TransportOptions{});
  registry::ClientPool clients_{{.read_credentials_from_env = false}, transport_};
  WorkerPool workers_{2};
};

// A task that throws something that is not a std::exception still ends: Run returns, the task is
// failed with code internal, and the panic is reported (serve counts it).
TEST_F(EngineTest, ATaskThrowingANonStdExceptionFailsAndIsAPanic) {
  std::atomic<int> panics{0};
  std::string panic_what;
  std::mutex mu;
  std::vector<TaskResult> ended;
  EngineObserver observer{.on_task_start = [](const CopyTask&) { throw 42; },
                          .on_task_done =
                              [&](const TaskResult& r) {
                                std::lock_guard lock(mu);
                                ended.push_back(r);
                              },
                          .on_panic =
                              [&](const char* what) {
                                std::lock_guard lock(mu);
                                ++panics;
                                panic_what = what;
                              }};
  Engine engine(clients_, workers_, {}, observer);
  RunSummary summary = engine.Run({Task("v1"), Task("v2")}, {});
  EXPECT_EQ(summary.total, 2);
  EXPECT_EQ(summary.failed, 2);
  ASSERT_EQ(summary.failures.size(), 2u);
  for (const TaskResult& r : summary.failures) {
    EXPECT_EQ(r.state, TaskState::kFailed);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code, ErrorCode::kInternal);
    EXPECT_EQ(r.error->message, "unknown exception");
  }
  EXPECT_EQ(panics.load(), 2);
  EXPECT_EQ(panic_what, "unknown exception");
  EXPECT_EQ(ended.size(), 2u);
}

TEST_F(EngineTest, ATaskThrowingAStdExceptionFailsWithItsMessage) {
  std::atomic<int> panics{0};
  EngineObserver observer{
      .on_task_start = [](const CopyTask&) { throw std::runtime_error("observer broke"); },
      .on_panic = [&](const char*) { ++panics; }};
  Engine engine(clients_, workers_, {}, observer);
  RunSummary summary = engine.Run({Task("v1")}, {});
  ASSERT_EQ(summary.failures.size(), 1u);
  ASSERT_TRUE(summary.failures[0].error);
  EXPECT_EQ(summary.failures[0].error->code, ErrorCode::kInternal);
  EXPECT_EQ(summary.failures[0].error->message, "observer broke");
  EXPECT_EQ(panics.load(), 1);
}

// A producer (the planner) that throws after adding tasks: the run stops, the tasks it added end
// first, and only then does the exception reach the caller (whose thread boundary counts it).
TEST_F(EngineTest, AProducerThatThrowsIsRethrownAfterItsTasksEnded) {
  std::atomic<int> ended{0};
  EngineObserver observer{.on_task_start = [](const CopyTask&) { throw 7; },
                          .on_task_done = [&](const TaskResult&) { ++ended; }};
  Engine engine(clients_, workers_, {}, observer);
  EXPECT_THROW(engine.Run(
                   [](const Engine::AddTask& add, std::stop_token) -> Status {
                     add(Task("v1"));
                     add(Task("v2"));
                     throw std::runtime_error("planner broke");
                   },
                   {}),
               std::runtime_error);
  EXPECT_EQ(ended.load(), 2);
}

}  // namespace
}  // namespace freightliner::replication
