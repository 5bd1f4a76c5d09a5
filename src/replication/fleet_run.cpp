#include "replication/fleet_run.hpp"

#include <spdlog/spdlog.h>

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
  auto src = registry::ParseReference(r.source);
  if (!src) return tl::unexpected(src.error());
  auto dst = registry::ParseReference(r.destination);
  if (!dst) return tl::unexpected(dst.error());
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
  auto src = registry::ParseRepositoryPrefix(spec.value("source", ""));
  if (!src) return tl::unexpected(src.error());
  auto dst = registry::ParseRepositoryPrefix(spec.value("destination", ""));
  if (!dst) return tl::unexpected(dst.error());
  m.source = *src;
  m.destination = *dst;
  m.repos.include = spec.value("include_repos", std::vector<std::string>{});
  m.repos.exclude = spec.value("exclude_repos", std::vector<std::string>{});
  m.tags.include = spec.value("include_tags", std::vector<std::string>{});
  m.tags.exclude = spec.value("exclude_tags", std::vector<std::string>{});
  auto platforms = SplitPlatforms(spec.value("platforms", ""));
  if (!platforms) return tl::unexpected(platforms.error());
  m.platforms = *platforms;
  if (auto filter = replication::TagFilter::Create(m.tags); !filter) {
    return tl::unexpected(filter.error());
  }
  return m;
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

// The tags a checkpoint has not finished; empty `records` means the run was never planned.
Result<std::vector<CopyTask>> TasksLeft(const std::string& run_id,
                                        const std::vector<TaskRecord>& records) {
  std::vector<CopyTask> tasks;
  for (const TaskRecord& r : records) {
    if (r.state == TaskState::kDone || r.state == TaskState::kUpToDate) continue;
    auto t = FromRecord(r);
    if (!t) return tl::unexpected(t.error().WithContext("checkpoint " + run_id));
    tasks.push_back(std::move(*t));
  }
  return tasks;
}

Result<std::vector<CopyTask>> PlanAndSave(CheckpointStore& store, const std::string& run_id,
                                          registry::ClientPool& clients,
                                          const std::vector<SyncMapping>& mappings,
                                          const PlanOptions& options, std::stop_token stop) {
  auto planned = PlanMappings(clients, mappings, options, stop);
  if (!planned) {
    (void)store.SetStatus(run_id, stop.stop_requested() ? "interrupted" : "failed");
    return tl::unexpected(planned.error());
  }
  std::vector<TaskRecord> records;
  for (const CopyTask& t : *planned)
    records.push_back(ToRecord(t));
  if (Status s = store.SavePlan(run_id, records); !s) return tl::unexpected(s.error());
  spdlog::info("run {}: {} tags planned", run_id, planned->size());
  return planned;
}

}  // namespace

Result<FleetRunResult> RunFleet(CheckpointStore& store, const std::string& run_id,
                                registry::ClientPool& clients, WorkerPool& workers,
                                const std::vector<SyncMapping>& mappings,
                                const FleetRunOptions& options, EngineObserver observer,
                                std::stop_token stop, BlobLedger* ledger,
                                const PlannedCallback& on_planned) {
  auto records = store.Tasks(run_id);
  if (!records) return tl::unexpected(records.error());
  FleetRunResult result;
  result.resumed = !records->empty();
  std::vector<CopyTask> tasks;
  if (result.resumed) {
    auto left = TasksLeft(run_id, *records);
    if (!left) return tl::unexpected(left.error());
    tasks = std::move(*left);
    result.tags_planned = static_cast<int64_t>(records->size());
    if (Status s = store.SetStatus(run_id, "running"); !s) return tl::unexpected(s.error());
  } else {
    auto planned = PlanAndSave(store, run_id, clients, mappings, options.plan, stop);
    if (!planned) return tl::unexpected(planned.error());
    tasks = std::move(*planned);
    result.tags_planned = static_cast<int64_t>(tasks.size());
    if (options.assume_destination_unchanged) {
      for (CopyTask& task : tasks) {
        if (task.destination_has_tag.value_or(false) && task.platforms.empty()) {
          task.destination_last_digest = store.LastDigest(task.destination.String());
        }
      }
    }
  }
  if (on_planned) on_planned(result.tags_planned, static_cast<int64_t>(tasks.size()));

  auto on_task_done = observer.on_task_done;
  observer.on_task_done = [&store, &run_id, on_task_done](const TaskResult& r) {
    if (r.state != TaskState::kPending) {
      TaskRecord record = ToRecord(r.task);
      record.state = r.state;
      record.digest = r.report.digest;
      record.bytes = r.report.bytes_transferred;
      record.error = r.error ? r.error->ToString() : "";
      if (Status s = store.RecordTask(run_id, record); !s) {
        spdlog::error("checkpoint {}: {}", run_id, s.error().ToString());
      }
    }
    if (on_task_done) on_task_done(r);
  };
  // Without a ledger of the caller's, one that remembers blobs across runs in the store.
  BlobLedger remembering(&store);
  Engine engine(clients, workers, options.engine, std::move(observer),
                ledger != nullptr ? ledger : &remembering);
  result.summary = engine.Run(tasks, stop);
  result.status = stop.stop_requested()        ? "interrupted"
                  : result.summary.failed > 0  ? "failed"
                  : result.summary.not_run > 0 ? "interrupted"
                                               : "completed";
  (void)store.SetStatus(run_id, result.status);
  return result;
}

}  // namespace freightliner::replication
