#pragma once
// Cluster mode's job store: the `jobs` table in a PostgreSQL database that every replica
// shares. Migrations are versioned (table schema_migrations) and run under an advisory lock, so
// replicas may start together and roll one by one. They create the whole shared schema, the
// checkpoints' tables (PostgresCheckpointStore) included.
//
//   auto store = PostgresJobStore::Open("postgresql://freightliner@db/freightliner");
//   (*store)->Migrate();

#include <memory>
#include <string>

#include "state/postgres.hpp"
#include "store/job_store.hpp"

namespace freightliner::store {

// The advisory lock key of migrations: the same in every replica and version.
inline constexpr int64_t kMigrationLock = 0x66726569676874;  // "freight"

class PostgresJobStore final : public JobStore {
 public:
  // Connects (the error never holds the connection string's password).
  static Result<std::unique_ptr<PostgresJobStore>> Open(const std::string& dsn,
                                                        const std::string& password = "");

  Status Migrate() override;
  Status Insert(const StoredJob& job) override;
  Result<std::optional<StoredJob>> Get(const std::string& id) override;
  Result<StoredJob> Update(const std::string& id, const Change& change) override;
  Result<std::vector<StoredJob>> List(const JobFilter& filter) override;
  Result<std::vector<std::string>> Unfinished() override;
  Result<QueueStats> Queue() override;
  Result<std::optional<StoredJob>> QueuedWithKey(const std::string& collapse_key) override;
  Result<std::optional<StoredJob>> LastOfSync(const std::string& sync,
                                              std::optional<JobStatus> status,
                                              bool whole_runs_only) override;
  Result<bool> SyncRunPending(const std::string& sync) override;
  Result<std::optional<JobLease>> Claim(const std::string& owner, int64_t lease_ms) override;
  Result<bool> Renew(const JobLease& lease, int64_t lease_ms) override;
  Status Release(const JobLease& lease) override;
  Result<bool> ClaimScheduleSlot(const std::string& name, int64_t every_ms) override;
  Result<PurgeResult> Purge(int64_t created_before_ms, int64_t keep_ended) override;
  Status Heartbeat() override;
  // PostgreSQL checks its own pages (data checksums): nothing to add here.
  std::string CheckIntegrity() override { return ""; }
  bool IsCorruption(const Error& error) const override;

  // The schema version this build migrates to.
  static int LatestSchemaVersion();

 private:
  explicit PostgresJobStore(std::unique_ptr<state::pg::Session> session)
      : session_(std::move(session)) {}

  std::unique_ptr<state::pg::Session> session_;
};

}  // namespace freightliner::store
