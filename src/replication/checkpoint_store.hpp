#pragma once
// Checkpoints of fleet runs (replicate-tree, sync): the plan (every tag to copy) and each tag's
// state, in SQLite under the state directory or, in cluster mode, in PostgreSQL. A run killed at
// any moment resumes with exactly the tags that are not done. Secrets are never stored: a resumed
// run gets credentials anew.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "replication/blob_ledger.hpp"
#include "state/sqlite.hpp"

namespace freightliner::replication {

enum class TaskState { kPending, kDone, kUpToDate, kFailed };
std::string_view TaskStateName(TaskState s);

struct TaskRecord {
  int64_t seq = 0;
  std::string source;       // full reference, host/path:tag
  std::string destination;  // full reference
  std::string platforms;    // "linux/amd64,linux/arm64" or empty for all
  TaskState state = TaskState::kPending;
  std::string digest;
  uint64_t bytes = 0;
  std::string error;
};

// The whole image (no platform filter) is now at the destination tag: what the next run with
// --assume-destination-unchanged compares the source with (LastDigest).
bool LeavesWholeImage(const TaskRecord& task);

struct RunRecord {
  std::string id;
  std::string kind;        // "replicate-tree" | "sync"
  std::string spec;        // JSON: what was asked (no secrets), to plan again or resume
  std::string status;      // planning | running | completed | failed | interrupted
  int64_t created_at = 0;  // unix seconds
  int64_t updated_at = 0;
  int64_t tasks_total = 0;
  int64_t tasks_done = 0;  // done or up to date
  int64_t tasks_failed = 0;
  bool plan_complete = false;  // every selected tag is in the tasks (else: plan again)
};

// Who may write a run's checkpoints in cluster mode: the job whose lease carries this fencing
// token. A runner whose lease another replica took must not write over the new holder's progress.
struct WriteFence {
  std::string job_id;
  int64_t fence = 0;
};

// Also the memory of where blobs were seen at destinations, so that later runs mount instead of
// upload, and of what destination tags were left at. Thread-safe: workers record their tags
// concurrently. Two engines: SqliteCheckpointStore (embedded) and store::PostgresCheckpointStore
// (cluster mode), held to one contract by tests/integration/checkpoint_store_test.cpp.
class CheckpointStore : public BlobMemory {
 public:
  ~CheckpointStore() override = default;

  virtual Result<std::string> CreateRun(const std::string& kind, const std::string& spec) = 0;
  // A plan is stored repository by repository while copying has begun: ClearPlan (forgets a
  // plan cut short), AddTasks for each repository, then CompletePlan marks the run running.
  virtual Status ClearPlan(const std::string& run_id) = 0;
  virtual Status AddTasks(const std::string& run_id, const std::vector<TaskRecord>& tasks) = 0;
  virtual Status CompletePlan(const std::string& run_id) = 0;
  // A whole plan at once (a new run's): AddTasks and CompletePlan in one transaction.
  virtual Status SavePlan(const std::string& run_id, const std::vector<TaskRecord>& tasks) = 0;
  // Also remembers what a done or up-to-date tag (all platforms) now points to.
  virtual Status RecordTask(const std::string& run_id, const TaskRecord& task) = 0;
  // The digest an earlier run left `destination` (a full reference) at; empty if none.
  virtual std::string LastDigest(const std::string& destination) = 0;
  virtual Status SetStatus(const std::string& run_id, const std::string& status) = 0;

  virtual Result<std::optional<RunRecord>> GetRun(const std::string& run_id) = 0;
  virtual Result<std::vector<RunRecord>> ListRuns() = 0;
  virtual Result<std::vector<TaskRecord>> Tasks(const std::string& run_id) = 0;
  // True when the run existed.
  virtual Result<bool> DeleteRun(const std::string& run_id) = 0;

  // The same store (sharing its connection), whose writes of runs and tasks (everything above
  // that changes a run) are refused with kCanceled once `fence` is no longer the job's lease, or
  // the job ended (canceled elsewhere). The check and the write are one transaction, so a write
  // lands before a takeover or not at all. The blob memory stays unfenced: it is a hint.
  virtual std::unique_ptr<CheckpointStore> Fenced(const WriteFence& fence) = 0;
};

// "20261124-235959-3fa9": sortable by time. Two replicas may draw the same one in the same
// second; a store that finds the id taken draws again.
std::string NewRunId();

// The error (kCanceled) of a write refused by a fence: the job was taken over by another runner,
// or it ended (canceled from another replica).
enum class FenceLoss { kTakenOver, kEnded };
Error FencedOut(const WriteFence& fence, FenceLoss loss);
// True for FencedOut(..., kTakenOver): what freightliner_job_fencing_rejections_total counts.
bool IsTakeover(const Error& error);

// The embedded engine: <state_dir>/freightliner.db, one connection behind a mutex (shared with
// store::SqliteJobStore, so a job and its checkpoints live in one file).
class SqliteCheckpointStore final : public CheckpointStore {
 public:
  // Opens (creating) <state_dir>/freightliner.db, creating the directory.
  static Result<std::unique_ptr<SqliteCheckpointStore>> Open(const std::string& state_dir);

  Result<std::string> CreateRun(const std::string& kind, const std::string& spec) override;
  Status ClearPlan(const std::string& run_id) override;
  Status AddTasks(const std::string& run_id, const std::vector<TaskRecord>& tasks) override;
  Status CompletePlan(const std::string& run_id) override;
  Status SavePlan(const std::string& run_id, const std::vector<TaskRecord>& tasks) override;
  Status RecordTask(const std::string& run_id, const TaskRecord& task) override;
  std::string LastDigest(const std::string& destination) override;
  Status SetStatus(const std::string& run_id, const std::string& status) override;
  Result<std::optional<RunRecord>> GetRun(const std::string& run_id) override;
  Result<std::vector<RunRecord>> ListRuns() override;
  Result<std::vector<TaskRecord>> Tasks(const std::string& run_id) override;
  Result<bool> DeleteRun(const std::string& run_id) override;
  std::unique_ptr<CheckpointStore> Fenced(const WriteFence& fence) override;

  std::optional<std::string> RepositoryWith(const std::string& registry, const std::string& digest,
                                            const std::string& except) override;
  void Remember(const std::string& registry, const std::string& repo,
                const std::string& digest) override;
  void Forget(const std::string& registry, const std::string& repo,
              const std::string& digest) override;

  state::Database& database() { return *shared_->db; }
  std::mutex& mutex() { return shared_->mu; }

 private:
  struct Shared {
    std::mutex mu;
    std::unique_ptr<state::Database> db;  // mu
  };
  SqliteCheckpointStore(std::shared_ptr<Shared> shared, std::optional<WriteFence> fence)
      : shared_(std::move(shared)), fence_(std::move(fence)) {}
  Status Migrate();
  Result<bool> RunsHavePlanComplete();
  // Runs `write` in one transaction, after the fence check when this is a fenced view.
  Status WriteLocked(const std::function<Status()>& write);
  Status InsertTasksLocked(const std::string& run_id, const std::vector<TaskRecord>& tasks);
  Status CompletePlanLocked(const std::string& run_id);

  std::shared_ptr<Shared> shared_;
  std::optional<WriteFence> fence_;
};

// $XDG_STATE_HOME/freightliner, else ~/.local/state/freightliner.
std::string DefaultStateDir();

}  // namespace freightliner::replication
