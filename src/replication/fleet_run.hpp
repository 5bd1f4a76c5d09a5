#pragma once
// One checkpointed fleet run, shared by the CLI (replicate-tree, sync) and the server's jobs:
// plan the tags and copy each repository's as soon as they are listed (or take the ones a
// checkpoint left), store the plan, record each tag as it ends, and set the run's final status.
//
//   auto result = RunFleet(store, run_id, clients, workers, mappings, options, observer, stop);

#include <functional>
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
  // A checkpoint write the run goes on without failed (a tag's record, the run's final status):
  // it is logged either way; serve counts it (freightliner_store_errors_total{operation="update"}).
  std::function<void(const Error&)> on_store_error;
};

struct FleetRunResult {
  RunSummary summary;
  int64_t tags_planned = 0;  // the whole plan, including tags a previous attempt finished
  bool resumed = false;      // the plan came from the checkpoint
  std::string status;        // completed | failed | interrupted
};

// Why a run that copied some tags did not complete, as one error: the first failed tag's code,
// "2 of 10 tags failed, first SRC -> DST: why" (or "3 of 10 tags not run").
Error SummaryError(const RunSummary& summary);

// How the plan grows. Calls are never concurrent.
struct PlanObserver {
  // A repository's tags joined the run (they may start at once); not called on a resume.
  std::function<void(int64_t tags)> on_tags_added;
  // The plan is whole: every tag, and those this attempt runs (fewer on a resume).
  std::function<void(int64_t tags_planned, int64_t tags_left)> on_planned;
};

// `run_id` must exist in `store`. A run whose plan the checkpoint holds whole resumes the tags
// not done; one without (new, or stopped while planning) is planned, and each repository's tags
// start copying as soon as they are listed. A planning failure stops the run, sets it to
// "failed" (or "interrupted" when `stop` was requested) and comes back as the error.
Result<FleetRunResult> RunFleet(CheckpointStore& store, const std::string& run_id,
                                registry::ClientPool& clients, WorkerPool& workers,
                                const std::vector<SyncMapping>& mappings,
                                const FleetRunOptions& options, EngineObserver observer,
                                std::stop_token stop, BlobLedger* ledger = nullptr,
                                const PlanObserver& plan_observer = {});

// A tree copy's mapping from its spec: source and destination (prefixes, "docker://" allowed),
// include_repos, exclude_repos (globs), include_tags, exclude_tags (RE2 regexes on the whole tag),
// include_tag_globs, exclude_tag_globs (lists of strings), allow_empty (bool) and platforms
// ("os/arch,..."), checked.
Result<SyncMapping> TreeMapping(const nlohmann::json& spec);
// A replicate-tree spec as a checkpoint stored it. One written before tag patterns matched the
// whole tag (it has no include_tag_globs) held regexes matched anywhere: they are rewritten to
// their whole-tag equivalents ("-rc" -> ".*-rc.*"), so that a resume selects what it did.
nlohmann::json UpgradeStoredTreeSpec(nlohmann::json spec);

// Client settings for one registry of a sync file's (or the server config's) `registries`.
registry::RegistryOverride ToOverride(const RegistrySettings& settings);
// Client pool settings from a sync file's `registries`.
registry::ClientPoolOptions PoolFromSyncConfig(const SyncConfig& config);

// Checkpoint rows and copy tasks, both ways. FromRecord checks the names like the planner does:
// a row an older version stored unchecked is a kInvalidName error (a resume fails that task
// alone and goes on with the others).
TaskRecord ToRecord(const CopyTask& task);
Result<CopyTask> FromRecord(const TaskRecord& record);
std::string JoinPlatforms(const std::vector<registry::Platform>& platforms);
Result<std::vector<registry::Platform>> SplitPlatforms(const std::string& text);

}  // namespace freightliner::replication
