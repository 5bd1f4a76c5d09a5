// The job store's contract, run against both engines: SQLite (the file beside the checkpoints)
// and a real PostgreSQL 15 started for the suite. Every test gets an empty store, and two
// stores on one database stand for two replicas (two connections).

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "integration/store_backends.hpp"
#include "store/postgres_job_store.hpp"

namespace freightliner::testing {
namespace {

using nlohmann::json;
using store::JobStatus;
using store::StoredJob;

StoredJob Job(const std::string& id, int64_t created_at_ms, JobStatus status = JobStatus::kQueued,
              const std::string& type = "replicate") {
  return {.id = id,
          .type = type,
          .status = status,
          .created_at_ms = created_at_ms,
          .doc = json({{"id", id}, {"n", 0}}).dump()};
}

StoredJob SyncJob(const std::string& id, int64_t created_at_ms, const std::string& sync,
                  JobStatus status, bool narrowed = false, bool dry_run = false) {
  StoredJob job = Job(id, created_at_ms, status, "sync");
  job.sync_name = sync;
  job.narrowed = narrowed;
  job.dry_run = dry_run;
  return job;
}

std::vector<std::string> Ids(const std::vector<StoredJob>& jobs) {
  std::vector<std::string> ids;
  for (const auto& job : jobs)
    ids.push_back(job.id);
  return ids;
}

template <typename Backend>
class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = backend_.Open();
    ASSERT_TRUE(store_->Migrate());
  }
  void Put(const StoredJob& job) { ASSERT_TRUE(store_->Insert(job)) << job.id; }

  Backend backend_;
  std::unique_ptr<store::JobStore> store_;
};

TYPED_TEST_SUITE(JobStoreTest, StoreBackends, StoreBackendNames);

TYPED_TEST(JobStoreTest, MigrateTwiceAndFromASecondStoreChangesNothing) {
  this->Put(Job("job-a", 1000));
  ASSERT_TRUE(this->store_->Migrate());
  auto other = this->backend_.Open();
  ASSERT_TRUE(other->Migrate());
  auto row = other->Get("job-a");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->created_at_ms, 1000);
}

TYPED_TEST(JobStoreTest, InsertThenGetKeepsEveryColumn) {
  StoredJob job = SyncJob("job-1", 1700000000123, "nightly", JobStatus::kRunning, true, true);
  job.run_id = "run-9";
  job.doc = R"({"text":"caf\u00e9 \ud83d\ude80","quote":"'\""})";
  this->Put(job);
  auto row = this->store_->Get("job-1");
  ASSERT_TRUE(row) << row.error().ToString();
  ASSERT_TRUE(*row);
  const StoredJob& got = **row;
  EXPECT_EQ(got.id, "job-1");
  EXPECT_EQ(got.type, "sync");
  EXPECT_EQ(got.status, JobStatus::kRunning);
  EXPECT_EQ(got.created_at_ms, 1700000000123);
  EXPECT_EQ(got.doc, job.doc);
  EXPECT_EQ(got.sync_name, "nightly");
  EXPECT_TRUE(got.narrowed);
  EXPECT_TRUE(got.dry_run);
  EXPECT_EQ(got.run_id, "run-9");
  auto missing = this->store_->Get("job-none");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TYPED_TEST(JobStoreTest, AnIdTakenIsAClientErrorAndTheFirstRowStays) {
  this->Put(Job("job-1", 1000));
  StoredJob again = Job("job-1", 2000, JobStatus::kFailed);
  auto inserted = this->store_->Insert(again);
  ASSERT_FALSE(inserted);
  EXPECT_EQ(inserted.error().code, ErrorCode::kClientError) << inserted.error().ToString();
  auto row = this->store_->Get("job-1");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->created_at_ms, 1000);
  EXPECT_EQ((*row)->status, JobStatus::kQueued);
}

TYPED_TEST(JobStoreTest, UpdateWritesWhatTheChangeSaysButKeepsIdTypeAndCreation) {
  this->Put(Job("job-1", 1000));
  auto updated = this->store_->Update("job-1", [](StoredJob job) -> Result<StoredJob> {
    EXPECT_EQ(job.status, JobStatus::kQueued);
    job.status = JobStatus::kSucceeded;
    job.doc = R"({"done":true})";
    job.run_id = "run-1";
    job.id = "job-other";   // ignored
    job.type = "sync";      // ignored
    job.created_at_ms = 5;  // ignored
    return job;
  });
  ASSERT_TRUE(updated) << updated.error().ToString();
  auto row = this->store_->Get("job-1");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->status, JobStatus::kSucceeded);
  EXPECT_EQ((*row)->doc, R"({"done":true})");
  EXPECT_EQ((*row)->run_id, "run-1");
  EXPECT_EQ((*row)->type, "replicate");
  EXPECT_EQ((*row)->created_at_ms, 1000);
  auto other = this->store_->Get("job-other");
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
}

TYPED_TEST(JobStoreTest, UpdateOfNoRowIsNotFoundAndAFailedChangeWritesNothing) {
  auto none =
      this->store_->Update("job-none", [](StoredJob job) -> Result<StoredJob> { return job; });
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);

  this->Put(Job("job-1", 1000));
  auto refused = this->store_->Update("job-1", [](StoredJob) -> Result<StoredJob> {
    return MakeError(ErrorCode::kCanceled, "changed my mind");
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kCanceled);
  auto row = this->store_->Get("job-1");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->status, JobStatus::kQueued);
  // The store is usable after the rolled-back change.
  EXPECT_TRUE(this->store_->Update("job-1", [](StoredJob job) -> Result<StoredJob> {
    job.status = JobStatus::kRunning;
    return job;
  }));
}

// Two replicas (two connections) incrementing one counter in the doc: every read-change-write
// sees the last write, so no increment is lost.
TYPED_TEST(JobStoreTest, ConcurrentUpdatesFromTwoConnectionsLoseNothing) {
  this->Put(Job("job-1", 1000));
  auto second = this->backend_.Open();
  constexpr int kPerThread = 40;
  std::atomic<int> failures{0};
  const auto increment = [&](store::JobStore& store) {
    for (int i = 0; i < kPerThread; ++i) {
      auto done = store.Update("job-1", [](StoredJob job) -> Result<StoredJob> {
        json doc = json::parse(job.doc);
        doc["n"] = doc["n"].get<int>() + 1;
        job.doc = doc.dump();
        return job;
      });
      if (!done) {
        ++failures;
        ADD_FAILURE() << done.error().ToString();
      }
    }
  };
  std::thread a(increment, std::ref(*this->store_));
  std::thread b(increment, std::ref(*second));
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  auto row = this->store_->Get("job-1");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(json::parse((*row)->doc)["n"], 2 * kPerThread);
}

TYPED_TEST(JobStoreTest, ListPagesNewestFirstByStatusAndTypeWithACursor) {
  this->Put(Job("job-a", 1000, JobStatus::kSucceeded));
  this->Put(Job("job-b", 2000, JobStatus::kQueued));
  this->Put(Job("job-c", 2000, JobStatus::kSucceeded, "sync"));
  this->Put(Job("job-d", 3000, JobStatus::kFailed));
  auto all = this->store_->List({.limit = 10});
  ASSERT_TRUE(all) << all.error().ToString();
  // Same creation time: the greater id first.
  EXPECT_EQ(Ids(*all), (std::vector<std::string>{"job-d", "job-c", "job-b", "job-a"}));

  auto first = this->store_->List({.limit = 2});
  ASSERT_TRUE(first);
  EXPECT_EQ(Ids(*first), (std::vector<std::string>{"job-d", "job-c"}));
  auto next = this->store_->List(
      {.after = store::JobCursor{first->back().created_at_ms, first->back().id}, .limit = 2});
  ASSERT_TRUE(next);
  EXPECT_EQ(Ids(*next), (std::vector<std::string>{"job-b", "job-a"}));

  auto succeeded = this->store_->List({.status = JobStatus::kSucceeded, .limit = 10});
  ASSERT_TRUE(succeeded);
  EXPECT_EQ(Ids(*succeeded), (std::vector<std::string>{"job-c", "job-a"}));
  auto syncs = this->store_->List({.type = "sync", .limit = 10});
  ASSERT_TRUE(syncs);
  EXPECT_EQ(Ids(*syncs), (std::vector<std::string>{"job-c"}));
  auto none = this->store_->List({.type = "' OR 1=1 --", .limit = 10});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TYPED_TEST(JobStoreTest, UnfinishedAreQueuedAndRunningOldestFirst) {
  this->Put(Job("job-a", 3000, JobStatus::kRunning));
  this->Put(Job("job-b", 1000, JobStatus::kQueued));
  this->Put(Job("job-c", 2000, JobStatus::kSucceeded));
  this->Put(Job("job-d", 2500, JobStatus::kCanceled));
  auto unfinished = this->store_->Unfinished();
  ASSERT_TRUE(unfinished);
  EXPECT_EQ(*unfinished, (std::vector<std::string>{"job-b", "job-a"}));
}

TYPED_TEST(JobStoreTest, TheQueueCountsQueuedJobsAndKnowsTheOldest) {
  auto empty = this->store_->Queue();
  ASSERT_TRUE(empty) << empty.error().ToString();
  EXPECT_EQ(empty->queued, 0);
  EXPECT_FALSE(empty->oldest_created_at_ms);
  this->Put(Job("job-a", 3000));
  this->Put(Job("job-b", 2000));
  this->Put(Job("job-c", 1000, JobStatus::kRunning));
  this->Put(Job("job-d", 500, JobStatus::kFailed));
  auto queue = this->store_->Queue();
  ASSERT_TRUE(queue);
  EXPECT_EQ(queue->queued, 2);
  EXPECT_EQ(queue->oldest_created_at_ms, 2000);
}

// A repeated push event finds the job of its tag while the job waits unclaimed, and only then.
TYPED_TEST(JobStoreTest, AQueuedJobIsFoundByItsCollapseKeyUntilARunnerClaimsIt) {
  StoredJob first = SyncJob("job-1", 1000, "mirror", JobStatus::kQueued, /*narrowed=*/true);
  first.collapse_key = R"({"name":"mirror","tag":"v1"})";
  this->Put(first);
  StoredJob other = SyncJob("job-2", 900, "mirror", JobStatus::kQueued, /*narrowed=*/true);
  other.collapse_key = R"({"name":"mirror","tag":"v2"})";
  this->Put(other);
  this->Put(Job("job-3", 800));  // no key
  auto found = this->store_->QueuedWithKey(first.collapse_key);
  ASSERT_TRUE(found) << found.error().ToString();
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->id, "job-1");
  EXPECT_EQ((*found)->collapse_key, first.collapse_key);
  auto none = this->store_->QueuedWithKey("");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  // Of two waiting with the key (a push, then a delete of the tag), the newer.
  StoredJob newer = SyncJob("job-4", 1100, "mirror", JobStatus::kQueued, /*narrowed=*/true);
  newer.collapse_key = first.collapse_key;
  this->Put(newer);
  auto newest = this->store_->QueuedWithKey(first.collapse_key);
  ASSERT_TRUE(newest && *newest);
  EXPECT_EQ((*newest)->id, "job-4");
  // Claimed (oldest first: job-3, job-2, job-1, then job-4 once job-1 ended): no longer found.
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(this->store_->Claim("r1", 60'000));
  ASSERT_TRUE(this->store_->Update("job-1", [](StoredJob j) -> Result<StoredJob> {
    j.status = JobStatus::kSucceeded;
    return j;
  }));
  auto last = this->store_->Claim("r1", 60'000);
  ASSERT_TRUE(last && *last);
  EXPECT_EQ((*last)->id, "job-4");
  auto claimed = this->store_->QueuedWithKey(first.collapse_key);
  ASSERT_TRUE(claimed);
  EXPECT_FALSE(*claimed);
}

// Two jobs of one tag never run at once: the newer waits until the older ends, and jobs of other
// tags go ahead of it meanwhile.
TYPED_TEST(JobStoreTest, AJobWaitsWhileAnotherOfItsTagRuns) {
  const std::string key = R"({"name":"mirror","tag":"v1"})";
  StoredJob older = SyncJob("job-1", 1000, "mirror", JobStatus::kQueued, /*narrowed=*/true);
  older.collapse_key = key;
  this->Put(older);
  auto first = this->store_->Claim("r1", 60'000);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->id, "job-1");
  StoredJob newer = SyncJob("job-2", 2000, "mirror", JobStatus::kQueued, /*narrowed=*/true);
  newer.collapse_key = key;
  this->Put(newer);
  this->Put(Job("job-3", 3000));
  // job-1 is claimed, not yet marked running: job-2 waits already.
  auto second = this->store_->Claim("r2", 60'000);
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->id, "job-3");
  ASSERT_TRUE(this->store_->Update("job-1", [](StoredJob job) -> Result<StoredJob> {
    job.status = JobStatus::kRunning;
    return job;
  }));
  auto blocked = this->store_->Claim("r2", 60'000);
  ASSERT_TRUE(blocked);
  EXPECT_FALSE(*blocked) << (*blocked)->id;
  ASSERT_TRUE(this->store_->Update("job-1", [](StoredJob job) -> Result<StoredJob> {
    job.status = JobStatus::kSucceeded;
    return job;
  }));
  auto after = this->store_->Claim("r2", 60'000);
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->id, "job-2");
}

TYPED_TEST(JobStoreTest, LastOfSyncAndPendingTellWholeRunsFromNarrowedAndDryOnes) {
  this->Put(SyncJob("job-1", 1000, "nightly", JobStatus::kSucceeded));
  this->Put(SyncJob("job-2", 2000, "nightly", JobStatus::kSucceeded, /*narrowed=*/true));
  this->Put(SyncJob("job-3", 3000, "nightly", JobStatus::kFailed, false, /*dry_run=*/true));
  this->Put(SyncJob("job-4", 4000, "nightly", JobStatus::kQueued, /*narrowed=*/true));
  this->Put(SyncJob("job-5", 5000, "other", JobStatus::kSucceeded));

  const auto last = [&](std::optional<JobStatus> status, bool whole) {
    auto row = this->store_->LastOfSync("nightly", status, whole);
    EXPECT_TRUE(row) << row.error().ToString();
    return row && *row ? (*row)->id : std::string("none");
  };
  EXPECT_EQ(last(std::nullopt, false), "job-4");
  EXPECT_EQ(last(std::nullopt, true), "job-1");
  EXPECT_EQ(last(JobStatus::kSucceeded, false), "job-2");
  EXPECT_EQ(last(JobStatus::kSucceeded, true), "job-1");
  EXPECT_EQ(last(JobStatus::kRunning, false), "none");

  // Only a narrowed job is queued: the whole sync is not pending.
  auto pending = this->store_->SyncRunPending("nightly");
  ASSERT_TRUE(pending);
  EXPECT_FALSE(*pending);
  this->Put(SyncJob("job-6", 6000, "nightly", JobStatus::kRunning, false, /*dry_run=*/true));
  pending = this->store_->SyncRunPending("nightly");
  ASSERT_TRUE(pending);
  EXPECT_TRUE(*pending);
  pending = this->store_->SyncRunPending("other");
  ASSERT_TRUE(pending);
  EXPECT_FALSE(*pending);
}

TYPED_TEST(JobStoreTest, PurgeTakesOldAndSurplusEndedJobsNeverUnfinishedOnes) {
  StoredJob old_done = Job("job-old", 1000, JobStatus::kSucceeded);
  old_done.run_id = "run-old";
  this->Put(old_done);
  this->Put(Job("job-old-queued", 1500, JobStatus::kQueued));
  StoredJob mid = Job("job-mid", 5000, JobStatus::kFailed);
  mid.run_id = "run-mid";
  this->Put(mid);
  this->Put(Job("job-new1", 6000, JobStatus::kCanceled));
  this->Put(Job("job-new2", 7000, JobStatus::kSucceeded));
  this->Put(Job("job-running", 8000, JobStatus::kRunning));

  // Created before 2000, or beyond the 2 newest ended jobs.
  auto purged = this->store_->Purge(2000, 2);
  ASSERT_TRUE(purged) << purged.error().ToString();
  EXPECT_EQ(purged->jobs, 2);
  EXPECT_EQ(std::set<std::string>(purged->run_ids.begin(), purged->run_ids.end()),
            (std::set<std::string>{"run-old", "run-mid"}));
  auto left = this->store_->List({.limit = 10});
  ASSERT_TRUE(left);
  EXPECT_EQ(Ids(*left),
            (std::vector<std::string>{"job-running", "job-new2", "job-new1", "job-old-queued"}));
  auto again = this->store_->Purge(2000, 2);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->jobs, 0);
}

TYPED_TEST(JobStoreTest, HeartbeatWritesAndAHealthyStoreReportsNoDamage) {
  EXPECT_TRUE(this->store_->Heartbeat());
  EXPECT_TRUE(this->store_->Heartbeat());
  EXPECT_EQ(this->store_->CheckIntegrity(), "");
  EXPECT_FALSE(this->store_->IsCorruption(Error(ErrorCode::kNetwork, "connection refused")));
}

// Four runners on two replicas claim 30 jobs: each job goes to exactly one of them.
TYPED_TEST(JobStoreTest, ClaimsGiveEveryJobToExactlyOneRunner) {
  constexpr int kJobs = 30;
  for (int i = 0; i < kJobs; ++i)
    this->Put(Job("job-" + std::to_string(100 + i), 1000 + i));
  this->Put(Job("job-done", 10, JobStatus::kSucceeded));
  auto second = this->backend_.Open();
  std::mutex mu;
  std::vector<std::string> claimed;
  std::atomic<int> failures{0};
  const auto run = [&](store::JobStore& store, const std::string& owner) {
    for (;;) {
      auto lease = store.Claim(owner, 60'000);
      if (!lease) {
        ++failures;
        ADD_FAILURE() << lease.error().ToString();
        return;
      }
      if (!*lease) return;
      EXPECT_EQ((*lease)->fence, 1);
      std::lock_guard lock(mu);
      claimed.push_back((*lease)->id);
    }
  };
  std::vector<std::thread> runners;
  runners.emplace_back(run, std::ref(*this->store_), "a1");
  runners.emplace_back(run, std::ref(*this->store_), "a2");
  runners.emplace_back(run, std::ref(*second), "b1");
  runners.emplace_back(run, std::ref(*second), "b2");
  for (auto& t : runners)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(),
            static_cast<size_t>(kJobs));
  auto row = this->store_->Get("job-100");
  ASSERT_TRUE(row && *row);
  EXPECT_FALSE((*row)->owner.empty());
  EXPECT_GT((*row)->lease_until_ms, 0);
}

TYPED_TEST(JobStoreTest, ClaimsGoOldestFirst) {
  this->Put(Job("job-b", 2000));
  this->Put(Job("job-a", 1000, JobStatus::kRunning));
  auto first = this->store_->Claim("r1", 60'000);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->id, "job-a");
  auto second = this->store_->Claim("r1", 60'000);
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->id, "job-b");
  auto none = this->store_->Claim("r1", 60'000);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// A runner that died (its lease ran out) loses the job to the next claim, with a higher fence;
// its own renewals and releases then change nothing.
TYPED_TEST(JobStoreTest, AnExpiredLeaseIsTakenOverAndTheOldRunnerIsFencedOut) {
  this->Put(Job("job-1", 1000));
  auto dead = this->store_->Claim("replica-a", 1);
  ASSERT_TRUE(dead && *dead);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto second = this->backend_.Open();
  auto taken = second->Claim("replica-b", 60'000);
  ASSERT_TRUE(taken && *taken);
  EXPECT_EQ((*taken)->id, "job-1");
  EXPECT_EQ((*taken)->fence, (*dead)->fence + 1);
  EXPECT_EQ((*dead)->taken_from, "");  // nobody held it
  EXPECT_EQ((*taken)->taken_from, "replica-a");
  auto renewed = this->store_->Renew(**dead, 60'000);
  ASSERT_TRUE(renewed);
  EXPECT_FALSE(*renewed);
  ASSERT_TRUE(this->store_->Release(**dead));
  auto row = second->Get("job-1");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->owner, "replica-b");
  auto mine = second->Renew(**taken, 60'000);
  ASSERT_TRUE(mine);
  EXPECT_TRUE(*mine);
  // A live lease is not claimed again; once released it is, at once.
  auto none = this->store_->Claim("replica-a", 60'000);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_TRUE(second->Release(**taken));
  auto again = this->store_->Claim("replica-a", 60'000);
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->fence, (*taken)->fence + 1);
  EXPECT_EQ((*again)->taken_from, "");  // given up, not taken over
}

// Cancel from any replica: the runner's next renewal says the lease is gone. Updates leave the
// lease columns alone, whatever the change returns.
TYPED_TEST(JobStoreTest, AnEndedJobsLeaseCannotBeRenewedAndUpdatesKeepTheLease) {
  this->Put(Job("job-1", 1000));
  auto lease = this->store_->Claim("replica-a", 60'000);
  ASSERT_TRUE(lease && *lease);
  ASSERT_TRUE(this->store_->Update("job-1", [](StoredJob job) -> Result<StoredJob> {
    job.status = JobStatus::kCanceled;
    job.owner = "someone-else";
    job.fence = 99;
    job.lease_until_ms = 0;
    return job;
  }));
  auto row = this->store_->Get("job-1");
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->owner, "replica-a");
  EXPECT_EQ((*row)->fence, (*lease)->fence);
  EXPECT_GT((*row)->lease_until_ms, 0);
  auto renewed = this->store_->Renew(**lease, 60'000);
  ASSERT_TRUE(renewed);
  EXPECT_FALSE(*renewed);
  auto none = this->store_->Claim("replica-b", 60'000);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// Three replicas' schedulers wake for one slot: one of them runs it.
TYPED_TEST(JobStoreTest, AScheduleSlotGoesToOneCallerPerInterval) {
  std::vector<std::unique_ptr<store::JobStore>> replicas;
  for (int i = 0; i < 2; ++i)
    replicas.push_back(this->backend_.Open());
  std::atomic<int> won{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (store::JobStore* s : {this->store_.get(), replicas[0].get(), replicas[1].get()}) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, s] {
        auto slot = s->ClaimScheduleSlot("nightly", 60'000);
        if (!slot) {
          ++failures;
          ADD_FAILURE() << slot.error().ToString();
        } else if (*slot) {
          ++won;
        }
      });
    }
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(won.load(), 1);
  auto other = this->store_->ClaimScheduleSlot("hourly", 60'000);
  ASSERT_TRUE(other);
  EXPECT_TRUE(*other);
  auto short_first = this->store_->ClaimScheduleSlot("fast", 30);
  ASSERT_TRUE(short_first && *short_first);
  auto too_soon = this->store_->ClaimScheduleSlot("fast", 30);
  ASSERT_TRUE(too_soon);
  EXPECT_FALSE(*too_soon);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  auto next = this->store_->ClaimScheduleSlot("fast", 30);
  ASSERT_TRUE(next);
  EXPECT_TRUE(*next);
}

// PostgreSQL only: what a shared server adds.
using PostgresJobStoreTest = JobStoreTest<PostgresBackend>;

// Replicas start together: three stores migrate a new database at once, and the migrations run
// exactly once.
TEST_F(PostgresJobStoreTest, ReplicasMigratingTogetherRunEachMigrationOnce) {
  PostgresBackend fresh;
  std::vector<std::unique_ptr<store::JobStore>> stores;
  for (int i = 0; i < 3; ++i)
    stores.push_back(fresh.Open());
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (auto& s : stores) {
    threads.emplace_back([&failed, &s] {
      if (!s->Migrate()) ++failed;
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failed.load(), 0);
  PostgresServer& server = PostgresBackend::Server();
  EXPECT_EQ(server.Query("SELECT count(*) FROM schema_migrations", fresh.database()),
            std::to_string(store::PostgresJobStore::LatestSchemaVersion()));
}

TEST_F(PostgresJobStoreTest, ASchemaNewerThanTheBuildIsRefusedByName) {
  PostgresServer& server = PostgresBackend::Server();
  server.Query("INSERT INTO schema_migrations(version) VALUES (999)", backend_.database());
  auto refused = store_->Migrate();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("version 999"), std::string::npos)
      << refused.error().message;
}

TEST_F(PostgresJobStoreTest, AnErrorNeverHoldsThePassword) {
  PostgresServer& server = PostgresBackend::Server();
  std::string dsn = server.dsn("no_such_database");
  auto opened = store::PostgresJobStore::Open(dsn);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message.find(server.password()), std::string::npos)
      << opened.error().message;
  std::string wrong = server.dsn(backend_.database());
  wrong.replace(wrong.find(server.password()), server.password().size(), "not-the-password");
  auto refused = store::PostgresJobStore::Open(wrong);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message.find("not-the-password"), std::string::npos);
}

// A database restart (a failover) costs the calls made while it is down, not the store.
TEST_F(PostgresJobStoreTest, AStoreReconnectsAfterTheServerComesBack) {
  Put(Job("job-1", 1000));
  PostgresServer& server = PostgresBackend::Server();
  server.Kill();
  auto lost = store_->Get("job-1");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kNetwork) << lost.error().ToString();
  server.Restart();
  auto row = store_->Get("job-1");
  ASSERT_TRUE(row) << row.error().ToString();
  ASSERT_TRUE(*row);
  EXPECT_EQ((*row)->created_at_ms, 1000);
}

}  // namespace
}  // namespace freightliner::testing
