#include "cli/fleet.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/progress.hpp"
#include "common/format.hpp"
#include "common/log.hpp"
#include "replication/checkpoint_store.hpp"
#include "replication/engine.hpp"
#include "replication/fleet_run.hpp"
#include "replication/planner.hpp"
#include "replication/sync_config.hpp"
#include "replication/worker_pool.hpp"

namespace freightliner::cli {
namespace {

using nlohmann::json;
using replication::RunSummary;
using replication::SplitPlatforms;
using replication::SyncMapping;
using replication::TaskRecord;
using replication::TaskResult;
using replication::TaskState;

// What a fleet run needs, however it was asked for (flags, a sync file, or a stored spec).
struct FleetPlan {
  std::string kind;  // "replicate-tree" | "sync"
  json spec;         // stored with the checkpoint: enough to plan again, and no secrets
  std::vector<SyncMapping> mappings;
  registry::ClientPoolOptions pool;
  FleetFlags flags;
};

json SummaryJson(const std::string& run_id, const RunSummary& s, bool interrupted) {
  json failures = json::array();
  for (const TaskResult& f : s.failures) {
    failures.push_back({{"source", f.task.source.String()},
                        {"destination", f.task.destination.String()},
                        {"error_type", f.error ? ErrorCodeName(f.error->code) : "internal"},
                        {"error", f.error ? f.error->message : ""}});
  }
  return {{"run_id", run_id},
          {"tags_total", s.total},
          {"copied", s.copied},
          {"up_to_date", s.up_to_date},
          {"failed", s.failed},
          {"not_run", s.not_run},
          {"bytes", s.bytes},
          {"layers", s.layers},
          {"blobs_uploaded", s.blobs_uploaded},
          {"blobs_mounted", s.blobs_mounted},
          {"blobs_existing", s.blobs_existing},
          {"duration_seconds", s.seconds},
          {"interrupted", interrupted},
          {"failures", failures}};
}

void PrintFailures(const RunSummary& s) {
  for (const TaskResult& f : s.failures) {
    std::cout << "  failed " << f.task.source.String() << " -> " << f.task.destination.String()
              << ": " << (f.error ? f.error->ToString() : "unknown error") << "\n";
  }
}

void PrintSummary(const Context& ctx, const std::string& kind, const std::string& run_id,
                  const RunSummary& s, bool interrupted) {
  if (ctx.json_output()) {
    std::cout
        << SummaryJson(run_id, s, interrupted).dump(-1, ' ', false, json::error_handler_t::replace)
        << "\n";
    return;
  }
  char took[32];
  std::snprintf(took, sizeof(took), "%.1f s", s.seconds);
  std::cout << kind << (run_id.empty() ? "" : " " + run_id) << ": " << s.total
            << " tags: " << s.copied << " copied, " << s.up_to_date << " up to date, " << s.failed
            << " failed";
  if (s.not_run > 0) std::cout << ", " << s.not_run << " not run";
  std::cout << "; " << HumanBytes(s.bytes) << " transferred in " << took << "\n";
  PrintFailures(s);
}

// Text from a checkpoint row as stored: rows an older version wrote may hold any bytes a
// registry listed. Plain printable ASCII is shown as is, anything else quoted and escaped.
std::string Printable(const std::string& text) {
  const bool plain =
      std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  return plain && text.size() <= 1024 ? text : QuoteUntrusted(text, 1024);
}

std::string StateDir(const FleetFlags& flags) {
  return flags.state_dir.empty() ? replication::DefaultStateDir() : flags.state_dir;
}

std::string ResumeCommand(const FleetPlan& plan, const std::string& run_id) {
  return "freightliner " + plan.kind + " --resume " + run_id +
         (plan.flags.state_dir.empty() ? "" : " --state-dir " + plan.flags.state_dir);
}

// The one line of a run that did not complete: why, and how to go on from its checkpoint.
int FailRun(const FleetPlan& plan, const std::string& run_id, const Error& error) {
  const std::string resume = ResumeCommand(plan, run_id);
  return Fail(error, {{"run_id", run_id}, {"resume", resume}}, "resume with: " + resume);
}

std::string DryRunAction(const TaskResult& r) {
  switch (r.state) {
    case TaskState::kDone:
      return "copy";
    case TaskState::kUpToDate:
      return "up to date";
    case TaskState::kFailed:
      return r.task.rejected ? "skip" : "failed";
    case TaskState::kPending:
      return "not run";
  }
  return "failed";
}

json DryRunTagJson(const TaskResult& r) {
  json blobs = json::array();
  for (const replication::BlobRecord& b : r.report.blobs) {
    blobs.push_back({{"digest", b.digest},
                     {"size", b.size},
                     {"action", replication::BlobActionName(b.outcome)}});
  }
  json tag = {{"source", r.task.source.String()},    {"destination", r.task.destination.String()},
              {"action", DryRunAction(r)},           {"digest", r.report.digest},
              {"bytes", r.report.bytes_transferred}, {"blobs", blobs}};
  if (r.error) {
    tag["error"] = {{"code", ErrorCodeName(r.error->code)}, {"message", r.error->message}};
  }
  return tag;
}

// The line a dry run prints for a tag it would copy.
std::string WouldCopyLine(const std::string& source, const std::string& destination,
                          const replication::CopyReport& report) {
  return "would copy " + source + " -> " + destination + " " + report.digest + ": " +
         std::to_string(report.blobs_uploaded) + " blobs to upload (" +
         HumanBytes(report.bytes_transferred) + "), " + std::to_string(report.blobs_mounted) +
         " to mount, " + std::to_string(report.blobs_existing) + " already present";
}

// `results`: every tag with -o json (text mode keeps none: it printed each as it ended).
void PrintDryRunSummary(const Context& ctx, const std::string& kind, const RunSummary& s,
                        std::vector<TaskResult> results) {
  if (ctx.json_output()) {
    // Tags end in any order: listed by reference.
    std::sort(results.begin(), results.end(), [](const TaskResult& a, const TaskResult& b) {
      return std::pair(a.task.source.String(), a.task.destination.String()) <
             std::pair(b.task.source.String(), b.task.destination.String());
    });
    json out = SummaryJson("", s, false);
    out["dry_run"] = true;
    json tags = json::array();
    for (const TaskResult& r : results)
      tags.push_back(DryRunTagJson(r));
    out["tags"] = std::move(tags);
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    return;
  }
  std::cout << kind << " (dry run): " << s.total << " tags: " << s.copied << " would copy, "
            << s.up_to_date << " up to date, " << s.failed << " failed";
  if (s.not_run > 0) std::cout << ", " << s.not_run << " not run";
  std::cout << "; would upload " << s.blobs_uploaded << " blobs (" << HumanBytes(s.bytes)
            << "), mount " << s.blobs_mounted << ", find " << s.blobs_existing << " present\n";
  PrintFailures(s);
}

int DryRun(Context& ctx, FleetPlan& plan) {
  auto pool = ctx.MakePool(plan.pool);
  // Where earlier runs saw blobs: the real run mounts from there. A dry run creates no database.
  std::unique_ptr<replication::CheckpointStore> memory;
  if (std::error_code ec; std::filesystem::exists(StateDir(plan.flags) + "/freightliner.db", ec)) {
    auto store = replication::SqliteCheckpointStore::Open(StateDir(plan.flags));
    if (!store) return Fail(store.error());
    memory = std::move(*store);
  }
  replication::WorkerPool workers(plan.flags.workers);
  std::mutex mu;
  std::vector<TaskResult> results;
  replication::Engine engine(*pool, workers,
                             {.dry_run = true,
                              .force = plan.flags.force,
                              .blob_concurrency = plan.flags.blob_concurrency,
                              .dry_run_memory = memory.get()},
                             {.on_task_done = [&](const TaskResult& r) {
                               std::lock_guard lock(mu);
                               if (ctx.json_output()) {
                                 results.push_back(r);
                               } else if (r.state == TaskState::kDone) {
                                 std::cout << WouldCopyLine(r.task.source.String(),
                                                            r.task.destination.String(), r.report)
                                           << "\n";
                               }
                             }});
  Status planned = Ok();
  RunSummary summary = engine.Run(
      [&](const replication::Engine::AddTask& add, std::stop_token stop) {
        planned = replication::PlanMappings(
            *pool, plan.mappings,
            {.parallelism = plan.flags.workers, .page_size = plan.flags.page_size}, stop,
            [&](std::vector<replication::CopyTask> tasks) {
              for (replication::CopyTask& task : tasks)
                add(std::move(task));
              return Ok();
            },
            [&](replication::CopyTask placeholder) { add(std::move(placeholder)); });
        return planned;
      },
      ctx.stop());
  if (!planned) return Fail(planned.error().WithContext(plan.kind + " (dry run)"));
  PrintDryRunSummary(ctx, plan.kind, summary, std::move(results));
  if (ctx.stop().stop_requested()) {
    return Fail(Error(ErrorCode::kCanceled, plan.kind + " (dry run): canceled"));
  }
  if (summary.failed == 0) return kExitOk;
  Fail(replication::SummaryError(summary).WithContext(plan.kind + " (dry run)"));
  return kExitFailed;
}

int Execute(Context& ctx, FleetPlan plan) {
  if (plan.flags.dry_run) return DryRun(ctx, plan);
  auto store = replication::SqliteCheckpointStore::Open(StateDir(plan.flags));
  if (!store) return Fail(store.error());
  auto pool = ctx.MakePool(plan.pool);

  std::string run_id = plan.flags.resume;
  if (run_id.empty()) {
    auto id = (*store)->CreateRun(plan.kind,
                                  plan.spec.dump(-1, ' ', false, json::error_handler_t::replace));
    if (!id) return Fail(id.error());
    run_id = *id;
  }
  ScopedLogFields log_fields(json{{"run_id", run_id}});  // on the lines of every tag's copy
  // A live line on a terminal, unless every stderr line must be JSON.
  Progress progress(isatty(STDERR_FILENO) == 1 && CurrentLogFormat() == LogFormat::kText);
  replication::WorkerPool workers(plan.flags.workers);
  auto result = replication::RunFleet(
      **store, run_id, *pool, workers, plan.mappings,
      {.engine = {.force = plan.flags.force,
                  .fail_fast = plan.flags.fail_fast,
                  .blob_concurrency = plan.flags.blob_concurrency,
                  .max_transfers = plan.flags.max_transfers},
       .plan = {.parallelism = plan.flags.workers, .page_size = plan.flags.page_size},
       .assume_destination_unchanged = plan.flags.assume_destination_unchanged},
      {.on_task_done = [&](const TaskResult& r) { progress.OnTaskDone(r); },
       .on_bytes = [&](uint64_t n) { progress.OnBytes(n); }},
      ctx.stop(), nullptr,
      {.on_tags_added = [&](int64_t tags) { progress.AddTags(tags); },
       .on_planned =
           [&](int64_t planned, int64_t left) {
             if (!plan.flags.resume.empty() && planned > 0) {
               LogWith(spdlog::level::info,
                       {{"run_id", run_id}, {"tags_left", left}, {"tags_planned", planned}},
                       "resuming {}: {} of {} tags left", run_id, left, planned);
             }
             progress.PlanComplete(left);
           }});
  progress.Finish();  // its last line goes out before the summary
  if (!result) {
    if (ctx.stop().stop_requested()) {
      return FailRun(plan, run_id, result.error().WithContext(plan.kind + " " + run_id));
    }
    return Fail(result.error(), {{"run_id", run_id}});
  }
  const bool interrupted = ctx.stop().stop_requested();
  PrintSummary(ctx, plan.kind, run_id, result->summary, interrupted);
  if (interrupted) {
    return FailRun(plan, run_id,
                   Error(ErrorCode::kCanceled, plan.kind + " " + run_id + ": canceled"));
  }
  if (result->status == "completed") return kExitOk;
  FailRun(plan, run_id,
          replication::SummaryError(result->summary).WithContext(plan.kind + " " + run_id));
  return kExitFailed;  // whatever the code of the first failure: the run as a whole failed
}

// The stored spec of a run being resumed, checked to be of this command.
Result<json> StoredSpec(const FleetFlags& flags, const std::string& kind) {
  auto store = replication::SqliteCheckpointStore::Open(StateDir(flags));
  if (!store) return tl::unexpected(store.error());
  auto run = (*store)->GetRun(flags.resume);
  if (!run) return tl::unexpected(run.error());
  if (!*run) {
    return MakeError(ErrorCode::kNotFound, "no checkpoint " + flags.resume + " in " +
                                               StateDir(flags) +
                                               " (see: freightliner checkpoint list)");
  }
  if ((*run)->kind != kind) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "checkpoint " + flags.resume + " is a " + (*run)->kind + " run, not " + kind);
  }
  if ((*run)->status == "completed") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "checkpoint " + flags.resume + " is already completed");
  }
  return json::parse((*run)->spec);
}

}  // namespace

int RunReplicateTree(Context& ctx, const TreeArgs& args) {
  FleetPlan plan{.kind = "replicate-tree", .flags = args.fleet};
  if (!args.fleet.resume.empty()) {
    if (!args.source.empty()) {
      return Fail(Error(ErrorCode::kInvalidArgument,
                        "--resume takes no SRC and DST: they are in the checkpoint"));
    }
    auto spec = StoredSpec(args.fleet, plan.kind);
    if (!spec) return Fail(spec.error());
    plan.spec = replication::UpgradeStoredTreeSpec(*spec);
  } else {
    if (args.source.empty() || args.destination.empty()) {
      return Fail(
          Error(ErrorCode::kInvalidArgument, "replicate-tree needs SRC_PREFIX and DST_PREFIX"));
    }
    std::string platforms;
    for (const auto& p : args.platforms)
      platforms += (platforms.empty() ? "" : ",") + p;
    plan.spec = {{"source", args.source},
                 {"destination", args.destination},
                 {"include_repos", args.include_repos},
                 {"exclude_repos", args.exclude_repos},
                 {"include_tag_globs", args.include_tag_globs},
                 {"exclude_tag_globs", args.exclude_tag_globs},
                 {"include_tags", args.include_tag_regexes},
                 {"exclude_tags", args.exclude_tag_regexes},
                 {"allow_empty", args.allow_empty},
                 {"platforms", platforms}};
  }
  auto mapping = replication::TreeMapping(plan.spec);
  if (!mapping) return Fail(mapping.error());
  plan.mappings = {*mapping};
  plan.pool.src_creds = args.src_creds;
  plan.pool.dest_creds = args.dest_creds;
  if (args.tls.SourceInsecure()) plan.pool.insecure_hosts.insert(mapping->source.registry);
  if (args.tls.DestinationInsecure()) {
    plan.pool.insecure_hosts.insert(mapping->destination.registry);
  }
  return Execute(ctx, std::move(plan));
}

int RunSync(Context& ctx, const SyncArgs& args) {
  FleetPlan plan{.kind = "sync", .flags = args.fleet};
  std::string path = args.config;
  if (!args.fleet.resume.empty()) {
    auto spec = StoredSpec(args.fleet, plan.kind);
    if (!spec) return Fail(spec.error());
    if (path.empty()) path = spec->value("config", "");
  }
  if (path.empty()) return Fail(Error(ErrorCode::kInvalidArgument, "sync needs --config FILE"));
  auto config = replication::LoadSyncConfig(path, ProcessEnvironment());
  if (!config) return Fail(config.error());
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(path, ec);
  plan.spec = {{"config", ec ? path : absolute.string()}};
  plan.mappings = config->mappings;
  if (args.allow_empty) {
    for (SyncMapping& m : plan.mappings)
      m.allow_empty = true;
  }
  plan.pool = replication::PoolFromSyncConfig(*config);
  if (config->workers > 0 && !args.workers_set) plan.flags.workers = config->workers;
  return Execute(ctx, std::move(plan));
}

int RunCheckpoint(Context& ctx, const CheckpointArgs& args) {
  const std::string dir = args.state_dir.empty() ? replication::DefaultStateDir() : args.state_dir;
  auto store = replication::SqliteCheckpointStore::Open(dir);
  if (!store) return Fail(store.error());
  if (args.action == "list") {
    auto runs = (*store)->ListRuns();
    if (!runs) return Fail(runs.error());
    json out = json::array();
    for (const auto& r : *runs) {
      out.push_back({{"id", r.id},
                     {"kind", r.kind},
                     {"status", r.status},
                     {"tags_total", r.tasks_total},
                     {"tags_done", r.tasks_done},
                     {"tags_failed", r.tasks_failed},
                     {"plan_complete", r.plan_complete},
                     {"created_at", r.created_at}});
      if (!ctx.json_output()) {
        std::cout << r.id << "  " << r.kind << "  " << r.status << "  " << r.tasks_done << "/"
                  << r.tasks_total << (r.plan_complete ? "" : "+") << " done, " << r.tasks_failed
                  << " failed\n";
      }
    }
    if (ctx.json_output())
      std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  if (args.id.empty()) {
    return Fail(Error(ErrorCode::kInvalidArgument, "checkpoint " + args.action + " needs an ID"));
  }
  if (args.action == "delete") {
    auto deleted = (*store)->DeleteRun(args.id);
    if (!deleted) return Fail(deleted.error());
    if (!*deleted) return Fail(Error(ErrorCode::kNotFound, "no checkpoint " + args.id));
    std::cout << "deleted " << args.id << "\n";
    return kExitOk;
  }
  auto run = (*store)->GetRun(args.id);
  if (!run) return Fail(run.error());
  if (!*run) return Fail(Error(ErrorCode::kNotFound, "no checkpoint " + args.id));
  auto tasks = (*store)->Tasks(args.id);
  if (!tasks) return Fail(tasks.error());
  json jt = json::array();
  for (const TaskRecord& t : *tasks) {
    jt.push_back({{"seq", t.seq},
                  {"source", t.source},
                  {"destination", t.destination},
                  {"state", replication::TaskStateName(t.state)},
                  {"digest", t.digest},
                  {"bytes", t.bytes},
                  {"error", t.error}});
  }
  const auto& r = **run;
  if (ctx.json_output()) {
    std::cout << json{{"id", r.id},
                      {"kind", r.kind},
                      {"status", r.status},
                      {"plan_complete", r.plan_complete},
                      {"spec", json::parse(r.spec, nullptr, /*allow_exceptions=*/false)},
                      {"tasks", jt}}
                     .dump(2, ' ', false, json::error_handler_t::replace)
              << "\n";
    return kExitOk;
  }
  std::cout << "id:     " << r.id << "\nkind:   " << r.kind << "\nstatus: " << r.status
            << "\nspec:   " << r.spec << "\ntags:   " << r.tasks_done << "/" << r.tasks_total
            << " done, " << r.tasks_failed << " failed"
            << (r.plan_complete ? "" : " (planning did not finish: a resume plans again)") << "\n";
  for (const TaskRecord& t : *tasks) {
    std::cout << "  " << replication::TaskStateName(t.state) << "  " << Printable(t.source)
              << " -> " << Printable(t.destination)
              << (t.error.empty() ? "" : "  (" + Printable(t.error) + ")") << "\n";
  }
  return kExitOk;
}

}  // namespace freightliner::cli
