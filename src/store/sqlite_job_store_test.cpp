#include "store/sqlite_job_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "replication/checkpoint_store.hpp"

namespace freightliner::store {
namespace {

// A database written before the job store had query columns: Migrate adds them, filled from
// each row's doc, so that the syncs' last runs and pending runs read the same after an upgrade.
TEST(SqliteJobStoreTest, MigrateFillsTheQueryColumnsOfRowsFromEarlierVersions) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("freightliner-jobstore-upgrade-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto checkpoints = replication::SqliteCheckpointStore::Open(dir.string());
  ASSERT_TRUE(checkpoints) << checkpoints.error().message;
  state::Database& db = (*checkpoints)->database();
  ASSERT_TRUE(db.Exec(R"(
CREATE TABLE jobs (id TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL,
                   created_at REAL NOT NULL, doc TEXT NOT NULL);
INSERT INTO jobs VALUES ('job-whole', 'sync', 'succeeded', 1000,
  '{"request":{"name":"nightly"},"run_id":"run-1"}');
INSERT INTO jobs VALUES ('job-tag', 'sync', 'queued', 2000,
  '{"request":{"name":"nightly","registry":"r","repository":"a","tag":"v1"},"run_id":""}');
INSERT INTO jobs VALUES ('job-dry', 'sync', 'running', 3000,
  '{"request":{"name":"nightly","dry_run":true},"run_id":"run-3"}');
INSERT INTO jobs VALUES ('job-copy', 'replicate', 'failed', 4000,
  '{"request":{"name":"not-a-sync"},"run_id":""}');
INSERT INTO jobs VALUES ('job-corrupt', 'sync', 'queued', 5000, 'not json {');
)"));
  SqliteJobStore store(db, (*checkpoints)->mutex());
  ASSERT_TRUE(store.Migrate());
  ASSERT_TRUE(store.Migrate());  // the second time finds the columns there

  const auto row = [&](const std::string& id) {
    auto got = store.Get(id);
    EXPECT_TRUE(got && *got) << id;
    return got && *got ? **got : StoredJob{};
  };
  EXPECT_EQ(row("job-whole").sync_name, "nightly");
  EXPECT_FALSE(row("job-whole").narrowed);
  EXPECT_EQ(row("job-whole").run_id, "run-1");
  EXPECT_TRUE(row("job-tag").narrowed);
  EXPECT_TRUE(row("job-dry").dry_run);
  EXPECT_EQ(row("job-dry").run_id, "run-3");
  EXPECT_EQ(row("job-copy").sync_name, "");
  EXPECT_EQ(row("job-corrupt").doc, "not json {");
  EXPECT_EQ(row("job-corrupt").sync_name, "");

  auto last = store.LastOfSync("nightly", std::nullopt, /*whole_runs_only=*/true);
  ASSERT_TRUE(last && *last);
  EXPECT_EQ((*last)->id, "job-whole");
  auto pending = store.SyncRunPending("nightly");
  ASSERT_TRUE(pending);
  EXPECT_TRUE(*pending);  // the dry run is running
  checkpoints->reset();
  std::filesystem::remove_all(dir);
}

TEST(JobStatusTest, NamesRoundTrip) {
  for (JobStatus status : kAllJobStatuses) {
    EXPECT_EQ(JobStatusFromName(JobStatusName(status)), status);
  }
  EXPECT_FALSE(JobStatusFromName("Queued"));
  EXPECT_FALSE(JobStatusFromName(""));
  EXPECT_TRUE(Ended(JobStatus::kCanceled));
  EXPECT_FALSE(Ended(JobStatus::kRunning));
}

}  // namespace
}  // namespace freightliner::store
