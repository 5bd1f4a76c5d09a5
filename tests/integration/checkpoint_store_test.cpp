// The checkpoint store's contract, run against both engines: SQLite (the embedded default) and
// a real PostgreSQL 15 (cluster mode). Two replicas of one database stand for two serve
// processes: what one records, the other resumes from; and a runner whose job was taken over is
// fenced out of the run's checkpoints.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "integration/store_backends.hpp"

namespace freightliner::testing {
namespace {

using replication::CheckpointStore;
using replication::TaskRecord;
using replication::TaskState;

std::vector<TaskRecord> Plan(const std::string& repo, int64_t first_seq, int tags) {
  std::vector<TaskRecord> plan;
  for (int i = 0; i < tags; ++i) {
    const std::string tag = "v" + std::to_string(i);
    plan.push_back({.seq = first_seq + i,
                    .source = "src.example/" + repo + ":" + tag,
                    .destination = "dst.example/" + repo + ":" + tag});
  }
  return plan;
}

template <typename Backend>
class CheckpointStoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    replica_ = backend_.OpenReplica();
    ASSERT_TRUE(replica_.jobs->Migrate());
  }
  CheckpointStore& store() { return *replica_.checkpoints; }
  std::string NewRun() {
    auto id = store().CreateRun("sync", R"({"name":"mirror"})");
    EXPECT_TRUE(id) << id.error().ToString();
    return id ? *id : "";
  }
  // A job claimed by a runner: its lease carries the fence its checkpoint writes must show.
  store::JobLease ClaimedJob(const std::string& id, int64_t lease_ms) {
    store::StoredJob job{.id = id,
                         .type = "sync",
                         .status = store::JobStatus::kQueued,
                         .created_at_ms = 1000,
                         .doc = "{}"};
    EXPECT_TRUE(replica_.jobs->Insert(job));
    auto lease = replica_.jobs->Claim("runner-1", lease_ms);
    EXPECT_TRUE(lease && *lease);
    return lease && *lease ? **lease : store::JobLease{};
  }

  Backend backend_;
  StoreReplica replica_;
};

TYPED_TEST_SUITE(CheckpointStoreContractTest, StoreBackends, StoreBackendNames);

TYPED_TEST(CheckpointStoreContractTest, APlanAndItsTaskStatesAreReadByAnotherReplica) {
  const std::string run = this->NewRun();
  ASSERT_TRUE(this->store().SavePlan(run, Plan("team/app", 0, 3)));
  ASSERT_TRUE(this->store().RecordTask(
      run, {.seq = 0, .state = TaskState::kDone, .digest = "sha256:aa", .bytes = 42}));
  ASSERT_TRUE(this->store().RecordTask(
      run, {.seq = 2, .state = TaskState::kFailed, .error = "not_found: gone"}));

  StoreReplica other = this->backend_.OpenReplica();
  auto got = other.checkpoints->GetRun(run);
  ASSERT_TRUE(got && *got) << (got ? "no run" : got.error().ToString());
  EXPECT_EQ((*got)->kind, "sync");
  EXPECT_EQ((*got)->spec, R"({"name":"mirror"})");
  EXPECT_EQ((*got)->status, "running");
  EXPECT_TRUE((*got)->plan_complete);
  EXPECT_EQ((*got)->tasks_total, 3);
  EXPECT_EQ((*got)->tasks_done, 1);
  EXPECT_EQ((*got)->tasks_failed, 1);
  auto tasks = other.checkpoints->Tasks(run);
  ASSERT_TRUE(tasks);
  ASSERT_EQ(tasks->size(), 3u);
  EXPECT_EQ((*tasks)[0].state, TaskState::kDone);
  EXPECT_EQ((*tasks)[0].digest, "sha256:aa");
  EXPECT_EQ((*tasks)[0].bytes, 42u);
  EXPECT_EQ((*tasks)[1].state, TaskState::kPending);
  EXPECT_EQ((*tasks)[1].source, "src.example/team/app:v1");
  EXPECT_EQ((*tasks)[2].state, TaskState::kFailed);
  EXPECT_EQ((*tasks)[2].error, "not_found: gone");
}

TYPED_TEST(CheckpointStoreContractTest, APlanGrowsRepositoryByRepositoryAndClearsWhenCutShort) {
  const std::string run = this->NewRun();
  ASSERT_TRUE(this->store().AddTasks(run, Plan("team/a", 0, 2)));
  auto partial = this->store().GetRun(run);
  ASSERT_TRUE(partial && *partial);
  EXPECT_FALSE((*partial)->plan_complete);
  EXPECT_EQ((*partial)->status, "planning");
  EXPECT_EQ((*partial)->tasks_total, 2);

  ASSERT_TRUE(this->store().ClearPlan(run));  // a kill cut the plan short: plan again
  ASSERT_TRUE(this->store().AddTasks(run, Plan("team/a", 0, 2)));
  ASSERT_TRUE(this->store().AddTasks(run, Plan("team/b", 2, 3)));
  ASSERT_TRUE(this->store().CompletePlan(run));
  auto whole = this->store().GetRun(run);
  ASSERT_TRUE(whole && *whole);
  EXPECT_TRUE((*whole)->plan_complete);
  EXPECT_EQ((*whole)->status, "running");
  EXPECT_EQ((*whole)->tasks_total, 5);
  ASSERT_TRUE(this->store().SetStatus(run, "completed"));
  EXPECT_EQ((*this->store().GetRun(run))->status, "completed");
}

TYPED_TEST(CheckpointStoreContractTest, OnlyAWholeImageMovesTheDestinationTagsMemory) {
  const std::string run = this->NewRun();
  auto plan = Plan("team/app", 0, 2);
  plan[1].platforms = "linux/arm64";
  ASSERT_TRUE(this->store().SavePlan(run, plan));
  ASSERT_TRUE(this->store().RecordTask(run, {.seq = 0,
                                             .destination = plan[0].destination,
                                             .state = TaskState::kDone,
                                             .digest = "sha256:11"}));
  ASSERT_TRUE(this->store().RecordTask(run, {.seq = 1,
                                             .destination = plan[1].destination,
                                             .platforms = "linux/arm64",
                                             .state = TaskState::kDone,
                                             .digest = "sha256:22"}));
  EXPECT_EQ(this->store().LastDigest(plan[0].destination), "sha256:11");
  EXPECT_EQ(this->store().LastDigest(plan[1].destination), "");
  // A later run moves it; another replica reads the newest.
  ASSERT_TRUE(this->store().RecordTask(run, {.seq = 0,
                                             .destination = plan[0].destination,
                                             .state = TaskState::kUpToDate,
                                             .digest = "sha256:33"}));
  StoreReplica other = this->backend_.OpenReplica();
  EXPECT_EQ(other.checkpoints->LastDigest(plan[0].destination), "sha256:33");
}

TYPED_TEST(CheckpointStoreContractTest, ListAndDeleteRunsWithTheirTasks) {
  const std::string first = this->NewRun();
  ASSERT_TRUE(this->store().SavePlan(first, Plan("team/a", 0, 2)));
  const std::string second = this->NewRun();
  auto runs = this->store().ListRuns();
  ASSERT_TRUE(runs);
  std::set<std::string> ids;
  for (const auto& r : *runs)
    ids.insert(r.id);
  EXPECT_EQ(ids, (std::set<std::string>{first, second}));
  auto deleted = this->store().DeleteRun(first);
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(*deleted);
  auto again = this->store().DeleteRun(first);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto tasks = this->store().Tasks(first);
  ASSERT_TRUE(tasks);
  EXPECT_TRUE(tasks->empty());
  EXPECT_FALSE(*this->store().GetRun(first));
}

TYPED_TEST(CheckpointStoreContractTest, BlobLocationsAreSharedAndForgotten) {
  this->store().Remember("dst.example", "team/a", "sha256:blob");
  StoreReplica other = this->backend_.OpenReplica();
  EXPECT_EQ(other.checkpoints->RepositoryWith("dst.example", "sha256:blob", "team/b"), "team/a");
  EXPECT_EQ(other.checkpoints->RepositoryWith("dst.example", "sha256:blob", "team/a"),
            std::nullopt);
  EXPECT_EQ(other.checkpoints->RepositoryWith("other.example", "sha256:blob", ""), std::nullopt);
  this->store().Remember("dst.example", "team/a", "sha256:blob");  // again: no duplicate
  other.checkpoints->Forget("dst.example", "team/a", "sha256:blob");
  EXPECT_EQ(this->store().RepositoryWith("dst.example", "sha256:blob", ""), std::nullopt);
}

TYPED_TEST(CheckpointStoreContractTest, ALeaseHoldersWritesLandAndATakenOverRunnersAreRefused) {
  const store::JobLease lease = this->ClaimedJob("job-1", 1);  // expires at once
  auto holder = this->store().Fenced({.job_id = lease.id, .fence = lease.fence});
  auto run = holder->CreateRun("sync", "{}");
  ASSERT_TRUE(run) << run.error().ToString();
  ASSERT_TRUE(holder->SavePlan(*run, Plan("team/app", 0, 2)));
  ASSERT_TRUE(
      holder->RecordTask(*run, {.seq = 0, .state = TaskState::kDone, .digest = "sha256:a"}));

  // Another replica takes the expired lease over: the fence moves on.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  StoreReplica other = this->backend_.OpenReplica();
  auto taken = other.jobs->Claim("runner-2", 60'000);
  ASSERT_TRUE(taken && *taken);
  ASSERT_EQ((*taken)->fence, lease.fence + 1);

  const auto refused = [](const Status& s) { return !s && replication::IsTakeover(s.error()); };
  EXPECT_TRUE(refused(holder->RecordTask(
      *run, {.seq = 1, .state = TaskState::kFailed, .error = "written by the old holder"})));
  EXPECT_TRUE(refused(holder->SetStatus(*run, "failed")));
  EXPECT_TRUE(refused(holder->ClearPlan(*run)));
  EXPECT_TRUE(refused(holder->AddTasks(*run, Plan("team/b", 5, 1))));
  EXPECT_TRUE(refused(holder->CompletePlan(*run)));
  auto orphan = holder->CreateRun("sync", "{}");
  EXPECT_TRUE(!orphan && replication::IsTakeover(orphan.error()));

  // Nothing of the refused writes landed; the new holder resumes where the old one was.
  auto tasks = other.checkpoints->Tasks(*run);
  ASSERT_TRUE(tasks);
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[0].state, TaskState::kDone);
  EXPECT_EQ((*tasks)[1].state, TaskState::kPending);
  EXPECT_EQ((*other.checkpoints->GetRun(*run))->status, "running");
  EXPECT_EQ(other.checkpoints->ListRuns()->size(), 1u);
  auto new_holder = other.checkpoints->Fenced({.job_id = (*taken)->id, .fence = (*taken)->fence});
  EXPECT_TRUE(
      new_holder->RecordTask(*run, {.seq = 1, .state = TaskState::kDone, .digest = "sha256:b"}));
}

TYPED_TEST(CheckpointStoreContractTest, AJobEndedElsewhereRefusesItsRunnersWrites) {
  const store::JobLease lease = this->ClaimedJob("job-1", 60'000);
  auto holder = this->store().Fenced({.job_id = lease.id, .fence = lease.fence});
  auto run = holder->CreateRun("sync", "{}");
  ASSERT_TRUE(run);
  ASSERT_TRUE(
      this->replica_.jobs->Update("job-1", [](store::StoredJob job) -> Result<store::StoredJob> {
        job.status = store::JobStatus::kCanceled;  // canceled from another replica
        return job;
      }));
  const Status s = holder->SetStatus(*run, "completed");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kCanceled);
  EXPECT_FALSE(replication::IsTakeover(s.error())) << s.error().message;
  EXPECT_NE(s.error().message.find("job-1"), std::string::npos) << s.error().message;
  // The store itself (purges, the CLI) is not fenced.
  EXPECT_TRUE(this->store().SetStatus(*run, "interrupted"));
}

TYPED_TEST(CheckpointStoreContractTest, WorkersRecordTheirTagsConcurrently) {
  const std::string run = this->NewRun();
  constexpr int kTags = 64;
  ASSERT_TRUE(this->store().SavePlan(run, Plan("team/app", 0, kTags)));
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (int seq = w; seq < kTags; seq += 4) {
        EXPECT_TRUE(this->store().RecordTask(
            run, {.seq = seq, .state = TaskState::kDone, .digest = "sha256:x"}));
        this->store().Remember("dst.example", "team/app", "sha256:" + std::to_string(seq));
      }
    });
  }
  for (auto& t : workers)
    t.join();
  auto got = this->store().GetRun(run);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->tasks_done, kTags);
}

}  // namespace
}  // namespace freightliner::testing
