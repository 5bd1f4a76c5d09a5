#include "server/jobs.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <iterator>
#include <string_view>

#include "common/log.hpp"
#include "registry/client_pool.hpp"
#include "replication/fleet_run.hpp"
#include "replication/narrow.hpp"
#include "replication/tag_delete.hpp"
#include "server/events.hpp"
#include "server/job_request.hpp"

namespace freightliner::server {
namespace {

using nlohmann::json;
using replication::CopyTask;
using replication::TaskResult;
using replication::TaskState;
using store::JobStatus;

// A job record stays small whatever the registries answer.
constexpr size_t kMaxErrorsKept = 100;
constexpr size_t kMaxPlanLinesKept = 1000;
constexpr size_t kMaxTextKept = 2048;  // per error message, reference or plan line

std::string Bounded(std::string text) {
  if (text.size() > kMaxTextKept) {
    text.resize(kMaxTextKept);
    text += "...";
  }
  return text;
}

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

// Stored and served JSON never throws on a string that is not UTF-8 (a registry's header, a
// tag): invalid bytes become U+FFFD.
std::string Dump(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The tag an event job is about (its sync narrowed to one tag), whatever the job does to it: a
// push and a delete of one tag share the key, so they run one at a time, in order.
bool IsDeletion(const json& job) {
  const json& request = job.value("request", json());
  return request.is_object() && request.value("delete", json(false)) == json(true);
}

std::string CollapseKey(json request) {
  if (request.is_object()) request.erase("delete");
  return Dump(request);
}

bool OneOf(const json& v, const auto& values) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return std::any_of(std::begin(values), std::end(values), [&](const char* x) { return s == x; });
}

bool NullOr(const json& doc, const char* key, bool (json::*kind)() const noexcept) {
  return !doc.contains(key) || doc[key].is_null() || (doc[key].*kind)();
}

// A job's error as stored: {code, message}; rows older versions wrote hold "code: message".
bool ErrorWellFormed(const json& doc) {
  if (NullOr(doc, "error", &json::is_string)) return true;
  const json& e = doc["error"];
  return e.is_object() && e.contains("code") && e["code"].is_string() && e.contains("message") &&
         e["message"].is_string();
}

json ErrorJson(const Error& error) {
  return {{"code", ErrorCodeName(error.code)}, {"message", Bounded(error.message)}};
}

// The error object of the API from what a row holds: an older row's "code: message" string is
// split where its code is a known one.
json ErrorObject(const json& stored) {
  if (!stored.is_string()) return stored;
  const std::string& text = stored.get_ref<const std::string&>();
  const size_t colon = text.find(": ");
  if (colon != std::string::npos) {
    if (auto code = ErrorCodeFromName(text.substr(0, colon))) {
      return {{"code", ErrorCodeName(*code)}, {"message", text.substr(colon + 2)}};
    }
  }
  return {{"code", ErrorCodeName(ErrorCode::kInternal)}, {"message", text}};
}

std::string TimeText(double unix_seconds) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::duration<double>(unix_seconds));
  return Rfc3339Utc(std::chrono::system_clock::time_point(since_epoch));
}

// What the API shows of a stored job: every time also as RFC 3339 text (`created_at_rfc3339`
// beside the Unix seconds of `created_at`, null with it), the error as an object.
json PublicView(json job) {
  for (const char* key : {"created_at", "started_at", "finished_at"}) {
    const json& value = job.contains(key) ? job[key] : json();
    job[std::string(key) + "_rfc3339"] =
        value.is_number() ? json(TimeText(value.get<double>())) : json(nullptr);
  }
  if (job.contains("error")) job["error"] = ErrorObject(job["error"]);
  return job;
}

// What the code reading a job relies on; anything else is a corrupt record.
bool WellFormed(const json& doc, const std::string& id) {
  return doc.is_object() && doc.contains("id") && doc["id"] == id &&
         OneOf(doc.value("type", json()), kJobTypes) &&
         OneOf(doc.value("status", json()), kJobStates) && doc.contains("request") &&
         doc["request"].is_object() && doc.contains("trigger") && doc["trigger"].is_string() &&
         doc.contains("run_id") && doc["run_id"].is_string() && doc.contains("created_at") &&
         doc["created_at"].is_number() && NullOr(doc, "started_at", &json::is_number) &&
         NullOr(doc, "finished_at", &json::is_number) && ErrorWellFormed(doc) &&
         NullOr(doc, "progress", &json::is_object) && NullOr(doc, "errors", &json::is_array) &&
         NullOr(doc, "plan", &json::is_array);
}

json EmptyProgress() {
  return {{"tags_total", 0}, {"tags_done", 0}, {"tags_failed", 0}, {"bytes", 0}, {"layers", 0}};
}

// What a corrupt row becomes: a failed job that says so, without the row's text.
json QuarantinedDoc(const std::string& id, const std::string& type, int64_t created_at_ms) {
  const bool known_type = std::any_of(std::begin(kJobTypes), std::end(kJobTypes),
                                      [&](const char* t) { return type == t; });
  return {{"id", id},
          {"type", known_type ? type : "unknown"},
          {"status", "failed"},
          {"trigger", ""},
          {"request", json::object()},
          {"run_id", ""},
          {"created_at", static_cast<double>(created_at_ms) / 1000},
          {"started_at", nullptr},
          {"finished_at", nullptr},
          {"progress", EmptyProgress()},
          {"errors", json::array()},
          {"error", {{"code", "internal"}, {"message", "corrupt record"}}}};
}

// The row of a job doc: the query columns say what the doc does.
store::StoredJob RowOf(const json& doc) {
  store::StoredJob row;
  row.id = doc.value("id", "");
  row.type = doc.value("type", "");
  row.status = store::JobStatusFromName(doc.value("status", "")).value_or(JobStatus::kFailed);
  row.created_at_ms = static_cast<int64_t>(doc.value("created_at", 0.0) * 1000);
  row.doc = Dump(doc);
  row.run_id = doc.value("run_id", "");
  const json& request = doc.contains("request") ? doc["request"] : json();
  if (row.type == "sync" && request.is_object()) {
    const json& name = request.value("name", json());
    if (name.is_string()) row.sync_name = name.get<std::string>();
    row.narrowed = request.contains("tag");
    row.dry_run = request.value("dry_run", json(false)) == json(true);
  }
  if (doc.value("trigger", "") == "event") row.collapse_key = CollapseKey(request);
  return row;
}

bool ValidJobId(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") ==
             std::string_view::npos;
}

// A cursor is "<created_at ms>.<id>" of the last job of the page before.
std::optional<store::JobCursor> ParseCursor(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 19) return std::nullopt;
  store::JobCursor c;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + dot, c.created_at_ms);
  if (ec != std::errc() || end != text.data() + dot || c.created_at_ms < 0) return std::nullopt;
  c.id = std::string(text.substr(dot + 1));
  if (!ValidJobId(c.id)) return std::nullopt;
  return c;
}

// Keeps a counter or gauge balanced whatever way a scope is left.
template <typename F>
struct OnExit {
  F f;
  ~OnExit() { f(); }
};
template <typename F>
OnExit(F) -> OnExit<F>;

// A heartbeat write: how /ready learns that the store takes writes again (or no longer does,
// when nothing else writes). More often while it does not.
constexpr auto kProbeInterval = std::chrono::seconds(5);
constexpr auto kProbeIntervalUnwritable = std::chrono::seconds(2);
constexpr auto kPurgeInterval = std::chrono::minutes(10);

// A running job's lease (config job_lease) is renewed this many times per lease: a replica that
// stops renewing (killed, cut off) loses its jobs to another one a lease after its last renewal.
constexpr int kRenewalsPerLease = 6;
// How long a push event's job waits for the registry to write the pushed tag.
constexpr std::chrono::milliseconds kEventTagWait{10'000};
// An idle runner asks the store for work this often (jobs submitted here wake it at once).
constexpr auto kClaimPoll = std::chrono::seconds(1);
constexpr auto kClaimRetry = std::chrono::seconds(5);

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// "host:pid": who holds a lease, in the store and in logs.
std::string LeaseOwner() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "unknown") + ":" + std::to_string(getpid());
}

}  // namespace

struct JobManager::Live {
  store::JobLease lease;
  std::atomic<int64_t> renewed_at_ms{SteadyMs()};  // steady clock
  // Taken over by another replica, or the job ended there (canceled): stop, write nothing.
  std::atomic<bool> lease_lost{false};
  std::atomic<bool> ending{false};  // its final status is being written: no renewals any more
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

JobManager::JobManager(const ServerConfig& config, replication::CheckpointStore& checkpoints,
                       store::JobStore& jobs, Metrics& metrics,
                       std::shared_ptr<http::Transport> transport)
    : config_(config),
      checkpoints_(checkpoints),
      jobs_(jobs),
      metrics_(metrics),
      transport_(std::move(transport)),
      workers_(config.workers, [&metrics](const char*) { metrics.RecordPanic("worker"); }),
      owner_(LeaseOwner()) {}

int64_t JobManager::LeaseMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(config_.job_lease).count();
}

JobManager::~JobManager() {
  Shutdown(std::chrono::seconds(0));
}

Status JobManager::Start() {
  if (Status s = jobs_.Migrate(); !s) return s;
  CheckIntegrity();
  if (auto purged = Purge(); purged && *purged > 0) {
    spdlog::info("jobs: {} ended job(s) past the retention purged", *purged);
  }
  // Runners claim them; jobs a replica that died was running wait for its leases to expire.
  auto recovered = jobs_.Unfinished();
  if (!recovered) return tl::unexpected(recovered.error());
  if (!recovered->empty())
    spdlog::info("jobs: {} queued or interrupted job(s) in the store", recovered->size());
  ObserveSyncs();
  for (int i = 0; i < config_.max_concurrent_jobs; ++i) {
    runners_.emplace_back([this](std::stop_token stop) { RunnerLoop(stop); });
  }
  if (!config_.schedules.empty()) {
    {
      std::lock_guard lock(mu_);
      next_runs_.assign(config_.schedules.size(), std::chrono::system_clock::now());
    }
    scheduler_ = std::jthread([this](std::stop_token stop) { SchedulerLoop(stop); });
  }
  maintenance_ = std::jthread([this](std::stop_token stop) { MaintenanceLoop(stop); });
  leases_ = std::jthread([this](std::stop_token stop) { LeaseLoop(stop); });
  return Ok();
}

// Before any run, the gauges say what the store remembers: a restart must not look like a sync
// that never succeeded, nor a new sync like one overdue (it gets the server's start as its last
// success, so an alert on `time() - last_success > N * interval` waits N intervals).
void JobManager::ObserveSyncs() {
  const double started = NowSeconds();
  for (const NamedSync& sync : config_.syncs) {
    std::optional<double> interval;
    for (const Schedule& s : config_.schedules) {
      const auto every = static_cast<double>(s.every.count());
      if (s.sync == sync.name && (!interval || every < *interval)) interval = every;
    }
    const auto time_of = [](const Result<std::optional<json>>& job, const char* key) {
      if (!job || !*job || !(**job).contains(key) || !(**job)[key].is_number()) {
        return std::optional<double>();
      }
      return std::optional<double>((**job)[key].get<double>());
    };
    const double last_start =
        time_of(LastSyncJob(sync.name, std::nullopt, /*whole_runs_only=*/true), "started_at")
            .value_or(0);
    const double last_success =
        time_of(LastSyncJob(sync.name, JobStatus::kSucceeded, /*whole_runs_only=*/true),
                "finished_at")
            .value_or(started);
    metrics_.ObserveSync(sync.name, interval, last_start, last_success);
  }
}

// The configured sync a job runs, if it is one (a stored job may name a sync the config no
// longer has: it gets no series, so the label set stays the config's). A dry run is not a run of
// the sync: it leaves the destinations as they were, so it must not look like a success.
const NamedSync* JobManager::SyncOf(const json& job) const {
  const store::StoredJob row = RowOf(job);
  if (row.sync_name.empty() || row.dry_run || row.narrowed) return nullptr;
  return config_.Sync(row.sync_name);
}

void JobManager::StoreError(const char* operation, const Error& error) {
  metrics_.RecordStoreError(operation);
  const std::string_view op(operation);
  if (op != "read" && op != "check") store_writable_ = false;
  if (jobs_.IsCorruption(error)) store_corrupt_ = true;
  spdlog::error("job store: {} failed: {}", operation, error.ToString());
}

Status JobManager::Insert(const std::string& id, const std::string& type, const json& request,
                          const std::string& trigger, const json& extra) {
  json doc = {{"id", id},
              {"type", type},
              {"status", "queued"},
              {"trigger", trigger},
              {"request", request},
              {"run_id", ""},
              {"created_at", NowSeconds()},
              {"started_at", nullptr},
              {"finished_at", nullptr},
              {"progress", EmptyProgress()},
              {"errors", json::array()},
              {"error", nullptr}};
  for (const auto& [key, value] : extra.items())
    doc[key] = value;
  Status s = jobs_.Insert(RowOf(doc));
  if (!s) {
    StoreError("insert", s.error());
    return s;
  }
  store_writable_ = true;
  return s;
}

Result<std::optional<json>> JobManager::Load(const std::string& id) {
  auto row = jobs_.Get(id);
  if (!row) {
    StoreError("read", row.error());
    return tl::unexpected(row.error());
  }
  if (!*row) return std::optional<json>();
  return std::optional<json>(ParseRow(**row));
}

// The row's doc, or (quarantining the row) a minimal failed job.
json JobManager::ParseRow(const store::StoredJob& row) {
  json doc = json::parse(row.doc, nullptr, /*allow_exceptions=*/false);
  if (WellFormed(doc, row.id)) {
    // Which replica holds the lease, or held it last (a column: the lease calls write it).
    doc["runner"] = row.owner.empty() ? json(nullptr) : json(row.owner);
    return doc;
  }
  doc = QuarantinedDoc(row.id, row.type, row.created_at_ms);
  spdlog::error("job store: job {} does not parse; it is marked failed (corrupt record)",
                ValidJobId(row.id) ? row.id : "with an invalid id");
  auto written = jobs_.Update(row.id, [&](store::StoredJob current) -> Result<store::StoredJob> {
    // Only the row that was read: a writer may have replaced it meanwhile.
    if (current.doc != row.doc) return MakeError(ErrorCode::kCanceled, "changed meanwhile");
    return RowOf(doc);
  });
  if (!written && written.error().code != ErrorCode::kCanceled) {
    StoreError("update", written.error());
  }
  return doc;
}

Status JobManager::Update(const std::string& id, const json& fields, std::optional<int64_t> fence,
                          bool unfinished_only) {
  // Read, merge and write in one store update: a progress update racing the final status must
  // not write back the status it read before.
  auto written = jobs_.Update(id, [&](const store::StoredJob& current) -> Result<store::StoredJob> {
    if ((fence || unfinished_only) && store::Ended(current.status)) {
      return MakeError(ErrorCode::kCanceled, "job " + id + " ended");
    }
    if (fence && current.fence != *fence) {
      metrics_.fencing_rejections().Increment();
      return MakeError(ErrorCode::kCanceled, "job " + id + ": its lease was taken over");
    }
    json merged = json::parse(current.doc, nullptr, /*allow_exceptions=*/false);
    if (!WellFormed(merged, id)) merged = QuarantinedDoc(id, current.type, current.created_at_ms);
    for (const auto& [key, value] : fields.items())
      merged[key] = value;
    return RowOf(merged);
  });
  if (!written) {
    const ErrorCode code = written.error().code;
    if (code != ErrorCode::kNotFound && code != ErrorCode::kCanceled) {
      StoreError("update", written.error());
    }
    return tl::unexpected(written.error());
  }
  store_writable_ = true;
  return Ok();
}

JobManager::Persisted JobManager::Persist(const std::string& id, const json& fields,
                                          std::optional<int64_t> fence) {
  Status s = Update(id, fields, fence);
  if (s) return Persisted::kSaved;
  if (s.error().code == ErrorCode::kCanceled) {
    spdlog::warn("job {}: not written: its lease was taken over or it ended elsewhere", id);
    return Persisted::kRefused;
  }
  if (s.error().code == ErrorCode::kNotFound) return Persisted::kRefused;
  // Shown by Get and List meanwhile; written when the store takes writes again.
  std::lock_guard lock(mu_);
  Unsaved& pending = unsaved_[id];
  if (!pending.fields.is_object()) pending.fields = json::object();
  for (const auto& [key, value] : fields.items())
    pending.fields[key] = value;
  pending.fence = fence;
  return Persisted::kHeld;
}

void JobManager::RetryUnsaved() {
  std::map<std::string, Unsaved> pending;
  {
    std::lock_guard lock(mu_);
    pending.swap(unsaved_);
  }
  for (auto& [id, unsaved] : pending) {
    if (Persist(id, unsaved.fields, unsaved.fence) == Persisted::kSaved)
      spdlog::info("job {}: its state, held back by the store, is saved", id);
  }
}

bool JobManager::ProbeStore() {
  if (Status s = jobs_.Heartbeat(); !s) {
    StoreError("probe", s.error());
    return false;
  }
  if (!store_writable_.exchange(true)) spdlog::info("job store: writable again");
  return true;
}

void JobManager::CheckIntegrity() {
  const std::string finding = jobs_.CheckIntegrity();
  if (finding.empty()) return;
  store_corrupt_ = true;
  StoreError("check", Error(ErrorCode::kInternal, "the database is corrupt: " + Bounded(finding)));
}

Result<int> JobManager::Purge() {
  const auto cutoff_ms = static_cast<int64_t>(
      (NowSeconds() - static_cast<double>(config_.job_retention.count())) * 1000);
  auto purged = jobs_.Purge(cutoff_ms, static_cast<int64_t>(config_.max_jobs));
  if (!purged) {
    StoreError("purge", purged.error());
    return tl::unexpected(purged.error());
  }
  // The checkpoints of ended jobs: nothing resumes them any more.
  for (const std::string& run : purged->run_ids) {
    if (auto deleted = checkpoints_.DeleteRun(run); !deleted) StoreError("purge", deleted.error());
  }
  return static_cast<int>(purged->jobs);
}

void JobManager::ObserveQueue() {
  auto queue = jobs_.Queue();
  if (!queue) {
    StoreError("read", queue.error());
    return;
  }
  double age = 0;
  if (queue->oldest_created_at_ms) {
    age = std::max(0.0, NowSeconds() - static_cast<double>(*queue->oldest_created_at_ms) / 1000);
  }
  metrics_.ObserveQueue(queue->queued, age);
}

void JobManager::MaintenanceLoop(std::stop_token stop) {
  auto next_purge = std::chrono::steady_clock::now() + kPurgeInterval;
  while (!stop.stop_requested()) {
    try {
      if (ProbeStore()) RetryUnsaved();
      ObserveQueue();
      if (std::chrono::steady_clock::now() >= next_purge) {
        next_purge = std::chrono::steady_clock::now() + kPurgeInterval;
        CheckIntegrity();
        if (auto purged = Purge(); purged && *purged > 0) {
          spdlog::info("jobs: {} ended job(s) past the retention purged", *purged);
        }
      }
    } catch (const std::exception& e) {
      metrics_.RecordPanic("scheduler");
      spdlog::error("job store maintenance: unexpected exception: {}", e.what());
    } catch (...) {
      metrics_.RecordPanic("scheduler");
      spdlog::error("job store maintenance: unknown exception");
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, store_writable_ ? kProbeInterval : kProbeIntervalUnwritable,
                 [&] { return shutting_down_; });
    if (shutting_down_) return;
  }
}

Result<json> JobManager::Submit(const std::string& type, const json& request,
                                const std::string& trigger, const json& extra) {
  auto stored = ValidateJobRequest(type, request, config_);
  if (!stored) return tl::unexpected(stored.error());
  std::lock_guard lock(mu_);
  if (shutting_down_) return MakeError(ErrorCode::kServerError, "the server is shutting down");
  const std::string id = NewJobId();
  if (Status s = Insert(id, type, *stored, trigger, extra); !s) {
    return MakeError(ErrorCode::kServerError, "the job store cannot be written (" +
                                                  s.error().message +
                                                  "); the job was not queued, try again later");
  }
  ++submissions_;
  cv_.notify_all();  // the scheduler waits on cv_ too: notify_one could wake it instead of a runner
  spdlog::info("job {} queued: {} ({})", id, type, trigger);
  auto doc = Load(id);
  if (!doc) return tl::unexpected(doc.error());
  if (!*doc) return MakeError(ErrorCode::kInternal, "job " + id + " vanished");
  return PublicView(std::move(**doc));
}

Result<json> JobManager::SubmitEvent(const TagEvent& event, bool& collapsed) {
  collapsed = false;
  json request = {{"name", event.sync},
                  {"registry", event.registry},
                  {"repository", event.repository},
                  {"tag", event.tag}};
  if (event.deleted) request["delete"] = true;
  std::optional<double> event_time;
  if (event.event_time) {
    event_time = std::chrono::duration<double>(event.event_time->time_since_epoch()).count();
  }
  // Held from the lookup to the submission: this replica's repeats find the job they join.
  std::lock_guard submitting(event_mu_);
  auto waiting = jobs_.QueuedWithKey(CollapseKey(request));
  if (!waiting) StoreError("read", waiting.error());
  if (waiting && *waiting) {
    const std::string id = (*waiting)->id;
    // Joined while it still waits unclaimed (a runner may have listed the tag already), keeping
    // the earliest event's time for the lag.
    auto joined = jobs_.Update(id, [&](store::StoredJob current) -> Result<store::StoredJob> {
      json doc = json::parse(current.doc, nullptr, /*allow_exceptions=*/false);
      if (current.status != JobStatus::kQueued || !current.owner.empty() || !WellFormed(doc, id)) {
        return MakeError(ErrorCode::kCanceled, "no longer waiting");
      }
      // The newest job of the tag does the other thing (a push after a delete): this event
      // comes after it, so it gets its own job.
      if (IsDeletion(doc) != event.deleted) {
        return MakeError(ErrorCode::kCanceled, "another action");
      }
      const json& earlier = doc.value("event_time", json());
      if (event_time && (!earlier.is_number() || *event_time < earlier.get<double>())) {
        doc["event_time"] = *event_time;
      }
      // The newest push's image is what the job waits for at the source (events come in order).
      if (!event.digest.empty()) doc["event_digest"] = event.digest;
      return RowOf(doc);
    });
    if (joined) {
      collapsed = true;
      return Get(id);
    }
    if (joined.error().code != ErrorCode::kCanceled) StoreError("update", joined.error());
  }
  json extra = json::object();
  if (event_time) extra["event_time"] = *event_time;
  if (!event.digest.empty()) extra["event_digest"] = event.digest;
  return Submit("sync", request, "event", extra);
}

json JobManager::WithProgress(json job) {
  std::shared_ptr<Live> live;
  {
    std::lock_guard lock(mu_);
    const std::string& id = job["id"].get_ref<const std::string&>();
    auto it = running_.find(id);
    if (it != running_.end()) live = it->second;
    if (auto u = unsaved_.find(id); u != unsaved_.end()) {
      for (const auto& [key, value] : u->second.fields.items())
        job[key] = value;
    }
  }
  if (live) {
    job["progress"] = live->Progress();
    std::lock_guard lock(live->mu);
    job["errors"] = live->errors;
  }
  return PublicView(std::move(job));
}

Result<json> JobManager::Get(const std::string& id) {
  auto doc = Load(id);
  if (!doc) return tl::unexpected(doc.error());
  if (!*doc) return MakeError(ErrorCode::kNotFound, "no job " + id);
  return WithProgress(std::move(**doc));
}

Result<JobPage> JobManager::List(const JobQuery& query) {
  std::optional<store::JobCursor> cursor;
  if (!query.cursor.empty()) {
    cursor = ParseCursor(query.cursor);
    if (!cursor) return MakeError(ErrorCode::kInvalidArgument, "invalid cursor");
  }
  auto rows = jobs_.List(
      {.status = query.status.empty() ? std::nullopt : store::JobStatusFromName(query.status),
       .type = query.type,
       .after = cursor,
       .limit = query.limit + 1});  // one more: is there a next page?
  if (!rows) {
    StoreError("read", rows.error());
    return tl::unexpected(rows.error());
  }
  JobPage page;
  const size_t limit = static_cast<size_t>(query.limit);
  for (size_t i = 0; i < rows->size() && i < limit; ++i)
    page.jobs.push_back(WithProgress(ParseRow((*rows)[i])));
  if (rows->size() > limit) {
    const store::StoredJob& last = (*rows)[limit - 1];
    page.next_cursor = std::to_string(last.created_at_ms) + "." + last.id;
  }
  return page;
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
      // Queued, or running on another replica: that replica's next lease renewal finds the job
      // ended and stops it.
      auto doc = Load(id);
      if (!doc) return tl::unexpected(doc.error());
      if (!*doc) return MakeError(ErrorCode::kNotFound, "no job " + id);
      const std::string status = (**doc)["status"];
      if (status != "queued" && status != "running") {
        return MakeError(ErrorCode::kClientError, "job " + id + " already ended: " + status);
      }
      Status s = Update(id, {{"status", "canceled"}, {"finished_at", NowSeconds()}},
                        /*fence=*/std::nullopt, /*unfinished_only=*/true);
      if (!s && s.error().code == ErrorCode::kCanceled) {
        return MakeError(ErrorCode::kClientError, "job " + id + " already ended");
      }
      if (!s) {
        return MakeError(ErrorCode::kServerError,
                         "the job store cannot be written (" + s.error().message + ")");
      }
      if (status == "running") spdlog::info("job {}: canceled; it stops where it runs", id);
      metrics_.RecordJob((**doc)["type"], "canceled", 0);
    }
  }
  return Get(id);
}

void JobManager::RunnerLoop(std::stop_token stop) {
  for (;;) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(mu_);
      if (stop.stop_requested() || shutting_down_) return;
      seen = submissions_;
    }
    std::optional<store::JobLease> lease;
    bool failed = false;
    try {
      auto claimed = jobs_.Claim(owner_, LeaseMs());
      if (claimed) {
        lease = *claimed;
      } else {
        failed = true;
        StoreError("claim", claimed.error());
      }
    } catch (...) {
      failed = true;
      metrics_.RecordPanic("worker");
      spdlog::error("jobs: claiming a job: {}", ExceptionMessage(std::current_exception()));
    }
    if (lease) {
      try {
        RunJob(*lease);
      } catch (const std::exception& e) {
        FailAfterPanic(*lease, e.what());
      } catch (...) {
        FailAfterPanic(*lease, "unknown exception");
      }
      continue;
    }
    // A store that fails is asked less often (each failure is logged and counted).
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, failed ? kClaimRetry : kClaimPoll,
                 [&] { return submissions_ != seen || shutting_down_; });
  }
}

// Nothing here may throw: it is what runs when something already did.
void JobManager::FailAfterPanic(const store::JobLease& lease, const std::string& what) noexcept {
  try {
    metrics_.RecordPanic("worker");
    spdlog::error("job {}: unexpected exception: {}", lease.id, what);
    Persist(lease.id,
            {{"status", "failed"},
             {"finished_at", NowSeconds()},
             {"error", ErrorJson(Error(ErrorCode::kInternal, what.substr(0, 1024)))}},
            lease.fence);
  } catch (...) {
    spdlog::error("job {}: could not be marked failed", lease.id);
  }
}

void JobManager::RunJob(const store::JobLease& lease) {
  const std::string& id = lease.id;
  auto live = std::make_shared<Live>();
  live->lease = lease;
  json job;
  {
    std::lock_guard lock(mu_);
    auto doc = Load(id);
    const bool runnable = doc && *doc && !shutting_down_ &&
                          ((**doc)["status"] == "queued" || (**doc)["status"] == "running");
    if (!runnable) {
      if (Status s = jobs_.Release(lease); !s) StoreError("update", s.error());
      return;
    }
    job = **doc;
    running_[id] = live;
  }
  // Whatever way Execute ends, the job leaves running_ and the gauge comes back down.
  OnExit forget{[&] {
    std::lock_guard lock(mu_);
    running_.erase(id);
    cv_.notify_all();
  }};
  metrics_.jobs_active().Increment();
  OnExit inactive{[&] { metrics_.jobs_active().Decrement(); }};
  ScopedLogFields log_fields({{"job_id", id}, {"job_type", job["type"]}});
  if (!lease.taken_from.empty()) {
    metrics_.lease_takeovers().Increment();
    spdlog::warn("job {}: taken over from {}, which stopped renewing its lease", id,
                 lease.taken_from);
  }
  if (job["status"] == "running") {
    spdlog::info("job {}: resumed from its checkpoint (lease {} of {})", id, lease.fence, owner_);
  }
  if (job["started_at"].is_null()) job["started_at"] = NowSeconds();
  if (Persist(id, {{"status", "running"}, {"started_at", job["started_at"]}}, lease.fence) ==
      Persisted::kRefused) {
    return;
  }
  if (const NamedSync* sync = SyncOf(job)) {
    metrics_.RecordSyncStart(sync->name, job["started_at"].get<double>());
  }
  Execute(id, job, *live);
}

void JobManager::Execute(const std::string& id, const json& job, Live& live) {
  const auto start = std::chrono::steady_clock::now();
  const std::string type = job["type"];
  const auto finish = [&](const std::string& status, json error) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double finished_at = NowSeconds();
    json fields = {{"status", status},
                   {"finished_at", finished_at},
                   {"progress", live.Progress()},
                   {"error", error}};
    {
      std::lock_guard lock(live.mu);
      fields["errors"] = live.errors;
      if (!live.plan.empty()) fields["plan"] = live.plan;
    }
    if (live.lease_lost) return StoppedElsewhere(id, live);
    live.ending = true;
    // Before the status is visible: whoever sees the job succeeded sees the gauge say so.
    if (const NamedSync* sync = SyncOf(job); sync && status == "succeeded") {
      metrics_.RecordSyncSuccess(sync->name, finished_at);
    }
    const Persisted persisted = Persist(id, fields, live.lease.fence);
    if (persisted == Persisted::kRefused) return StoppedElsewhere(id, live);
    if (persisted == Persisted::kHeld) {
      spdlog::error("job {}: its final status ({}) is held in memory until the store takes writes",
                    id, status);
    }
    ObserveEventLag(job, status);
    metrics_.RecordJob(type, status, seconds);
    spdlog::info("job {} {} in {:.1f}s", id, status, seconds);
  };

  auto prepared = PrepareJob(type, job["request"], config_);
  if (!prepared) return finish("failed", ErrorJson(prepared.error()));
  prepared->pool.on_auth_failure = [this] { metrics_.RecordAuthFailure("registry"); };
  // The registries of a job are bounded (the config's syncs, or the allow-list of API jobs), and
  // ObservePair below created their retry counters.
  prepared->pool.on_retry = [this](const std::string& registry, const Error& e, Clock::Duration) {
    metrics_.RecordRetry(registry, registry::RetryReason(e));
  };

  const auto stopped_for_shutdown = [&] {
    // The job stays "running" with its checkpoint, and its lease is given up: another replica,
    // or the next start, resumes it at once.
    Persist(id, {{"progress", live.Progress()}}, live.lease.fence);
    if (Status s = jobs_.Release(live.lease); !s) StoreError("update", s.error());
    spdlog::info("job {} stopped for shutdown; it resumes at the next start", id);
  };
  if (prepared->deletion) {
    Status deleted = PropagateDelete(job["request"], *prepared, live);
    if (live.canceled) return finish("canceled", nullptr);
    if (live.lease_lost) return StoppedElsewhere(id, live);
    if (live.stop.stop_requested()) return stopped_for_shutdown();
    return deleted ? finish("succeeded", nullptr) : finish("failed", ErrorJson(deleted.error()));
  }

  // Every write of the run's checkpoints carries this runner's fencing token.
  const auto checkpoints = checkpoints_.Fenced({.job_id = id, .fence = live.lease.fence});
  const auto checkpoint_failed = [&](const char* operation, const Error& e) {
    if (e.code != ErrorCode::kCanceled) return StoreError(operation, e);
    if (replication::IsTakeover(e)) metrics_.fencing_rejections().Increment();
    LoseLease(live);  // fenced out
  };
  std::string run_id = job.value("run_id", "");
  if (!run_id.empty()) {
    // Its checkpoint was purged meanwhile (or, from before cluster mode kept checkpoints in the
    // shared store, left on another replica): plan anew; tags already at their destinations are
    // found up to date.
    auto run = checkpoints->GetRun(run_id);
    if (run && !*run) {
      spdlog::info("job {}: checkpoint {} is not in the store; planning anew", id, run_id);
      run_id.clear();
    }
  }
  if (run_id.empty()) {
    auto created = checkpoints->CreateRun(type, Dump(job["request"]));
    if (!created) {
      checkpoint_failed("insert", created.error());
      return finish("failed", ErrorJson(created.error()));
    }
    run_id = *created;
    if (prepared->task) {
      if (Status s = checkpoints->SavePlan(run_id, {replication::ToRecord(*prepared->task)}); !s) {
        checkpoint_failed("insert", s.error());
        return finish("failed", ErrorJson(s.error()));
      }
    }
    Persist(id, {{"run_id", run_id}}, live.lease.fence);
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
            // A dry run moves no bytes: its progress counts those the real run would move.
            if (dry_run) live.bytes += r.report.bytes_transferred;
            if (!dry_run) {
              // Bytes were counted as they streamed (on_task_bytes), not here.
              metrics_.RecordReplication(
                  r.task.source.repository.registry, r.task.destination.repository.registry,
                  {.status = !ok                               ? ReplicationStatus::kFailed
                             : r.state == TaskState::kUpToDate ? ReplicationStatus::kUpToDate
                                                               : ReplicationStatus::kSuccess,
                   .seconds = r.seconds,
                   .layers = r.report.layers_transferred,
                   .error = r.error ? r.error->code : ErrorCode::kInternal});
            }
            std::lock_guard lock(live.mu);
            if (!ok && live.errors.size() < kMaxErrorsKept) {
              live.errors.push_back(
                  {{"source", Bounded(r.task.source.String())},
                   {"destination", Bounded(r.task.destination.String())},
                   {"error_type", r.error ? ErrorCodeName(r.error->code) : "internal"},
                   {"message", Bounded(r.error ? r.error->message : "unknown error")}});
            }
            for (const std::string& line : r.report.plan) {
              if (live.plan.size() < kMaxPlanLinesKept) live.plan.push_back(Bounded(line));
            }
          },
      .on_bytes = [&](uint64_t n) { live.bytes += n; },
      .on_task_bytes =
          [&](const CopyTask& task, uint64_t n) {
            if (dry_run) return;  // never called in one (nothing streams); said for the reader
            metrics_.AddReplicationBytes(task.source.repository.registry,
                                         task.destination.repository.registry, n);
          },
      // A copy that threw is a failed tag (the engine says so); it is a panic of ours, too.
      .on_panic = [this](const char*) { metrics_.RecordPanic("worker"); }};
  if (!dry_run) {
    prepared->engine.before_manifest_put = [&] { return CheckLeaseBeforePut(live); };
  }
  AwaitEventTag(job, clients, live.stop.get_token());
  auto result = replication::RunFleet(
      *checkpoints, run_id, clients, workers_, prepared->mappings,
      {.engine = prepared->engine,
       .plan = {.parallelism = config_.workers},
       .on_store_error = [&](const Error& e) { checkpoint_failed("update", e); }},
      std::move(observer), live.stop.get_token(), nullptr,
      {.on_tags_added = [&](int64_t tags) { live.tags_total += tags; },
       .on_planned =
           [&](int64_t planned, int64_t left) {
             live.tags_total = planned;
             live.tags_done += planned - left;  // done by an earlier attempt
           }});
  if (live.canceled) return finish("canceled", nullptr);
  // Fenced out of the checkpoint (a stopped run's kCanceled is a shutdown's or a lost lease's,
  // handled below).
  if (!result && result.error().code == ErrorCode::kCanceled && !live.stop.stop_requested()) {
    checkpoint_failed("update", result.error());
  }
  if (live.lease_lost) return StoppedElsewhere(id, live);
  if (live.stop.stop_requested()) return stopped_for_shutdown();
  if (!result) return finish("failed", ErrorJson(result.error()));
  if (result->status == "completed") return finish("succeeded", nullptr);
  finish("failed", ErrorJson(replication::SummaryError(result->summary)));
}

// A push event's job may run before the registry wrote the tag (see AwaitTagAt).
void JobManager::AwaitEventTag(const json& job, registry::ClientPool& clients,
                               std::stop_token stop) {
  const std::string digest = job.value("event_digest", "");
  const json& request = job["request"];
  if (digest.empty() || !request.contains("tag")) return;
  const std::string registry = request.value("registry", "");
  const std::string repository = request.value("repository", "");
  const std::string tag = request.value("tag", "");
  auto source = clients.Get(registry, registry::Role::kSource);
  if (!source) return;  // the copy reports it
  if (!AwaitTagAt(**source, repository, tag, digest, kEventTagWait, stop)) {
    spdlog::info("job {}: {}/{}:{} is not at the pushed {} after {} s; copying what it holds",
                 job.value("id", ""), registry, repository, tag, digest,
                 std::chrono::duration_cast<std::chrono::seconds>(kEventTagWait).count());
  }
}

Status JobManager::PropagateDelete(const json& request, const PreparedJob& prepared, Live& live) {
  const std::string registry = request.value("registry", "");
  const std::string repository = request.value("repository", "");
  const std::string tag = request.value("tag", "");
  registry::ClientPool clients(prepared.pool, transport_);
  auto source = clients.Get(registry, registry::Role::kSource);
  if (!source) return tl::unexpected(source.error());
  live.tags_total = static_cast<int64_t>(prepared.mappings.size());
  Status outcome = Ok();
  for (const replication::SyncMapping& m : prepared.mappings) {
    const std::string destination_name = m.destination.String() + ":" + tag;
    // Another tag of the source repository this sync mirrors into the same destination, deletes
    // included: a delete by digest may take it along once the source deleted it too.
    const auto mirrored = [&](const std::string& other) {
      auto narrowed = replication::NarrowToTag(*prepared.deletion, registry, repository, other);
      return narrowed && std::any_of(narrowed->begin(), narrowed->end(), [&](const auto& n) {
               return n.propagate_deletes && n.destination.String() == m.destination.String();
             });
    };
    Result<replication::TagDeleteOutcome> done =
        clients.Get(m.destination.registry, registry::Role::kDestination)
            .and_then([&](const std::shared_ptr<registry::RegistryClient>& destination) {
              return replication::PropagateTagDelete(
                  **source, *destination,
                  {.source_repository = repository,
                   .destination_repository = m.destination.path,
                   .tag = tag,
                   .mirrored = mirrored,
                   .before_delete = [&] { return CheckLeaseBeforePut(live); }},
                  live.stop.get_token());
            });
    std::lock_guard lock(live.mu);
    if (done) {
      live.tags_done += 1;
      live.plan.push_back(Bounded(replication::DescribeTagDelete(destination_name, *done)));
      continue;
    }
    live.tags_failed += 1;
    if (outcome) outcome = tl::unexpected(done.error());
    if (live.errors.size() < kMaxErrorsKept) {
      live.errors.push_back({{"source", Bounded(registry + "/" + repository + ":" + tag)},
                             {"destination", Bounded(destination_name)},
                             {"error_type", ErrorCodeName(done.error().code)},
                             {"message", Bounded(done.error().message)}});
    }
  }
  return outcome;
}

// Canceled from another replica, or taken over after this one missed its renewals: the job's
// outcome is written, and counted, by whoever holds it now.
void JobManager::StoppedElsewhere(const std::string& id, Live& live) {
  live.lease_lost = true;
  spdlog::warn("job {}: stopped: it was canceled elsewhere or its lease was taken over", id);
}

void JobManager::LeaseLoop(std::stop_token stop) {
  for (;;) {
    std::vector<std::shared_ptr<Live>> running;
    {
      std::unique_lock lock(mu_);
      // In milliseconds: job_lease is whole seconds, and 5s / 6 in seconds would be 0 (a loop).
      cv_.wait_for(lock, stop, std::chrono::milliseconds(LeaseMs() / kRenewalsPerLease),
                   [&] { return shutting_down_; });
      if (shutting_down_ || stop.stop_requested()) return;
      for (const auto& [id, live] : running_)
        running.push_back(live);
    }
    for (const auto& live : running)
      RenewLease(*live);
  }
}

void JobManager::RenewLease(Live& live) {
  // A job writing its outcome has ended in the store: a renewal would find no running job.
  if (live.lease_lost || live.ending) return;
  bool lost = false;
  try {
    auto renewed = jobs_.Renew(live.lease, LeaseMs());
    if (renewed && *renewed) {
      live.renewed_at_ms = SteadyMs();
    } else if (renewed) {
      lost = true;
    } else {
      StoreError("renew", renewed.error());
      // Near its expiry another replica may soon claim it: better stopped (one renewal
      // interval early, for clocks that run apart) than run twice.
      lost = SteadyMs() - live.renewed_at_ms >= LeaseMs() - LeaseMs() / kRenewalsPerLease;
    }
  } catch (const std::exception& e) {
    metrics_.RecordPanic("scheduler");
    spdlog::error("job {}: renewing its lease: unexpected exception: {}", live.lease.id, e.what());
  }
  if (lost) LoseLease(live);
}

// Only one caller logs: renewals race with the checks before manifest PUTs.
void JobManager::LoseLease(Live& live) {
  if (live.lease_lost.exchange(true)) return;
  live.stop.request_stop();
  spdlog::warn("job {}: its lease is lost (canceled elsewhere, or taken over); stopping",
               live.lease.id);
}

// Before a manifest PUT, the point after which a tag is visible at the destination: the lease
// is renewed, which also proves it is still this runner's, so a runner whose job was taken over
// never moves a tag the new holder is copying.
Status JobManager::CheckLeaseBeforePut(Live& live) {
  RenewLease(live);
  if (!live.lease_lost) return Ok();
  return MakeError(ErrorCode::kCanceled,
                   "job " + live.lease.id + ": its lease is lost; manifest not pushed");
}

// A push event's job (the earliest of the events it joined) that succeeded: from the event to now.
void JobManager::ObserveEventLag(const json& job, const std::string& status) {
  const json& event_time = job.value("event_time", json());
  // The lag is a replication's: a delete's job has none.
  if (status != "succeeded" || !event_time.is_number() || IsDeletion(job)) return;
  const double seconds = NowSeconds() - event_time.get<double>();
  metrics_.ObserveEventLag(std::max(0.0, seconds));  // a registry clock ahead of ours says 0
}

Result<std::optional<json>> JobManager::LastSyncJob(const std::string& name,
                                                    std::optional<JobStatus> status,
                                                    bool whole_runs_only) {
  auto row = jobs_.LastOfSync(name, status, whole_runs_only);
  if (!row) {
    StoreError("read", row.error());
    return tl::unexpected(row.error());
  }
  if (!*row) return std::optional<json>();
  return std::optional<json>(ParseRow(**row));
}

Result<json> JobManager::Syncs() {
  std::vector<std::chrono::system_clock::time_point> next_runs;
  {
    std::lock_guard lock(mu_);
    next_runs = next_runs_;
  }
  json syncs = json::array();
  for (const NamedSync& sync : config_.syncs) {
    json schedules = json::array();
    std::optional<std::chrono::system_clock::time_point> next;
    for (size_t i = 0; i < config_.schedules.size(); ++i) {
      if (config_.schedules[i].sync != sync.name) continue;
      schedules.push_back({{"every_seconds", config_.schedules[i].every.count()}});
      if (i < next_runs.size() && (!next || next_runs[i] < *next)) next = next_runs[i];
    }
    auto last = LastSyncJob(sync.name, std::nullopt, /*whole_runs_only=*/false);
    if (!last) return tl::unexpected(last.error());
    json last_run = nullptr;
    if (*last) {
      const json job = WithProgress(std::move(**last));
      last_run = {{"job_id", job["id"]}, {"status", job["status"]}, {"trigger", job["trigger"]}};
      for (const char* key :
           {"created_at", "created_at_rfc3339", "started_at", "started_at_rfc3339", "finished_at",
            "finished_at_rfc3339", "error"}) {
        last_run[key] = job.value(key, json());
      }
    }
    const auto unix_seconds = [](std::chrono::system_clock::time_point t) {
      return std::chrono::duration<double>(t.time_since_epoch()).count();
    };
    syncs.push_back({{"name", sync.name},
                     {"schedules", schedules},
                     {"next_run", next ? json(unix_seconds(*next)) : json(nullptr)},
                     {"next_run_rfc3339", next ? json(Rfc3339Utc(*next)) : json(nullptr)},
                     {"last_run", last_run}});
  }
  return syncs;
}

bool JobManager::SyncPending(const std::string& name) {
  auto pending = jobs_.SyncRunPending(name);
  if (!pending) StoreError("read", pending.error());
  return pending.value_or(false);
}

// Every replica's scheduler wakes for each interval; the store gives the run to the first. A
// tenth of the interval (at most 5 s) of slack keeps a replica's own next tick, a little early
// by the time the claim is written, from missing its slot.
bool JobManager::ClaimScheduleSlot(const Schedule& schedule) {
  const int64_t every_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(schedule.every).count();
  const int64_t slack_ms = std::min<int64_t>(every_ms / 10, 5000);
  auto slot = jobs_.ClaimScheduleSlot(schedule.sync + "/" + std::to_string(schedule.every.count()),
                                      every_ms - slack_ms);
  if (!slot) {
    StoreError("claim", slot.error());
    return false;
  }
  if (!*slot) spdlog::debug("schedule {}: this interval's run is another replica's", schedule.sync);
  return *slot;
}

void JobManager::SchedulerLoop(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> due(config_.schedules.size(), Clock::now());
  while (!stop.stop_requested()) {
    for (size_t i = 0; i < config_.schedules.size(); ++i) {
      if (Clock::now() < due[i]) continue;
      const Schedule& s = config_.schedules[i];
      due[i] = Clock::now() + s.every;
      {
        std::lock_guard lock(mu_);
        next_runs_[i] = std::chrono::system_clock::now() + s.every;
      }
      try {
        if (!ClaimScheduleSlot(s)) continue;
        if (SyncPending(s.sync)) {
          spdlog::info("schedule {}: the previous run is still going; skipped", s.sync);
          continue;
        }
        auto job = Submit("sync", {{"name", s.sync}}, "schedule");
        if (!job) spdlog::error("schedule {}: {}", s.sync, job.error().ToString());
      } catch (const std::exception& e) {
        metrics_.RecordPanic("scheduler");
        spdlog::error("schedule {}: unexpected exception: {}", s.sync, e.what());
      } catch (...) {
        metrics_.RecordPanic("scheduler");
        spdlog::error("schedule {}: unknown exception", s.sync);
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
  maintenance_ = {};
  leases_ = {};
  runners_.clear();
}

}  // namespace freightliner::server
