#include "server/jobs.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "registry/client_pool.hpp"
#include "replication/fleet_run.hpp"

namespace freightliner::server {
namespace {

using nlohmann::json;
using replication::CopyTask;
using replication::TaskResult;
using replication::TaskState;

constexpr size_t kMaxErrorsKept = 100;
constexpr size_t kMaxPlanLinesKept = 1000;

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string NewJobId() {
  unsigned char bytes[8];
  RAND_bytes(bytes, sizeof(bytes));
  static const char* hex = "0123456789abcdef";
  std::string id = "job-";
  for (unsigned char b : bytes) {
    id += hex[b >> 4];
    id += hex[b & 15];
  }
  return id;
}

// The fields a request may carry and their JSON kinds; anything else is refused, so that a
// misspelt option cannot be silently ignored.
enum class Kind { kString, kBool, kStrings };

Status CheckFields(const json& request, const std::map<std::string, Kind>& fields,
                   const std::vector<std::string>& required) {
  if (!request.is_object())
    return MakeError(ErrorCode::kInvalidArgument, "body must be a JSON object");
  for (const auto& [key, value] : request.items()) {
    auto it = fields.find(key);
    if (it == fields.end()) {
      return MakeError(ErrorCode::kInvalidArgument, "unknown field \"" + key + "\"");
    }
    bool ok = false;
    switch (it->second) {
      case Kind::kString:
        ok = value.is_string();
        break;
      case Kind::kBool:
        ok = value.is_boolean();
        break;
      case Kind::kStrings:
        ok = value.is_array() &&
             std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); });
        break;
    }
    if (!ok) {
      const char* kind = it->second == Kind::kString ? "a string"
                         : it->second == Kind::kBool ? "true or false"
                                                     : "a list of strings";
      return MakeError(ErrorCode::kInvalidArgument, "field \"" + key + "\" must be " + kind);
    }
  }
  for (const std::string& key : required) {
    if (!request.contains(key) || request[key].get<std::string>().empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "field \"" + key + "\" is required");
    }
  }
  return Ok();
}

std::string JoinStrings(const json& list) {
  std::string out;
  for (const json& v : list)
    out += (out.empty() ? "" : ",") + v.get<std::string>();
  return out;
}

// What a job runs, rebuilt from its stored request each time it starts (or resumes).
struct Prepared {
  std::vector<replication::SyncMapping> mappings;  // tree and sync
  std::optional<CopyTask> task;                    // replicate
  registry::ClientPoolOptions pool;
  replication::EngineOptions engine;
};

Result<Prepared> PrepareReplicate(const json& r) {
  if (Status s = CheckFields(r,
                             {{"source", Kind::kString},
                              {"destination", Kind::kString},
                              {"platforms", Kind::kStrings},
                              {"force", Kind::kBool},
                              {"dry_run", Kind::kBool}},
                             {"source", "destination"});
      !s) {
    return tl::unexpected(s.error());
  }
  Prepared p;
  auto src = registry::ParseReference(r["source"].get<std::string>());
  if (!src) return tl::unexpected(src.error().WithContext("source"));
  auto dst = registry::ParseCopyDestination(*src, r["destination"].get<std::string>());
  if (!dst) return tl::unexpected(dst.error().WithContext("destination"));
  auto platforms = replication::SplitPlatforms(JoinStrings(r.value("platforms", json::array())));
  if (!platforms) return tl::unexpected(platforms.error().WithContext("platforms"));
  p.task = CopyTask{.seq = 0, .source = *src, .destination = *dst, .platforms = *platforms};
  return p;
}

Result<Prepared> PrepareTree(const json& r) {
  if (Status s = CheckFields(r,
                             {{"source", Kind::kString},
                              {"destination", Kind::kString},
                              {"include_repos", Kind::kStrings},
                              {"exclude_repos", Kind::kStrings},
                              {"include_tags", Kind::kStrings},
                              {"exclude_tags", Kind::kStrings},
                              {"platforms", Kind::kStrings},
                              {"force", Kind::kBool},
                              {"dry_run", Kind::kBool}},
                             {"source", "destination"});
      !s) {
    return tl::unexpected(s.error());
  }
  json spec = r;
  spec["platforms"] = JoinStrings(r.value("platforms", json::array()));
  auto mapping = replication::TreeMapping(spec);
  if (!mapping) return tl::unexpected(mapping.error());
  Prepared p;
  p.mappings = {*mapping};
  return p;
}

Result<Prepared> PrepareSync(const json& r, const ServerConfig& config) {
  if (Status s = CheckFields(
          r, {{"name", Kind::kString}, {"force", Kind::kBool}, {"dry_run", Kind::kBool}}, {"name"});
      !s) {
    return tl::unexpected(s.error());
  }
  const NamedSync* sync = config.Sync(r["name"].get<std::string>());
  if (sync == nullptr) {
    std::string known;
    for (const NamedSync& s : config.syncs)
      known += (known.empty() ? "" : ", ") + s.name;
    return MakeError(ErrorCode::kInvalidArgument,
                     "no sync named \"" + r["name"].get<std::string>() + "\" in the config" +
                         (known.empty() ? " (it defines none)" : " (known: " + known + ")"));
  }
  auto file = replication::LoadSyncConfig(sync->file, ProcessEnvironment());
  if (!file) return tl::unexpected(file.error());
  Prepared p;
  p.mappings = file->mappings;
  p.pool = replication::PoolFromSyncConfig(*file);
  return p;
}

Result<Prepared> Prepare(const std::string& type, const json& request, const ServerConfig& config) {
  Result<Prepared> p = type == "replicate"        ? PrepareReplicate(request)
                       : type == "replicate-tree" ? PrepareTree(request)
                       : type == "sync"
                           ? PrepareSync(request, config)
                           : MakeError(ErrorCode::kInvalidArgument, "unknown job type " + type);
  if (!p) return p;
  // Settings of the server's config come after the sync file's own (first match wins).
  for (const auto& r : config.registries)
    p->pool.overrides.push_back(replication::ToOverride(r));
  p->pool.insecure_hosts.insert(config.insecure_registries.begin(),
                                config.insecure_registries.end());
  p->pool.ca_file = config.ca_file;
  p->pool.auth_file = config.auth_file;
  p->engine = {.dry_run = request.value("dry_run", false),
               .force = request.value("force", false),
               .blob_concurrency = config.blob_concurrency,
               .max_transfers = config.max_transfers};
  return p;
}

}  // namespace

struct JobManager::Live {
  std::stop_source stop;
  std::atomic<bool> canceled{false};
  std::atomic<int64_t> tags_total{0};
  std::atomic<int64_t> tags_done{0};
  std::atomic<int64_t> tags_failed{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> layers{0};
  std::mutex mu;
  json errors = json::array();
  json plan = json::array();

  json Progress() {
    return {{"tags_total", tags_total.load()},
            {"tags_done", tags_done.load()},
            {"tags_failed", tags_failed.load()},
            {"bytes", bytes.load()},
            {"layers", layers.load()}};
  }
};

JobManager::JobManager(const ServerConfig& config, replication::CheckpointStore& store,
                       Metrics& metrics, std::shared_ptr<http::Transport> transport)
    : config_(config),
      store_(store),
      metrics_(metrics),
      transport_(std::move(transport)),
      workers_(config.workers, [&metrics](const char*) { metrics.RecordPanic("worker"); }) {}

JobManager::~JobManager() {
  Shutdown(std::chrono::seconds(0));
}

Status JobManager::CreateTable() {
  std::lock_guard lock(store_.mutex());
  return store_.database().Exec(R"(
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at REAL NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, created_at);
)");
}

Status JobManager::Start() {
  if (Status s = CreateTable(); !s) return s;
  std::vector<std::string> recovered;
  {
    std::lock_guard lock(store_.mutex());
    auto st = store_.database().Prepare(
        "SELECT id FROM jobs WHERE status IN ('queued','running') ORDER BY created_at");
    if (!st) return tl::unexpected(st.error());
    for (;;) {
      auto row = (*st)->Step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      recovered.push_back((*st)->Text(0));
    }
  }
  {
    std::lock_guard lock(mu_);
    queue_.insert(queue_.end(), recovered.begin(), recovered.end());
  }
  if (!recovered.empty())
    spdlog::info("jobs: {} queued or interrupted job(s) taken up again", recovered.size());
  for (int i = 0; i < config_.max_concurrent_jobs; ++i) {
    runners_.emplace_back([this](std::stop_token stop) { RunnerLoop(stop); });
  }
  if (!config_.schedules.empty()) {
    scheduler_ = std::jthread([this](std::stop_token stop) { SchedulerLoop(stop); });
  }
  return Ok();
}

Status JobManager::Insert(const std::string& id, const std::string& type, const json& request,
                          const std::string& trigger) {
  const double now = NowSeconds();
  json doc = {
      {"id", id},
      {"type", type},
      {"status", "queued"},
      {"trigger", trigger},
      {"request", request},
      {"run_id", ""},
      {"created_at", now},
      {"started_at", nullptr},
      {"finished_at", nullptr},
      {"progress",
       {{"tags_total", 0}, {"tags_done", 0}, {"tags_failed", 0}, {"bytes", 0}, {"layers", 0}}},
      {"errors", json::array()},
      {"error", nullptr}};
  std::lock_guard lock(store_.mutex());
  auto st = store_.database().Prepare(
      "INSERT INTO jobs(id, type, status, created_at, doc) VALUES(?,?,?,?,?)");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, id).Bind(2, type).Bind(3, "queued").Bind(4, static_cast<int64_t>(now * 1000));
  (*st)->Bind(5, doc.dump());
  return (*st)->Run();
}

Result<std::optional<json>> JobManager::Load(const std::string& id) {
  std::lock_guard lock(store_.mutex());
  return LoadLocked(id);
}

Result<std::optional<json>> JobManager::LoadLocked(const std::string& id) {
  auto st = store_.database().Prepare("SELECT doc FROM jobs WHERE id = ?");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, id);
  auto row = (*st)->Step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<json>();
  return std::optional<json>(json::parse((*st)->Text(0)));
}

Status JobManager::Update(const std::string& id, const json& fields) {
  // Read and write under one lock: a progress update racing the final status must not write
  // back the status it read before.
  std::lock_guard lock(store_.mutex());
  auto doc = LoadLocked(id);
  if (!doc) return tl::unexpected(doc.error());
  if (!*doc) return MakeError(ErrorCode::kNotFound, "no job " + id);
  json merged = **doc;
  for (const auto& [key, value] : fields.items())
    merged[key] = value;
  auto st = store_.database().Prepare("UPDATE jobs SET status = ?, doc = ? WHERE id = ?");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, merged["status"].get<std::string>()).Bind(2, merged.dump()).Bind(3, id);
  return (*st)->Run();
}

Result<json> JobManager::Submit(const std::string& type, const json& request,
                                const std::string& trigger) {
  auto prepared = Prepare(type, request, config_);
  if (!prepared) return tl::unexpected(prepared.error());
  std::lock_guard lock(mu_);
  if (shutting_down_) return MakeError(ErrorCode::kServerError, "the server is shutting down");
  const std::string id = NewJobId();
  if (Status s = Insert(id, type, request, trigger); !s) return tl::unexpected(s.error());
  queue_.push_back(id);
  cv_.notify_all();  // the scheduler waits on cv_ too: notify_one could wake it instead of a runner
  spdlog::info("job {} queued: {} ({})", id, type, trigger);
  auto doc = Load(id);
  if (!doc) return tl::unexpected(doc.error());
  return **doc;
}

json JobManager::WithProgress(json job) {
  std::shared_ptr<Live> live;
  {
    std::lock_guard lock(mu_);
    auto it = running_.find(job["id"].get<std::string>());
    if (it != running_.end()) live = it->second;
  }
  if (live) {
    job["progress"] = live->Progress();
    std::lock_guard lock(live->mu);
    job["errors"] = live->errors;
  }
  return job;
}

Result<json> JobManager::Get(const std::string& id) {
  auto doc = Load(id);
  if (!doc) return tl::unexpected(doc.error());
  if (!*doc) return MakeError(ErrorCode::kNotFound, "no job " + id);
  return WithProgress(std::move(**doc));
}

Result<json> JobManager::List(const std::string& status, const std::string& type) {
  std::vector<std::string> docs;
  {
    std::lock_guard lock(store_.mutex());
    auto st = store_.database().Prepare(
        "SELECT doc FROM jobs WHERE (?1 = '' OR status = ?1) AND (?2 = '' OR type = ?2) "
        "ORDER BY created_at DESC LIMIT 1000");
    if (!st) return tl::unexpected(st.error());
    (*st)->Bind(1, status).Bind(2, type);
    for (;;) {
      auto row = (*st)->Step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      docs.push_back((*st)->Text(0));
    }
  }
  json out = json::array();
  for (const std::string& d : docs)
    out.push_back(WithProgress(json::parse(d)));
  return out;
}

Result<json> JobManager::Cancel(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    auto it = running_.find(id);
    if (it != running_.end()) {
      it->second->canceled = true;
      it->second->stop.request_stop();
      spdlog::info("job {}: cancel requested", id);
    } else {
      auto doc = Load(id);
      if (!doc) return tl::unexpected(doc.error());
      if (!*doc) return MakeError(ErrorCode::kNotFound, "no job " + id);
      const std::string status = (**doc)["status"];
      if (status != "queued") {
        return MakeError(ErrorCode::kClientError, "job " + id + " already ended: " + status);
      }
      if (Status s = Update(id, {{"status", "canceled"}, {"finished_at", NowSeconds()}}); !s) {
        return tl::unexpected(s.error());
      }
      metrics_.RecordJob((**doc)["type"], "canceled", 0);
    }
  }
  return Get(id);
}

void JobManager::RunnerLoop(std::stop_token stop) {
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [&] { return !queue_.empty() || shutting_down_; });
      if (stop.stop_requested() || shutting_down_) return;
      id = queue_.front();
      queue_.pop_front();
    }
    try {
      RunJob(id);
    } catch (const std::exception& e) {
      metrics_.RecordPanic("worker");
      spdlog::error("job {}: unexpected exception: {}", id, e.what());
      (void)Update(id, {{"status", "failed"}, {"error", std::string("internal: ") + e.what()}});
    }
  }
}

void JobManager::RunJob(const std::string& id) {
  auto live = std::make_shared<Live>();
  json job;
  {
    std::lock_guard lock(mu_);
    auto doc = Load(id);
    if (!doc || !*doc) return;
    job = **doc;
    const std::string status = job["status"];
    if ((status != "queued" && status != "running") || shutting_down_) return;
    running_[id] = live;
  }
  if (job["started_at"].is_null()) job["started_at"] = NowSeconds();
  (void)Update(id, {{"status", "running"}, {"started_at", job["started_at"]}});
  metrics_.jobs_active().Increment();
  Execute(id, job, *live);
  metrics_.jobs_active().Decrement();
  std::lock_guard lock(mu_);
  running_.erase(id);
  cv_.notify_all();
}

void JobManager::Execute(const std::string& id, const json& job, Live& live) {
  const auto start = std::chrono::steady_clock::now();
  const std::string type = job["type"];
  const auto finish = [&](const std::string& status, const json& error) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    json fields = {{"status", status},
                   {"finished_at", NowSeconds()},
                   {"progress", live.Progress()},
                   {"error", error}};
    {
      std::lock_guard lock(live.mu);
      fields["errors"] = live.errors;
      if (!live.plan.empty()) fields["plan"] = live.plan;
    }
    (void)Update(id, fields);
    metrics_.RecordJob(type, status, seconds);
    spdlog::info("job {} {} in {:.1f}s", id, status, seconds);
  };

  auto prepared = Prepare(type, job["request"], config_);
  if (!prepared) return finish("failed", prepared.error().ToString());
  prepared->pool.on_auth_failure = [this] { metrics_.RecordAuthFailure("registry"); };

  std::string run_id = job.value("run_id", "");
  if (run_id.empty()) {
    auto created = store_.CreateRun(type, job["request"].dump());
    if (!created) return finish("failed", created.error().ToString());
    run_id = *created;
    if (prepared->task) {
      if (Status s = store_.SavePlan(run_id, {replication::ToRecord(*prepared->task)}); !s) {
        return finish("failed", s.error().ToString());
      }
    }
    (void)Update(id, {{"run_id", run_id}});
  }
  for (const auto& m : prepared->mappings)
    metrics_.ObservePair(m.source.registry, m.destination.registry);
  if (prepared->task) {
    metrics_.ObservePair(prepared->task->source.repository.registry,
                         prepared->task->destination.repository.registry);
  }

  const bool dry_run = prepared->engine.dry_run;
  registry::ClientPool clients(prepared->pool, transport_);
  replication::EngineObserver observer{
      .on_task_done =
          [&](const TaskResult& r) {
            if (r.state == TaskState::kPending) return;
            const bool ok = r.state != TaskState::kFailed;
            (ok ? live.tags_done : live.tags_failed) += 1;
            live.layers += r.report.layers_transferred;
            if (!dry_run) {
              metrics_.RecordReplication(r.task.source.repository.registry,
                                         r.task.destination.repository.registry,
                                         {.ok = ok,
                                          .seconds = r.seconds,
                                          .bytes = r.report.bytes_transferred,
                                          .layers = r.report.layers_transferred,
                                          .error = r.error ? r.error->code : ErrorCode::kInternal});
            }
            std::lock_guard lock(live.mu);
            if (!ok && live.errors.size() < kMaxErrorsKept) {
              live.errors.push_back(
                  {{"source", r.task.source.String()},
                   {"destination", r.task.destination.String()},
                   {"error_type", r.error ? ErrorCodeName(r.error->code) : "internal"},
                   {"message", r.error ? r.error->message : "unknown error"}});
            }
            for (const std::string& line : r.report.plan) {
              if (live.plan.size() < kMaxPlanLinesKept) live.plan.push_back(line);
            }
          },
      .on_bytes = [&](uint64_t n) { live.bytes += n; }};
  auto result =
      replication::RunFleet(store_, run_id, clients, workers_, prepared->mappings,
                            {.engine = prepared->engine, .plan = {.parallelism = config_.workers}},
                            std::move(observer), live.stop.get_token(), nullptr,
                            {.on_tags_added = [&](int64_t tags) { live.tags_total += tags; },
                             .on_planned =
                                 [&](int64_t planned, int64_t left) {
                                   live.tags_total = planned;
                                   live.tags_done += planned - left;  // done by an earlier attempt
                                 }});
  if (live.canceled) return finish("canceled", nullptr);
  if (live.stop.stop_requested()) {
    // Shutdown: the job stays "running" with its checkpoint; the next start resumes it.
    (void)Update(id, {{"progress", live.Progress()}});
    spdlog::info("job {} stopped for shutdown; it resumes at the next start", id);
    return;
  }
  if (!result) return finish("failed", result.error().ToString());
  finish(result->status == "completed" ? "succeeded" : "failed", nullptr);
}

bool JobManager::SyncPending(const std::string& name) {
  std::lock_guard lock(store_.mutex());
  auto st = store_.database().Prepare(
      "SELECT doc FROM jobs WHERE type = 'sync' AND status IN ('queued','running')");
  if (!st) return false;
  for (;;) {
    auto row = (*st)->Step();
    if (!row || !*row) return false;
    if (json::parse((*st)->Text(0))["request"].value("name", "") == name) return true;
  }
}

void JobManager::SchedulerLoop(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> due(config_.schedules.size(), Clock::now());
  while (!stop.stop_requested()) {
    for (size_t i = 0; i < config_.schedules.size(); ++i) {
      if (Clock::now() < due[i]) continue;
      const Schedule& s = config_.schedules[i];
      due[i] = Clock::now() + s.every;
      try {
        if (SyncPending(s.sync)) {
          spdlog::info("schedule {}: the previous run is still going; skipped", s.sync);
          continue;
        }
        auto job = Submit("sync", {{"name", s.sync}}, "schedule");
        if (!job) spdlog::error("schedule {}: {}", s.sync, job.error().ToString());
      } catch (const std::exception& e) {
        metrics_.RecordPanic("scheduler");
        spdlog::error("schedule {}: unexpected exception: {}", s.sync, e.what());
      }
    }
    const auto next = *std::min_element(due.begin(), due.end());
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, stop, next, [&] { return shutting_down_; });
  }
}

void JobManager::Shutdown(std::chrono::seconds grace) {
  std::unique_lock lock(mu_);
  if (!shutting_down_) {
    shutting_down_ = true;
    for (auto& [id, live] : running_)
      live->stop.request_stop();
  }
  cv_.notify_all();
  if (!cv_.wait_for(lock, grace, [&] { return running_.empty(); })) {
    spdlog::warn("jobs: {} job(s) still stopping after {}s", running_.size(), grace.count());
    return;
  }
  lock.unlock();
  scheduler_ = {};
  runners_.clear();
}

}  // namespace freightliner::server
