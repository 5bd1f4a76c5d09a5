#include "replication/checkpoint_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace freightliner::replication {
namespace {

class CheckpointStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("freightliner-ckpt-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(CheckpointStoreTest, PlanAndTaskStatesSurviveReopening) {
  std::string run_id;
  {
    auto store = SqliteCheckpointStore::Open(dir_.string());
    ASSERT_TRUE(store) << store.error().message;
    auto id = (*store)->CreateRun("replicate-tree", R"({"source":"a"})");
    ASSERT_TRUE(id);
    run_id = *id;
    std::vector<TaskRecord> plan = {{.seq = 0, .source = "r/a:1", .destination = "d/a:1"},
                                    {.seq = 1, .source = "r/a:2", .destination = "d/a:2"},
                                    {.seq = 2, .source = "r/b:1", .destination = "d/b:1"}};
    ASSERT_TRUE((*store)->SavePlan(run_id, plan));
    ASSERT_TRUE((*store)->RecordTask(
        run_id, {.seq = 0, .state = TaskState::kDone, .digest = "sha256:aa", .bytes = 42}));
    ASSERT_TRUE((*store)->RecordTask(
        run_id, {.seq = 2, .state = TaskState::kFailed, .error = "not_found: gone"}));
  }
  auto store = SqliteCheckpointStore::Open(dir_.string());
  ASSERT_TRUE(store);
  auto run = (*store)->GetRun(run_id);
  ASSERT_TRUE(run && *run);
  EXPECT_EQ((*run)->status, "running");
  EXPECT_EQ((*run)->tasks_total, 3);
  EXPECT_EQ((*run)->tasks_done, 1);
  EXPECT_EQ((*run)->tasks_failed, 1);
  EXPECT_EQ((*run)->spec, R"({"source":"a"})");
  auto tasks = (*store)->Tasks(run_id);
  ASSERT_TRUE(tasks);
  ASSERT_EQ(tasks->size(), 3u);
  EXPECT_EQ((*tasks)[0].state, TaskState::kDone);
  EXPECT_EQ((*tasks)[0].bytes, 42u);
  EXPECT_EQ((*tasks)[1].state, TaskState::kPending);
  EXPECT_EQ((*tasks)[2].error, "not_found: gone");
}

TEST_F(CheckpointStoreTest, ListAndDelete) {
  auto store = SqliteCheckpointStore::Open(dir_.string());
  ASSERT_TRUE(store);
  auto a = (*store)->CreateRun("sync", "{}");
  auto b = (*store)->CreateRun("sync", "{}");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  ASSERT_TRUE((*store)->SavePlan(*a, {{.seq = 0, .source = "s", .destination = "d"}}));
  EXPECT_EQ((*store)->ListRuns()->size(), 2u);
  EXPECT_TRUE(*(*store)->DeleteRun(*a));
  EXPECT_FALSE(*(*store)->DeleteRun(*a));
  EXPECT_EQ((*store)->ListRuns()->size(), 1u);
  EXPECT_TRUE((*store)->Tasks(*a)->empty());  // cascaded
  EXPECT_FALSE(*(*store)->GetRun("nope"));
}

TEST_F(CheckpointStoreTest, APlanGrowsRepositoryByRepositoryUntilComplete) {
  auto store = SqliteCheckpointStore::Open(dir_.string());
  ASSERT_TRUE(store);
  auto id = (*store)->CreateRun("replicate-tree", "{}");
  ASSERT_TRUE(id);
  ASSERT_TRUE((*store)->AddTasks(*id, {{.seq = 0, .source = "r/a:1", .destination = "d/a:1"}}));
  ASSERT_TRUE((*store)->RecordTask(*id, {.seq = 0, .state = TaskState::kDone}));
  ASSERT_TRUE((*store)->AddTasks(*id, {{.seq = 1, .source = "r/b:1", .destination = "d/b:1"}}));
  auto partial = (*store)->GetRun(*id);
  ASSERT_TRUE(partial && *partial);
  EXPECT_EQ((*partial)->status, "planning");
  EXPECT_FALSE((*partial)->plan_complete);
  EXPECT_EQ((*partial)->tasks_total, 2);
  EXPECT_EQ((*partial)->tasks_done, 1);

  ASSERT_TRUE((*store)->CompletePlan(*id));
  auto complete = (*store)->GetRun(*id);
  EXPECT_EQ((*complete)->status, "running");
  EXPECT_TRUE((*complete)->plan_complete);

  ASSERT_TRUE((*store)->ClearPlan(*id));  // planning again
  auto cleared = (*store)->GetRun(*id);
  EXPECT_EQ((*cleared)->status, "planning");
  EXPECT_FALSE((*cleared)->plan_complete);
  EXPECT_TRUE((*store)->Tasks(*id)->empty());
}

TEST_F(CheckpointStoreTest, RunsOfAnOlderDatabaseCountAsPlannedWhole) {
  {
    // The runs table as it was before plans were stored repository by repository.
    std::filesystem::create_directories(dir_);
    auto db = state::Database::Open((dir_ / "freightliner.db").string());
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Exec(
        "CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, spec TEXT NOT NULL, "
        "status TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
        "INSERT INTO runs VALUES('old', 'sync', '{}', 'interrupted', 1, 1);"));
  }
  auto store = SqliteCheckpointStore::Open(dir_.string());
  ASSERT_TRUE(store) << store.error().message;
  auto old = (*store)->GetRun("old");
  ASSERT_TRUE(old && *old);
  EXPECT_TRUE((*old)->plan_complete);
  auto fresh = (*store)->CreateRun("sync", "{}");
  ASSERT_TRUE(fresh);
  EXPECT_FALSE((*(*store)->GetRun(*fresh))->plan_complete);
}

TEST_F(CheckpointStoreTest, RemembersWhereBlobsWereSeenAcrossReopening) {
  {
    auto store = SqliteCheckpointStore::Open(dir_.string());
    ASSERT_TRUE(store);
    (*store)->Remember("reg", "team/a", "sha256:1");
    (*store)->Remember("reg", "team/b", "sha256:1");
    (*store)->Remember("other", "team/c", "sha256:2");
  }
  auto store = SqliteCheckpointStore::Open(dir_.string());
  ASSERT_TRUE(store);
  auto& memory = **store;
  const auto from_a = memory.RepositoryWith("reg", "sha256:1", "team/b");
  ASSERT_TRUE(from_a);
  EXPECT_EQ(*from_a, "team/a");  // never the repository that asks
  EXPECT_TRUE(memory.RepositoryWith("reg", "sha256:1", "team/x"));
  EXPECT_FALSE(memory.RepositoryWith("reg", "sha256:2", "team/x"));  // another registry's
  memory.Forget("reg", "team/a", "sha256:1");
  EXPECT_FALSE(memory.RepositoryWith("reg", "sha256:1", "team/b"));
}

TEST_F(CheckpointStoreTest, UnwritableDirectoryIsAClearError) {
  auto store = SqliteCheckpointStore::Open("/proc/freightliner-cannot-exist");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("/proc/freightliner-cannot-exist"), std::string::npos);
}

}  // namespace
}  // namespace freightliner::replication
