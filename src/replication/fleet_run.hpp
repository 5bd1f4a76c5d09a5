#pragma once
// One checkpointed fleet run, shared by the CLI (replicate-tree, sync) and the server's jobs:
// plan the tags (or take the ones a checkpoint left), store the plan, copy on the worker pool,
// record each tag as it ends, and set the run's final status.
//
//   auto result = RunFleet(store, run_id, clients, workers, mappings, options, observer, stop);

#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "registry/client_pool.hpp"
#include "replication/checkpoint_store.hpp"
#include "replication/engine.hpp"
#include "replication/planner.hpp"
#include "replication/sync_config.hpp"
#include "replication/worker_pool.hpp"

namespace freightliner::replication {

struct FleetRunOptions {
  EngineOptions engine;
  PlanOptions plan;
  // A tag the destination lists, and that an earlier run left at the digest the source still
  // has, is up to date without a HEAD at the destination. Half the requests of a resync; a tag
  // changed at the destination by someone else since is not noticed.
  bool assume_destination_unchanged = false;
};

struct FleetRunResult {
  RunSummary summary;
  int64_t tags_planned = 0;  // the whole plan, including tags a previous attempt finished
  bool resumed = false;      // the plan came from the checkpoint
  std::string status;        // completed | failed | interrupted
};

// Called with the plan's size once it is known (planned, or read from the checkpoint).
using PlannedCallback = std::function<void(int64_t tags_planned, int64_t tags_left)>;

// `run_id` must exist in `store`. A run with tasks in the checkpoint resumes them; one without
// (new, or stopped while planning) is planned. A planning failure sets the run to "failed" (or
// "interrupted" when `stop` was requested) and comes back as the error.
Result<FleetRunResult> RunFleet(CheckpointStore& store, const std::string& run_id,
                                registry::ClientPool& clients, WorkerPool& workers,
                                const std::vector<SyncMapping>& mappings,
                                const FleetRunOptions& options, EngineObserver observer,
                                std::stop_token stop, BlobLedger* ledger = nullptr,
                                const PlannedCallback& on_planned = {});

// A tree copy's mapping from its spec: source, destination, include_repos, exclude_repos,
// include_tags, exclude_tags (lists of strings) and platforms ("os/arch,..."), checked.
Result<SyncMapping> TreeMapping(const nlohmann::json& spec);

// Client settings for one registry of a sync file's (or the server config's) `registries`.
registry::RegistryOverride ToOverride(const RegistrySettings& settings);
// Client pool settings from a sync file's `registries`.
registry::ClientPoolOptions PoolFromSyncConfig(const SyncConfig& config);

// Checkpoint rows and copy tasks, both ways.
TaskRecord ToRecord(const CopyTask& task);
Result<CopyTask> FromRecord(const TaskRecord& record);
std::string JoinPlatforms(const std::vector<registry::Platform>& platforms);
Result<std::vector<registry::Platform>> SplitPlatforms(const std::string& text);

}  // namespace freightliner::replication
