#pragma once
// The embedded job store: a `jobs` table in the SQLite database that holds the checkpoints,
// sharing its connection and mutex (one writer, and a job and its checkpoints in one file). The
// file belongs to one process: Migrate, at its start, frees the leases an earlier one left.

#include <mutex>

#include "state/sqlite.hpp"
#include "store/job_store.hpp"

namespace freightliner::store {

class SqliteJobStore final : public JobStore {
 public:
  // `db` and `mu` outlive the store; `mu` guards every use of `db`.
  SqliteJobStore(state::Database& db, std::mutex& mu) : db_(db), mu_(mu) {}

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
  std::string CheckIntegrity() override;
  bool IsCorruption(const Error& error) const override;

 private:
  Result<std::optional<StoredJob>> GetLocked(const std::string& id);
  Status AddQueryColumns();

  state::Database& db_;
  std::mutex& mu_;
};

}  // namespace freightliner::store
