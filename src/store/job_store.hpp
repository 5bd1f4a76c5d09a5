#pragma once
// Where the server's jobs live: one interface, two engines. SQLite (the embedded default, the
// file beside the checkpoints) and PostgreSQL (cluster mode: every replica shares it). The
// JobManager decides what a job is; a store only keeps rows, finds them and changes them
// atomically. The same typed tests run against both (tests/integration/job_store_test.cpp).
//
//   SqliteJobStore store(checkpoints.database(), checkpoints.mutex());
//   store.Migrate();
//   store.Insert({.id = "job-1", .type = "sync", .status = JobStatus::kQueued, ...});
//   store.Update("job-1", [](StoredJob job) -> Result<StoredJob> { ...; return job; });

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace freightliner::store {

enum class JobStatus { kQueued, kRunning, kSucceeded, kFailed, kCanceled };
inline constexpr JobStatus kAllJobStatuses[] = {JobStatus::kQueued, JobStatus::kRunning,
                                                JobStatus::kSucceeded, JobStatus::kFailed,
                                                JobStatus::kCanceled};
// "queued", "running", ... as the API and the rows say them.
std::string_view JobStatusName(JobStatus status);
std::optional<JobStatus> JobStatusFromName(std::string_view name);
bool Ended(JobStatus status);

// A row. `doc` is the job as JSON text, the store does not read it: what queries need is in
// the columns beside it, filled by whoever writes the row.
struct StoredJob {
  std::string id;
  std::string type;
  JobStatus status = JobStatus::kQueued;
  int64_t created_at_ms = 0;
  std::string doc;
  // Sync jobs: the configured sync's name (empty for other types).
  std::string sync_name;
  // A run narrowed to one tag (a push event's) is not a run of the whole sync.
  bool narrowed = false;
  bool dry_run = false;
  // A push event's job: its narrowed request, so that a repeat of the event finds the job while
  // it waits (empty for other jobs).
  std::string collapse_key;
  // The checkpoint run the job copies with (empty until it starts).
  std::string run_id;
  // The lease of the replica running it (cluster mode): who, until when (the store's clock,
  // Unix ms; 0: nobody), and the fencing token, one more at every claim. Written by the lease
  // calls only: Insert and Update leave them as they are.
  std::string owner;
  int64_t lease_until_ms = 0;
  int64_t fence = 0;
};

// A claimed job: its runner holds it while it renews the lease, and proves it with `fence` on
// every write (a runner whose lease was taken over holds an older fence).
struct JobLease {
  std::string id;
  int64_t fence = 0;
  // The owner of the lease that expired, when the job was taken over from a replica that
  // stopped renewing it; empty for a job nobody held.
  std::string taken_from;
};

// What an Update writes: `next` as the change made it, with the fields only the store sets
// (id, type, creation time, lease) taken from `current`.
StoredJob WithStoreOwnedFields(StoredJob next, const StoredJob& current);

// The position after the last job of a page (pages go from the newest to the oldest).
struct JobCursor {
  int64_t created_at_ms = 0;
  std::string id;
};

struct JobFilter {
  std::optional<JobStatus> status;
  std::string type;  // empty: any
  std::optional<JobCursor> after;
  int64_t limit = 100;
};

struct QueueStats {
  int64_t queued = 0;
  std::optional<int64_t> oldest_created_at_ms;  // none when nothing is queued
};

struct PurgeResult {
  int64_t jobs = 0;
  std::vector<std::string> run_ids;  // checkpoint runs of the purged jobs (nothing resumes them)
};

// Implementations are thread-safe. A failed call is an Error; rows are never thrown on.
class JobStore {
 public:
  virtual ~JobStore() = default;

  // Creates or upgrades the schema (idempotent; replicas may call it at the same time).
  virtual Status Migrate() = 0;

  // kClientError when the id exists.
  virtual Status Insert(const StoredJob& job) = 0;
  virtual Result<std::optional<StoredJob>> Get(const std::string& id) = 0;
  // Reads the row, lets `change` say what it becomes, and writes that, with no other write to
  // the row in between. kNotFound when there is no row; an error from `change` writes nothing.
  // The id, type and creation time stay as they were.
  using Change = std::function<Result<StoredJob>(StoredJob current)>;
  virtual Result<StoredJob> Update(const std::string& id, const Change& change) = 0;

  // Newest first, at most filter.limit rows.
  virtual Result<std::vector<StoredJob>> List(const JobFilter& filter) = 0;
  // Queued and running jobs, oldest first.
  virtual Result<std::vector<std::string>> Unfinished() = 0;
  // The jobs waiting for a runner (status queued).
  virtual Result<QueueStats> Queue() = 0;
  // The newest job with this collapse key still queued and not claimed by a runner: the one a
  // new event may join (joining an older one would run it before a job queued after it).
  virtual Result<std::optional<StoredJob>> QueuedWithKey(const std::string& collapse_key) = 0;
  // The newest job of the named sync (with that status, when given); `whole_runs_only` leaves
  // out dry runs and runs narrowed to one tag.
  virtual Result<std::optional<StoredJob>> LastOfSync(const std::string& sync,
                                                      std::optional<JobStatus> status,
                                                      bool whole_runs_only) = 0;
  // A whole run (not one narrowed to a tag) of the named sync is queued or running.
  virtual Result<bool> SyncRunPending(const std::string& sync) = 0;

  // Leases (one runner per job across replicas). Claim takes the oldest unfinished job whose
  // lease is free or expired (its runner died), for `owner` until the store's now + `lease_ms`;
  // none when there is nothing to run. Two claims never get the same job and fence.
  virtual Result<std::optional<JobLease>> Claim(const std::string& owner, int64_t lease_ms) = 0;
  // Extends the lease. False when it is lost: taken over (another fence) or the job ended
  // (canceled from any replica); the runner must stop.
  virtual Result<bool> Renew(const JobLease& lease, int64_t lease_ms) = 0;
  // Gives the lease up (a shutdown): another replica may claim the job at once.
  virtual Status Release(const JobLease& lease) = 0;

  // Schedules across replicas: true for exactly one caller per interval. Due when no slot of
  // `name` was taken in the last `every_ms` (by the store's clock).
  virtual Result<bool> ClaimScheduleSlot(const std::string& name, int64_t every_ms) = 0;

  // Deletes ended jobs created before `created_before_ms`, and the oldest ended jobs beyond the
  // newest `keep_ended`.
  virtual Result<PurgeResult> Purge(int64_t created_before_ms, int64_t keep_ended) = 0;

  // A small write that says whether the store takes writes now.
  virtual Status Heartbeat() = 0;
  // Empty when the store finds nothing wrong with itself; else what it found.
  virtual std::string CheckIntegrity() = 0;
  // The error says the store's data is damaged (not merely unreachable or busy).
  virtual bool IsCorruption(const Error& error) const = 0;
};

// SQL both engines' Claim adds to its choice: a job waits while another job with its collapse key
// (the same sync and tag, from push events) runs or is claimed, so two copies of one tag never race
// and an older image's copy cannot land after a newer one's.
inline constexpr const char* kNotBehindSameTag =
    "NOT EXISTS (SELECT 1 FROM jobs busy WHERE jobs.collapse_key != '' AND "
    "busy.collapse_key = jobs.collapse_key AND busy.id != jobs.id AND "
    "(busy.status = 'running' OR (busy.status = 'queued' AND busy.owner != '')))";

}  // namespace freightliner::store
