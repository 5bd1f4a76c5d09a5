#include "server/metrics.hpp"

#include <dirent.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include "registry/retry.hpp"

namespace freightliner::server {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

const prometheus::Histogram::BucketBoundaries kReplicationBuckets = {0.5, 1,   2.5, 5,   10,  30,
                                                                     60,  120, 300, 600, 1800};
const prometheus::Histogram::BucketBoundaries kHttpBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                              0.5,   1,    2.5,   5,    10};
// Seconds from a push at the source to the copy's end: seconds when all is well.
const prometheus::Histogram::BucketBoundaries kEventLagBuckets = {1,  2,   5,   10,  20,  30,
                                                                  60, 120, 300, 600, 1800};
const prometheus::Histogram::BucketBoundaries kJobBuckets = {1,   5,   10,  30,   60,
                                                             120, 300, 600, 1800, 3600};

// What /proc says about this process.
struct ProcessStats {
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double cpu_seconds = 0;
  double threads = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;
};

double BootTime() {
  std::ifstream stat("/proc/stat");
  std::string key;
  double value = 0;
  while (stat >> key) {
    if (key == "btime" && stat >> value) return value;
    stat.ignore(1 << 16, '\n');
  }
  return 0;
}

double CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory handle being read
}

double MaxFds() {
  std::ifstream limits("/proc/self/limits");
  std::string line;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream in(line.substr(14));
      double soft = 0;
      if (in >> soft) return soft;
    }
  }
  return 0;
}

ProcessStats ReadProcessStats() {
  ProcessStats s;
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may contain spaces.
  const size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream in(stat.substr(close + 2));
    std::vector<std::string> f{std::istream_iterator<std::string>(in),
                               std::istream_iterator<std::string>()};
    // f[0] is field 3 (state): field N is f[N - 3].
    if (f.size() > 21) {
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      s.threads = std::stod(f[17]);
      s.start_time_seconds = BootTime() + std::stod(f[19]) / ticks;
      s.virtual_bytes = std::stod(f[20]);
      s.resident_bytes = std::stod(f[21]) * page;
    }
  }
  s.open_fds = CountOpenFds();
  s.max_fds = MaxFds();
  return s;
}

MetricFamily Single(const std::string& name, const std::string& help, MetricType type,
                    double value) {
  ClientMetric m;
  if (type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return MetricFamily{name, help, type, {m}};
}

// process_* (prometheus-cpp 1.0 has no process collector), the resident set and thread count
// under the spec's names, and the worker pool's gauges: read when scraped, so never stale.
class LiveCollector : public prometheus::Collectable {
 public:
  void SetWorkerPool(std::function<WorkerPoolStats()> stats) {
    std::lock_guard lock(mu_);
    pool_ = std::move(stats);
  }

  std::vector<MetricFamily> Collect() const override {
    const ProcessStats p = ReadProcessStats();
    WorkerPoolStats pool;
    {
      std::lock_guard lock(mu_);
      if (pool_) pool = pool_();
    }
    const auto G = MetricType::Gauge;
    return {
        Single("process_resident_memory_bytes", "Resident memory size in bytes.", G,
               p.resident_bytes),
        Single("process_virtual_memory_bytes", "Virtual memory size in bytes.", G, p.virtual_bytes),
        Single("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
               MetricType::Counter, p.cpu_seconds),
        Single("process_open_fds", "Number of open file descriptors.", G, p.open_fds),
        Single("process_max_fds", "Maximum number of open file descriptors.", G, p.max_fds),
        Single("process_start_time_seconds",
               "Start time of the process since unix epoch in seconds.", G, p.start_time_seconds),
        Single("freightliner_memory_usage_bytes", "Resident memory of the process in bytes.", G,
               p.resident_bytes),
        Single("freightliner_goroutines_count",
               "Threads of the process. Named after the spec's Go metric so that its dashboards "
               "work; a C++ process has threads, not goroutines.",
               G, p.threads),
        Single("freightliner_worker_pool_size", "Worker threads that copy tags.", G, pool.size),
        Single("freightliner_worker_pool_active", "Workers copying a tag now.", G, pool.active),
        Single("freightliner_worker_pool_queued", "Tags waiting for a worker.", G, pool.queued),
    };
  }

 private:
  mutable std::mutex mu_;
  std::function<WorkerPoolStats()> pool_;
};

}  // namespace

Metrics::Metrics(std::string version, std::string revision)
    : registry_(std::make_shared<prometheus::Registry>()),
      process_(std::make_shared<LiveCollector>()) {
  auto& r = *registry_;
  replications_ = &BuildCounter()
                       .Name("freightliner_replications_total")
                       .Help(
                           "Tags (or digests) replicated, by outcome: success, failed, or "
                           "up_to_date (the destination already had it; nothing moved).")
                       .Register(r);
  replication_duration_ = &BuildHistogram()
                               .Name("freightliner_replication_duration_seconds")
                               .Help(
                                   "Time to replicate one tag, successful or not (up-to-date "
                                   "tags are not observed).")
                               .Register(r);
  replication_bytes_ = &BuildCounter()
                            .Name("freightliner_replication_bytes_total")
                            .Help(
                                "Blob bytes transferred, counted as they stream (failed and "
                                "retried transfers included; blobs skipped or mounted are not).")
                            .Register(r);
  replication_layers_ = &BuildCounter()
                             .Name("freightliner_replication_layers_total")
                             .Help("Layer blobs transferred (config blobs excluded).")
                             .Register(r);
  replication_errors_ = &BuildCounter()
                             .Name("freightliner_replication_errors_total")
                             .Help("Failed replications by error code of the registry client.")
                             .Register(r);
  http_requests_ = &BuildCounter()
                        .Name("freightliner_http_requests_total")
                        .Help("API requests by method, route template and status code.")
                        .Register(r);
  http_duration_ = &BuildHistogram()
                        .Name("freightliner_http_request_duration_seconds")
                        .Help("API request duration by method, route template and status code.")
                        .Register(r);
  http_in_flight_ = &BuildGauge()
                         .Name("freightliner_http_requests_in_flight")
                         .Help("API requests being served now.")
                         .Register(r)
                         .Add({});
  panics_ = &BuildCounter()
                 .Name("freightliner_panics_total")
                 .Help(
                     "Exceptions caught at a component boundary (worker, api, scheduler); the "
                     "process survived them.")
                 .Register(r);
  jobs_ = &BuildCounter()
               .Name("freightliner_jobs_total")
               .Help("Finished jobs by type and final status.")
               .Register(r);
  job_duration_ = &BuildHistogram()
                       .Name("freightliner_job_duration_seconds")
                       .Help("Job run time by type, from start to its final status.")
                       .Register(r);
  jobs_active_ =
      &BuildGauge().Name("freightliner_jobs_active").Help("Jobs running now.").Register(r).Add({});
  jobs_queued_ = &BuildGauge()
                      .Name("freightliner_jobs_queued")
                      .Help(
                          "Jobs waiting for a runner, from the job store (in a cluster, the same "
                          "on every replica).")
                      .Register(r)
                      .Add({});
  oldest_queued_age_ = &BuildGauge()
                            .Name("freightliner_oldest_queued_job_age_seconds")
                            .Help(
                                "How long the oldest queued job has waited, from the job store; "
                                "0 when none waits.")
                            .Register(r)
                            .Add({});
  lease_takeovers_ = &BuildCounter()
                          .Name("freightliner_job_lease_takeovers_total")
                          .Help(
                              "Jobs this replica took over after the replica running them "
                              "stopped renewing its lease (killed or cut off).")
                          .Register(r)
                          .Add({});
  fencing_rejections_ = &BuildCounter()
                             .Name("freightliner_job_fencing_rejections_total")
                             .Help(
                                 "Writes of a job refused because another replica had taken its "
                                 "lease over; the job stopped here.")
                             .Register(r)
                             .Add({});
  auth_failures_ = &BuildCounter()
                        .Name("freightliner_auth_failures_total")
                        .Help(
                            "Authentication failures: api_key (API requests refused), registry "
                            "(registries refusing our credentials).")
                        .Register(r);
  store_errors_ = &BuildCounter()
                       .Name("freightliner_store_errors_total")
                       .Help(
                           "Job store operations that failed: insert, update, read, purge, "
                           "probe, check, claim, renew. /ready answers 503 while writes fail.")
                       .Register(r);
  registry_retries_ = &BuildCounter()
                           .Name("freightliner_registry_retries_total")
                           .Help(
                               "Requests to a registry that were retried, by registry and reason "
                               "(server_error, rate_limited, network, timeout).")
                           .Register(r);
  events_ = &BuildCounter()
                 .Name("freightliner_events_received_total")
                 .Help(
                     "Registry events received, by source (distribution, harbor) and action "
                     "(push, delete, pull; ignored: blobs and other kinds; invalid: entries "
                     "that did not parse).")
                 .Register(r);
  event_lag_ = &BuildHistogram()
                    .Name("freightliner_event_replication_lag_seconds")
                    .Help(
                        "From a push event's timestamp to the end of the copy of its tag at "
                        "the destination.")
                    .Register(r)
                    .Add({}, kEventLagBuckets);
  sync_last_start_ = &BuildGauge()
                          .Name("freightliner_sync_last_start_timestamp_seconds")
                          .Help(
                              "Unix time the last run of a configured sync started (scheduled or "
                              "on request); 0 if it never ran.")
                          .Register(r);
  sync_last_success_ = &BuildGauge()
                            .Name("freightliner_sync_last_success_timestamp_seconds")
                            .Help(
                                "Unix time a run of a configured sync last succeeded. At start: "
                                "from the job store, else the process start time (a grace "
                                "period for a new sync).")
                            .Register(r);
  sync_interval_ =
      &BuildGauge()
           .Name("freightliner_sync_interval_seconds")
           .Help("The schedule interval of a scheduled sync (the shortest if several).")
           .Register(r);
  BuildGauge()
      .Name("freightliner_build_info")
      .Help("Always 1; the labels say which build is running.")
      .Register(r)
      .Add({{"version", std::move(version)}, {"revision", std::move(revision)}})
      .Set(1);

  for (const char* component : kComponents)
    panics_->Add({{"component", component}});
  for (const char* type : kJobTypes) {
    for (const char* status : kJobStatuses)
      jobs_->Add({{"type", type}, {"status", status}});
    job_duration_->Add({{"type", type}}, kJobBuckets);
  }
  for (const char* type : kAuthFailureTypes)
    auth_failures_->Add({{"type", type}});
  for (const char* operation : kStoreOperations)
    store_errors_->Add({{"operation", operation}});
  for (const char* source : kEventSources) {
    for (const char* action : kEventActions)
      events_->Add({{"source", source}, {"action", action}});
  }
}

void Metrics::SetWorkerPool(std::function<WorkerPoolStats()> stats) {
  static_cast<LiveCollector&>(*process_).SetWorkerPool(std::move(stats));
}

void Metrics::ReserveRegistryLabels(const std::vector<std::string>& allowed_registries) {
  std::lock_guard lock(pairs_mu_);
  for (const std::string& registry : allowed_registries) {
    if (registry.find('*') == std::string::npos) reserved_registries_.insert(registry);
  }
}

std::string Metrics::RegistryLabel(const std::string& registry) {
  std::lock_guard lock(pairs_mu_);
  if (reserved_registries_.count(registry) > 0 || labelled_registries_.count(registry) > 0) {
    return registry;
  }
  if (labelled_registries_.size() < kMaxRegistryLabels) {
    labelled_registries_.insert(registry);
    return registry;
  }
  if (!registry_cap_logged_) {
    registry_cap_logged_ = true;
    spdlog::warn(
        "metrics: {} registries have their own label value (the limit); registries seen from now "
        "on are labelled \"{}\"",
        kMaxRegistryLabels, kOtherRegistryLabel);
  }
  return kOtherRegistryLabel;
}

void Metrics::ObservePair(const std::string& src, const std::string& dst) {
  ObserveLabelledPair(RegistryLabel(src), RegistryLabel(dst));
}

void Metrics::ObserveLabelledPair(const std::string& src, const std::string& dst) {
  ObserveRegistry(src);
  ObserveRegistry(dst);
  {
    std::lock_guard lock(pairs_mu_);
    if (!pairs_.emplace(src, dst).second) return;
  }
  const prometheus::Labels pair = {{"source_registry", src}, {"dest_registry", dst}};
  for (const char* status : kReplicationStatuses) {
    auto labels = pair;
    labels["status"] = status;
    replications_->Add(labels);
  }
  replication_duration_->Add(pair, kReplicationBuckets);
  replication_bytes_->Add(pair);
  replication_layers_->Add(pair);
  for (ErrorCode code : kAllErrorCodes) {
    auto labels = pair;
    labels["error_type"] = std::string(ErrorCodeName(code));
    replication_errors_->Add(labels);
  }
}

void Metrics::RecordReplication(const std::string& source_registry,
                                const std::string& dest_registry,
                                const ReplicationOutcome& outcome) {
  const std::string src = RegistryLabel(source_registry);
  const std::string dst = RegistryLabel(dest_registry);
  ObserveLabelledPair(src, dst);
  const prometheus::Labels pair = {{"source_registry", src}, {"dest_registry", dst}};
  auto labels = pair;
  labels["status"] = outcome.status == ReplicationStatus::kSuccess  ? "success"
                     : outcome.status == ReplicationStatus::kFailed ? "failed"
                                                                    : "up_to_date";
  replications_->Add(labels).Increment();
  if (outcome.status == ReplicationStatus::kUpToDate) return;  // nothing moved, nothing to time
  replication_duration_->Add(pair, kReplicationBuckets).Observe(outcome.seconds);
  replication_layers_->Add(pair).Increment(static_cast<double>(outcome.layers));
  if (outcome.status == ReplicationStatus::kFailed) {
    auto error_labels = pair;
    error_labels["error_type"] = std::string(ErrorCodeName(outcome.error));
    replication_errors_->Add(error_labels).Increment();
  }
}

void Metrics::AddReplicationBytes(const std::string& source_registry,
                                  const std::string& dest_registry, uint64_t bytes) {
  replication_bytes_
      ->Add({{"source_registry", RegistryLabel(source_registry)},
             {"dest_registry", RegistryLabel(dest_registry)}})
      .Increment(static_cast<double>(bytes));
}

// `registry`: a label value (RegistryLabel).
void Metrics::ObserveRegistry(const std::string& registry) {
  {
    std::lock_guard lock(pairs_mu_);
    if (!registries_.insert(registry).second) return;
  }
  for (const char* reason : registry::kRetryReasons)
    registry_retries_->Add({{"registry", registry}, {"reason", reason}});
}

void Metrics::RecordRetry(const std::string& registry, const std::string& reason) {
  const std::string label = RegistryLabel(registry);
  ObserveRegistry(label);
  registry_retries_->Add({{"registry", label}, {"reason", reason}}).Increment();
}

void Metrics::ObserveSync(const std::string& name, std::optional<double> interval_seconds,
                          double last_start, double last_success) {
  sync_last_start_->Add({{"sync", name}}).Set(last_start);
  sync_last_success_->Add({{"sync", name}}).Set(last_success);
  if (interval_seconds) sync_interval_->Add({{"sync", name}}).Set(*interval_seconds);
}

void Metrics::RecordSyncStart(const std::string& name, double unix_seconds) {
  sync_last_start_->Add({{"sync", name}}).Set(unix_seconds);
}

void Metrics::RecordSyncSuccess(const std::string& name, double unix_seconds) {
  sync_last_success_->Add({{"sync", name}}).Set(unix_seconds);
}

void Metrics::ObserveRoute(const std::string& method, const std::string& path) {
  for (const char* status : {"500", "503"})
    http_requests_->Add({{"method", method}, {"path", path}, {"status", status}});
}

void Metrics::RecordHttp(const std::string& method, const std::string& path, int status,
                         double seconds) {
  const prometheus::Labels labels = {
      {"method", method}, {"path", path}, {"status", std::to_string(status)}};
  http_requests_->Add(labels).Increment();
  http_duration_->Add(labels, kHttpBuckets).Observe(seconds);
}

void Metrics::RecordPanic(const std::string& component) {
  panics_->Add({{"component", component}}).Increment();
}

void Metrics::RecordJob(const std::string& type, const std::string& status, double seconds) {
  jobs_->Add({{"type", type}, {"status", status}}).Increment();
  job_duration_->Add({{"type", type}}, kJobBuckets).Observe(seconds);
}

void Metrics::ObserveQueue(int64_t queued, double oldest_age_seconds) {
  jobs_queued_->Set(static_cast<double>(queued));
  oldest_queued_age_->Set(oldest_age_seconds);
}

void Metrics::RecordStoreError(const std::string& operation) {
  store_errors_->Add({{"operation", operation}}).Increment();
}

void Metrics::RecordEvent(const std::string& source, const std::string& action) {
  events_->Add({{"source", source}, {"action", action}}).Increment();
}

void Metrics::ObserveEventLag(double seconds) {
  event_lag_->Observe(seconds);
}

void Metrics::RecordAuthFailure(const std::string& type) {
  auth_failures_->Add({{"type", type}}).Increment();
}

}  // namespace freightliner::server
