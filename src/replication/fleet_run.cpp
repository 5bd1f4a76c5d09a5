#include "replication/fleet_run.hpp"

#include <spdlog/spdlog.h>

#include "common/format.hpp"

namespace freightliner::replication {

std::string JoinPlatforms(const std::vector<registry::Platform>& platforms) {
  std::string out;
  for (const auto& p : platforms) {
    if (!out.empty()) out += ',';
    out += p.String();
  }
  return out;
}

Result<std::vector<registry::Platform>> SplitPlatforms(const std::string& text) {
  std::vector<registry::Platform> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t comma = text.find(',', start);
    auto p = registry::ParsePlatform(text.substr(start, comma - start));
    if (!p) return tl::unexpected(p.error());
    out.push_back(*p);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

TaskRecord ToRecord(const CopyTask& t) {
  return TaskRecord{.seq = t.seq,
                    .source = t.source.String(),
                    .destination = t.destination.String(),
                    .platforms = JoinPlatforms(t.platforms)};
}

Result<CopyTask> FromRecord(const TaskRecord& r) {
  CopyTask t;
  t.seq = r.seq;
  // A row written by an older version may hold any name a registry listed: parsed, it is checked
  // against the grammar like a name just listed.
  auto src = registry::ParseReference(r.source);
  if (!src) return MakeError(ErrorCode::kInvalidName, src.error().message);
  auto dst = registry::ParseReference(r.destination);
  if (!dst) return MakeError(ErrorCode::kInvalidName, dst.error().message);
  auto platforms = SplitPlatforms(r.platforms);
  if (!platforms) return tl::unexpected(platforms.error());
  t.source = *src;
  t.destination = *dst;
  t.platforms = *platforms;
  return t;
}

Result<SyncMapping> TreeMapping(const nlohmann::json& spec) {
  SyncMapping m;
  m.recursive = true;
  for (auto [key, target] :
       {std::pair{"source", &m.source}, std::pair{"destination", &m.destination}}) {
    const std::string given = spec.value(key, "");
    auto text = registry::StripTransport(given);
    if (!text) return tl::unexpected(text.error());
    auto prefix = registry::ParseRepositoryPrefix(*text);
    if (!prefix) return tl::unexpected(prefix.error());
    *target = std::move(*prefix);
  }
  const auto strings = [&](const char* key) { return spec.value(key, std::vector<std::string>{}); };
  m.repos.include = strings("include_repos");
  m.repos.exclude = strings("exclude_repos");
  m.tags.include = strings("include_tags");
  m.tags.exclude = strings("exclude_tags");
  m.tags.include_globs = strings("include_tag_globs");
  m.tags.exclude_globs = strings("exclude_tag_globs");
  m.allow_empty = spec.value("allow_empty", false);
  if (Status s = m.repos.Check(); !s) return tl::unexpected(s.error());
  auto platforms = SplitPlatforms(spec.value("platforms", ""));
  if (!platforms) return tl::unexpected(platforms.error());
  m.platforms = *platforms;
  if (auto filter = replication::TagFilter::Create(m.tags); !filter) {
    return tl::unexpected(filter.error());
  }
  return m;
}

nlohmann::json UpgradeStoredTreeSpec(nlohmann::json spec) {
  if (!spec.is_object() || spec.contains("include_tag_globs")) return spec;
  for (const char* key : {"include_tags", "exclude_tags"}) {
    if (!spec.contains(key) || !spec[key].is_array()) continue;
    for (auto& pattern : spec[key]) {
      if (pattern.is_string()) pattern = WholeTagEquivalent(pattern.get<std::string>());
    }
  }
  spec["include_tag_globs"] = nlohmann::json::array();
  return spec;
}

registry::RegistryOverride ToOverride(const RegistrySettings& r) {
  return {.host = r.host,
          .insecure = r.insecure,
          .ca_file = r.ca_file,
          .credentials = r.credentials,
          .credential_helper = r.credential_helper,
          .limits = {.max_concurrent = r.concurrency, .requests_per_second = r.rate_limit}};
}

registry::ClientPoolOptions PoolFromSyncConfig(const replication::SyncConfig& config) {
  registry::ClientPoolOptions pool;
  for (const auto& r : config.registries)
    pool.overrides.push_back(ToOverride(r));
  return pool;
}

namespace {

// The registry a placeholder for a poisoned row is counted under: the one its text starts with
// when a mapping has it, else the first mapping's (metric labels stay within the configured set).
std::pair<std::string, std::string> RegistriesOf(const TaskRecord& r,
                                                 const std::vector<SyncMapping>& mappings) {
  for (const SyncMapping& m : mappings) {
    if (r.source.starts_with(m.source.registry + "/")) {
      return {m.source.registry, m.destination.registry};
    }
  }
  if (mappings.empty()) return {"", ""};
  return {mappings.front().source.registry, mappings.front().destination.registry};
}

// The tags a checkpoint has not finished; empty `records` means the run was never planned. A row
// that no longer parses (a name an older version stored unchecked) fails alone: its placeholder
// keeps the row's seq, so the failure is recorded on it.
std::vector<CopyTask> TasksLeft(const std::string& run_id, const std::vector<TaskRecord>& records,
                                const std::vector<SyncMapping>& mappings) {
  std::vector<CopyTask> tasks;
  for (const TaskRecord& r : records) {
    if (r.state == TaskState::kDone || r.state == TaskState::kUpToDate) continue;
    auto t = FromRecord(r);
    if (!t) {
      const Error error =
          t.error().WithContext("checkpoint " + run_id + " task " + std::to_string(r.seq));
      spdlog::warn("{}", error.message);
      const auto [source_registry, destination_registry] = RegistriesOf(r, mappings);
      CopyTask placeholder;
      placeholder.seq = r.seq;
      placeholder.source = {{source_registry, QuoteUntrusted(r.source)}, "", ""};
      placeholder.destination = {{destination_registry, QuoteUntrusted(r.destination)}, "", ""};
      placeholder.rejected = Error(ErrorCode::kInvalidName, error.message);
      tasks.push_back(std::move(placeholder));
      continue;
    }
    tasks.push_back(std::move(*t));
  }
  return tasks;
}

// Plans the run and copies each repository's tags as soon as they are listed and stored.
// Returns the planning's outcome; `summary` gets what ran.
Status PlanAndCopy(CheckpointStore& store, const std::string& run_id, Engine& engine,
                   registry::ClientPool& clients, const std::vector<SyncMapping>& mappings,
                   const FleetRunOptions& options, const PlanObserver& plan_observer,
                   std::stop_token stop, RunSummary& summary) {
  if (Status s = store.ClearPlan(run_id); !s) return s;  // a plan a kill or failure cut short
  int64_t planned = 0;
  int64_t rejected = 0;  // placeholders for invalid names: counted, never stored
  auto copy_repository = [&](std::vector<CopyTask> tasks, const Engine::AddTask& add) -> Status {
    std::vector<TaskRecord> records;
    for (CopyTask& task : tasks) {
      records.push_back(ToRecord(task));
      if (options.assume_destination_unchanged && task.destination_has_tag.value_or(false) &&
          task.platforms.empty()) {
        task.destination_last_digest = store.LastDigest(task.destination.String());
      }
    }
    // Stored before it runs: a task's end updates its row.
    if (Status s = store.AddTasks(run_id, records); !s) return s;
    planned += static_cast<int64_t>(tasks.size());
    if (plan_observer.on_tags_added)
      plan_observer.on_tags_added(static_cast<int64_t>(tasks.size()));
    for (CopyTask& task : tasks)
      add(std::move(task));
    return Ok();
  };
  Status outcome = Ok();
  summary = engine.Run(
      [&](const Engine::AddTask& add, std::stop_token run_stop) {
        outcome = PlanMappings(
            clients, mappings, options.plan, run_stop,
            [&](std::vector<CopyTask> tasks) { return copy_repository(std::move(tasks), add); },
            [&](CopyTask placeholder) {
              ++rejected;
              if (plan_observer.on_tags_added) plan_observer.on_tags_added(1);
              add(std::move(placeholder));
            });
        if (!outcome && run_stop.stop_requested() && !stop.stop_requested()) {
          // A failed tag stopped a --fail-fast run: the summary says why; the plan stays partial.
          outcome = Ok();
          return outcome;
        }
        if (outcome) outcome = store.CompletePlan(run_id);
        if (outcome) {
          spdlog::info("run {}: {} tags planned{}", run_id, planned,
                       rejected > 0 ? ", " + std::to_string(rejected) + " invalid names skipped"
                                    : std::string());
          if (plan_observer.on_planned) {
            plan_observer.on_planned(planned + rejected, planned + rejected);
          }
        }
        return outcome;
      },
      stop);
  return outcome;
}

}  // namespace

Result<FleetRunResult> RunFleet(CheckpointStore& store, const std::string& run_id,
                                registry::ClientPool& clients, WorkerPool& workers,
                                const std::vector<SyncMapping>& mappings,
                                const FleetRunOptions& options, EngineObserver observer,
                                std::stop_token stop, BlobLedger* ledger,
                                const PlanObserver& plan_observer) {
  auto run = store.GetRun(run_id);
  if (!run) return tl::unexpected(run.error());
  if (!*run) return MakeError(ErrorCode::kNotFound, "no checkpoint " + run_id);
  auto records = store.Tasks(run_id);
  if (!records) return tl::unexpected(records.error());

  // Logged (never with a secret: the store's errors carry names and SQLite's words) and reported.
  auto store_failed = [&](const std::string& what, const Error& error) {
    spdlog::error("checkpoint {}: {}: {}", run_id, what, error.ToString());
    if (options.on_store_error) options.on_store_error(error);
  };
  auto on_task_done = observer.on_task_done;
  observer.on_task_done = [&store, &run_id, &store_failed, on_task_done](const TaskResult& r) {
    if (r.state != TaskState::kPending && r.task.seq != kNotInPlan) {
      TaskRecord record = ToRecord(r.task);
      record.state = r.state;
      record.digest = r.report.digest;
      record.bytes = r.report.bytes_transferred;
      record.error = r.error ? r.error->ToString() : "";
      if (Status s = store.RecordTask(run_id, record); !s) {
        store_failed("cannot record " + r.task.destination.String(), s.error());
      }
    }
    if (on_task_done) on_task_done(r);
  };
  // Without a ledger of the caller's, one that remembers blobs across runs in the store.
  BlobLedger remembering(&store);
  EngineOptions engine_options = options.engine;
  if (engine_options.dry_run) engine_options.dry_run_memory = &store;
  Engine engine(clients, workers, engine_options, std::move(observer),
                ledger != nullptr ? ledger : &remembering);

  FleetRunResult result;
  // A run stopped before its plan was whole is planned again (what it copied is up to date).
  result.resumed = (*run)->plan_complete && !records->empty();
  if (result.resumed) {
    auto left = TasksLeft(run_id, *records, mappings);
    result.tags_planned = static_cast<int64_t>(records->size());
    if (Status s = store.SetStatus(run_id, "running"); !s) return tl::unexpected(s.error());
    if (plan_observer.on_planned) {
      plan_observer.on_planned(result.tags_planned, static_cast<int64_t>(left.size()));
    }
    result.summary = engine.Run(left, stop);
  } else {
    Status planned = PlanAndCopy(store, run_id, engine, clients, mappings, options, plan_observer,
                                 stop, result.summary);
    if (!planned) {
      const char* status = stop.stop_requested() ? "interrupted" : "failed";
      if (Status s = store.SetStatus(run_id, status); !s) {
        store_failed(std::string("cannot set the status ") + status, s.error());
      }
      return tl::unexpected(planned.error());
    }
    result.tags_planned = result.summary.total;
  }
  result.status = stop.stop_requested()        ? "interrupted"
                  : result.summary.failed > 0  ? "failed"
                  : result.summary.not_run > 0 ? "interrupted"
                                               : "completed";
  if (Status s = store.SetStatus(run_id, result.status); !s) {
    store_failed("cannot set the status " + result.status, s.error());
  }
  return result;
}

Error SummaryError(const RunSummary& summary) {
  const std::string of = " of " + std::to_string(summary.total) + " tags ";
  if (summary.failures.empty() || !summary.failures.front().error) {
    return Error(ErrorCode::kInternal, std::to_string(summary.not_run) + of + "not run");
  }
  const TaskResult& first = summary.failures.front();
  return Error(first.error->code,
               std::to_string(summary.failed) + of + "failed, first " + first.task.source.String() +
                   " -> " + first.task.destination.String() + ": " + first.error->message);
}

}  // namespace freightliner::replication
