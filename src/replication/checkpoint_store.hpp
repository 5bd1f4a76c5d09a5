#pragma once
// Checkpoints of fleet runs (replicate-tree, sync): the plan (every tag to copy) and each tag's
// state, in SQLite under the state directory. A run killed at any moment resumes with exactly the
// tags that are not done. Secrets are never stored: a resumed run gets credentials anew.

#include <cstdint>
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

// Thread-safe: one connection behind a mutex; workers record their tags concurrently. Also the
// memory of where blobs were seen at destinations, so that later runs mount instead of upload.
class CheckpointStore : public BlobMemory {
 public:
  // Opens (creating) <state_dir>/freightliner.db, creating the directory.
  static Result<std::unique_ptr<CheckpointStore>> Open(const std::string& state_dir);

  Result<std::string> CreateRun(const std::string& kind, const std::string& spec);
  // A plan is stored repository by repository while copying has begun: ClearPlan (forgets a
  // plan cut short), AddTasks for each repository, then CompletePlan marks the run running.
  Status ClearPlan(const std::string& run_id);
  Status AddTasks(const std::string& run_id, const std::vector<TaskRecord>& tasks);
  Status CompletePlan(const std::string& run_id);
  // A whole plan at once (a new run's): AddTasks and CompletePlan in one transaction.
  Status SavePlan(const std::string& run_id, const std::vector<TaskRecord>& tasks);
  // Also remembers what a done or up-to-date tag (all platforms) now points to.
  Status RecordTask(const std::string& run_id, const TaskRecord& task);
  // The digest an earlier run left `destination` (a full reference) at; empty if none.
  std::string LastDigest(const std::string& destination);
  Status SetStatus(const std::string& run_id, const std::string& status);

  Result<std::optional<RunRecord>> GetRun(const std::string& run_id);
  Result<std::vector<RunRecord>> ListRuns();
  Result<std::vector<TaskRecord>> Tasks(const std::string& run_id);
  // True when the run existed.
  Result<bool> DeleteRun(const std::string& run_id);

  std::optional<std::string> RepositoryWith(const std::string& registry, const std::string& digest,
                                            const std::string& except) override;
  void Remember(const std::string& registry, const std::string& repo,
                const std::string& digest) override;
  void Forget(const std::string& registry, const std::string& repo,
              const std::string& digest) override;

  state::Database& database() { return *db_; }
  std::mutex& mutex() { return mu_; }

 private:
  explicit CheckpointStore(std::unique_ptr<state::Database> db) : db_(std::move(db)) {}
  Status Migrate();
  Result<bool> RunsHavePlanComplete();
  Status InsertTasksLocked(const std::string& run_id, const std::vector<TaskRecord>& tasks);
  Status CompletePlanLocked(const std::string& run_id);

  std::mutex mu_;
  std::unique_ptr<state::Database> db_;
};

// $XDG_STATE_HOME/freightliner, else ~/.local/state/freightliner.
std::string DefaultStateDir();

}  // namespace freightliner::replication
