#include "replication/fleet_run.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

namespace freightliner::replication {
namespace {

// Rows an older version stored without checking the names a registry listed.
const TaskRecord kPoisoned = {
    .seq = 1,
    .source = "127.0.0.1:9/evil/app:../../../victim2/app/manifests/latest",
    .destination = "127.0.0.1:8/mirror/app:../../../victim2/app/x"};
const TaskRecord kEscapes = {.seq = 2,
                             .source = "127.0.0.1:9/evil/app:v1\n\x1b[31mforged",
                             .destination = "127.0.0.1:8/mirror/app:v1\n\x1b[31mforged"};

TEST(FromRecordTest, PoisonedRowsAreInvalidNames) {
  auto poisoned = FromRecord(kPoisoned);
  ASSERT_FALSE(poisoned);
  EXPECT_EQ(poisoned.error().code, ErrorCode::kInvalidName);
  auto escapes = FromRecord(kEscapes);
  ASSERT_FALSE(escapes);
  EXPECT_EQ(escapes.error().code, ErrorCode::kInvalidName);
  EXPECT_EQ(escapes.error().message.find('\x1b'), std::string::npos);
  auto fine = FromRecord(
      {.seq = 0, .source = "127.0.0.1:9/evil/app:v1", .destination = "127.0.0.1:8/mirror/app:v1"});
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->destination.repository.path, "mirror/app");
}

class FleetRunResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("freightliner-fleetrun-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// A checkpoint an older version poisoned stays resumable: each bad row fails alone, as
// invalid_name, recorded on its row; the run ends failed instead of refusing to resume.
TEST_F(FleetRunResumeTest, PoisonedRowsFailAloneAndTheRunResumes) {
  auto store = SqliteCheckpointStore::Open(dir_.string());
  ASSERT_TRUE(store) << store.error().message;
  auto run_id = (*store)->CreateRun("replicate-tree", "{}");
  ASSERT_TRUE(run_id);
  const TaskRecord done = {
      .seq = 0, .source = "127.0.0.1:9/evil/app:v1", .destination = "127.0.0.1:8/mirror/app:v1"};
  ASSERT_TRUE((*store)->SavePlan(*run_id, {done, kPoisoned, kEscapes}));
  ASSERT_TRUE((*store)->RecordTask(
      *run_id, {.seq = 0, .state = TaskState::kDone, .digest = "sha256:aa", .bytes = 1}));

  auto transport = std::make_shared<http::Transport>(http::TransportOptions{});
  registry::ClientPool clients({.read_credentials_from_env = false}, transport);
  WorkerPool workers(2);
  SyncMapping mapping;
  mapping.recursive = true;
  mapping.source = {"127.0.0.1:9", "evil"};
  mapping.destination = {"127.0.0.1:8", "mirror"};
  std::vector<TaskResult> ended;
  std::mutex mu;
  auto result = RunFleet(**store, *run_id, clients, workers, {mapping}, {},
                         {.on_task_done =
                              [&](const TaskResult& r) {
                                std::lock_guard lock(mu);
                                ended.push_back(r);
                              }},
                         {});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->resumed);
  EXPECT_EQ(result->status, "failed");
  EXPECT_EQ(result->summary.failed, 2);
  ASSERT_EQ(ended.size(), 2u);
  for (const TaskResult& r : ended) {
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code, ErrorCode::kInvalidName);
    // Counted under the mapping's registries; shown escaped.
    EXPECT_EQ(r.task.source.repository.registry, "127.0.0.1:9");
    EXPECT_EQ(r.task.destination.repository.registry, "127.0.0.1:8");
    EXPECT_EQ(r.task.source.String().find_first_of("\n\x1b"), std::string::npos);
  }
  auto tasks = (*store)->Tasks(*run_id);
  ASSERT_TRUE(tasks);
  ASSERT_EQ(tasks->size(), 3u);
  EXPECT_EQ((*tasks)[0].state, TaskState::kDone);
  EXPECT_EQ((*tasks)[1].state, TaskState::kFailed);
  EXPECT_EQ((*tasks)[2].state, TaskState::kFailed);
  EXPECT_NE((*tasks)[1].error.find("invalid_name"), std::string::npos) << (*tasks)[1].error;
}

// The run's final status cannot be stored (the database turned read-only after its last tag):
// the run still ends, and the failed write reaches the caller (serve counts it), never ignored.
TEST_F(FleetRunResumeTest, AFinalStatusThatCannotBeStoredIsReported) {
  auto store = SqliteCheckpointStore::Open(dir_.string());
  ASSERT_TRUE(store) << store.error().message;
  auto run_id = (*store)->CreateRun("replicate-tree", "{}");
  ASSERT_TRUE(run_id);
  ASSERT_TRUE((*store)->SavePlan(*run_id, {kPoisoned}));

  auto transport = std::make_shared<http::Transport>(http::TransportOptions{});
  registry::ClientPool clients({.read_credentials_from_env = false}, transport);
  WorkerPool workers(1);
  SyncMapping mapping;
  mapping.recursive = true;
  mapping.source = {"127.0.0.1:9", "evil"};
  mapping.destination = {"127.0.0.1:8", "mirror"};
  std::vector<Error> store_errors;
  std::mutex mu;
  FleetRunOptions options;
  options.on_store_error = [&](const Error& e) {
    std::lock_guard lock(mu);
    store_errors.push_back(e);
  };
  SqliteCheckpointStore& checkpoints = **store;
  auto result = RunFleet(checkpoints, *run_id, clients, workers, {mapping}, options,
                         {.on_task_done =
                              [&](const TaskResult&) {
                                // After the tag's row is written, before the run's status.
                                std::lock_guard lock(checkpoints.mutex());
                                ASSERT_TRUE(checkpoints.database().Exec("PRAGMA query_only = ON"));
                              }},
                         {});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->status, "failed");
  ASSERT_EQ(store_errors.size(), 1u);
  EXPECT_NE(store_errors[0].message.find("readonly"), std::string::npos) << store_errors[0].message;
  // The row still says what it said before: the write really failed.
  ASSERT_TRUE(checkpoints.database().Exec("PRAGMA query_only = OFF"));
  auto run = checkpoints.GetRun(*run_id);
  ASSERT_TRUE(run && *run);
  EXPECT_EQ((*run)->status, "running");
}

TEST(UpgradeStoredTreeSpecTest, OldSubstringRegexesKeepSelectingWhatTheyDid) {
  const nlohmann::json legacy = {{"source", "a.example/team"},
                                 {"destination", "b.example/m"},
                                 {"include_tags", {"^v"}},
                                 {"exclude_tags", {"-rc", "beta$"}}};
  // As stored, the old patterns are refused under the whole-tag rule...
  EXPECT_FALSE(TreeMapping(legacy));
  // ...upgraded, they select what the substring search selected.
  const nlohmann::json upgraded = UpgradeStoredTreeSpec(legacy);
  EXPECT_EQ(upgraded["include_tags"], nlohmann::json({"v.*"}));
  EXPECT_EQ(upgraded["exclude_tags"], nlohmann::json({".*-rc.*", ".*beta"}));
  auto mapping = TreeMapping(upgraded);
  ASSERT_TRUE(mapping) << mapping.error().message;
  auto filter = TagFilter::Create(mapping->tags);
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->Select({"v1", "v1-rc1", "v2-beta", "latest", "av1"}),
            (std::vector<std::string>{"v1"}));
  // A spec written since is left alone (its regexes already match whole tags).
  EXPECT_EQ(UpgradeStoredTreeSpec(upgraded), upgraded);
  nlohmann::json current = legacy;
  current["include_tag_globs"] = nlohmann::json::array();
  EXPECT_EQ(UpgradeStoredTreeSpec(current), current);
}

}  // namespace
}  // namespace freightliner::replication
