#pragma once
// Runs a fleet of tag copies on a worker pool: each tag is one Copier run, tags in parallel, blobs
// of a tag in parallel, a global cap on blob transfers, per-registry limits in the clients, and a
// shared ledger so that a blob is transferred once per destination registry.
//
//   Engine engine(clients, pool, {.fail_fast = false}, observer);
//   RunSummary summary = engine.Run(tasks, stop);
//   RunSummary summary = engine.Run([&](const Engine::AddTask& add, std::stop_token s) {...},
//   stop);

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/semaphore.hpp"
#include "registry/client_pool.hpp"
#include "registry/reference.hpp"
#include "replication/blob_ledger.hpp"
#include "replication/checkpoint_store.hpp"
#include "replication/copier.hpp"
#include "replication/worker_pool.hpp"

namespace freightliner::replication {

struct CopyTask {
  int64_t seq = 0;  // its row in the checkpoint; kNotInPlan for a task the checkpoint never holds
  registry::Reference source;
  registry::Reference destination;
  std::vector<registry::Platform> platforms;
  std::optional<bool> destination_has_tag;     // from the planner's listing of destination tags
  bool destination_repository_is_new = false;  // that listing found no repository (not kept
                                               // in checkpoints: a resumed task asks again)
  std::string destination_last_digest;         // see CopyOptions; set only when trusted
  // Set on a placeholder for a name that failed validation (ErrorCode::kInvalidName): the engine
  // fails it at once, without a request, so that it reaches the summary and the observer. Its
  // source and destination hold the offending names escaped (QuoteUntrusted), never verbatim.
  std::optional<Error> rejected;
};

inline constexpr int64_t kNotInPlan = -1;

struct TaskResult {
  CopyTask task;
  TaskState state = TaskState::kPending;  // kPending: not run (stopped before it ran)
  CopyReport report;
  std::optional<Error> error;
  double seconds = 0;
};

struct RunSummary {
  int64_t total = 0;
  int64_t copied = 0;
  int64_t up_to_date = 0;
  int64_t failed = 0;
  int64_t not_run = 0;  // left pending by a stop or --fail-fast
  uint64_t bytes = 0;
  uint64_t layers = 0;
  uint64_t blobs_uploaded = 0;  // over the copied tags (would be, in a dry run)
  uint64_t blobs_mounted = 0;
  uint64_t blobs_existing = 0;
  double seconds = 0;
  std::vector<TaskResult> failures;
};

struct EngineOptions {
  bool dry_run = false;
  bool force = false;
  bool fail_fast = false;  // the first failed tag stops the run (default: keep going)
  int blob_concurrency = 4;
  int max_transfers = 16;  // blob transfers in flight across all tags
  // A dry run: where earlier runs saw blobs (read, never written), so that it counts a mount
  // where the real run will mount from there.
  BlobMemory* dry_run_memory = nullptr;
  // Asked before each manifest PUT of a real run (thread-safe); an error keeps that manifest
  // off the destination. Cluster mode checks the job's lease here.
  std::function<Status()> before_manifest_put;
};

// Called from worker threads: must be thread-safe.
struct EngineObserver {
  std::function<void(const CopyTask&)> on_task_start;
  std::function<void(const TaskResult&)> on_task_done;
  std::function<void(uint64_t)> on_bytes;
  // The same bytes with the task they belong to (its registry pair), as they stream.
  std::function<void(const CopyTask&, uint64_t)> on_task_bytes;
  std::function<void(const char*)> on_panic;
};

// Thread-safe: several runs may share one engine's pool and ledger (the server does).
class Engine {
 public:
  // `ledger`: knowledge of destination blobs shared with other engines (default: its own). A dry
  // run always keeps its own, which records what the run would transfer.
  Engine(registry::ClientPool& clients, WorkerPool& pool, EngineOptions options,
         EngineObserver observer = {}, BlobLedger* ledger = nullptr);

  // Runs every task and waits for them. A stop request ends the run early: tasks not yet done
  // come back kPending.
  RunSummary Run(const std::vector<CopyTask>& tasks, std::stop_token stop);

  // Runs the tasks `produce` adds while it runs (a planner adds each repository's tags as soon
  // as they are listed), then waits for every one. `produce` gets the run's stop token (a stop
  // request, or the first failure with fail_fast). When it fails, the run stops: tasks not
  // started come back kPending. `add` may be called from any thread. When it throws, the run
  // stops and the exception is rethrown once the tasks it added have ended. A task that throws
  // (anything) is a failed task (code internal) and an on_panic call.
  using AddTask = std::function<void(CopyTask)>;
  using Producer = std::function<Status(const AddTask& add, std::stop_token stop)>;
  RunSummary Run(const Producer& produce, std::stop_token stop);

 private:
  TaskResult RunOne(const CopyTask& task, std::stop_token stop);

  registry::ClientPool& clients_;
  WorkerPool& pool_;
  EngineOptions options_;
  EngineObserver observer_;
  ReadOnlyBlobMemory dry_run_memory_;
  BlobLedger own_ledger_;
  BlobLedger* ledger_;
  Semaphore transfer_slots_;
};

}  // namespace freightliner::replication
