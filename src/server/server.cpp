#include "server/server.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

#include "common/version.hpp"
#include "common/yaml_reader.hpp"
#include "http/server.hpp"
#include "replication/checkpoint_store.hpp"
#include "server/api.hpp"
#include "server/jobs.hpp"
#include "server/metrics.hpp"
#include "server/metrics_endpoint.hpp"
#include "state/postgres.hpp"
#include "store/postgres_checkpoint_store.hpp"
#include "store/postgres_job_store.hpp"
#include "store/sqlite_job_store.hpp"

namespace freightliner::server {
namespace {

void WaitForStop(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait(lock, stop, [] { return false; });
}

// Whatever the address, the log says plainly whether the API asks for a key.
void LogApiSecurity(const ServerConfig& config) {
  if (!config.api_keys.empty()) {
    spdlog::info("API authentication: on ({} key(s)); /health, /ready and /metrics are open",
                 config.api_keys.size());
  } else if (IsLoopbackAddress(config.api_addr)) {
    spdlog::warn("API authentication: OFF (no API key); reachable from this host only ({})",
                 config.api_addr);
  } else {
    spdlog::warn(
        "API authentication: OFF (no API key, allow_unauthenticated): anyone who reaches "
        "{} can run jobs with this server's registry credentials",
        config.api_addr);
  }
  if (config.allowed_registries && config.allowed_registries->empty()) {
    spdlog::info(
        "API jobs: no registry is allowed (allowed_registries is empty); only the "
        "config's named syncs run");
  } else if (config.allowed_registries) {
    std::string list;
    for (const std::string& pattern : *config.allowed_registries)
      list += (list.empty() ? "" : ", ") + pattern;
    spdlog::info("API jobs may use these registries: {}", list);
  }
}

// Jobs and checkpoints: in the SQLite file of the state directory, or (cluster mode) in the
// PostgreSQL database the replicas share.
struct Stores {
  std::unique_ptr<replication::CheckpointStore> checkpoints;
  std::unique_ptr<store::JobStore> jobs;  // the SQLite one uses the checkpoints' connection
};

Result<Stores> OpenStores(const ServerConfig& config, const std::string& state_dir) {
  if (config.state_dsn.empty()) {
    auto local = replication::SqliteCheckpointStore::Open(state_dir);
    if (!local) return tl::unexpected(local.error());
    auto jobs = std::make_unique<store::SqliteJobStore>((*local)->database(), (*local)->mutex());
    return Stores{std::move(*local), std::move(jobs)};
  }
  const std::string where = "the shared store at " + state::pg::RedactDsn(config.state_dsn);
  auto jobs = store::PostgresJobStore::Open(config.state_dsn, config.state_password);
  if (!jobs) return tl::unexpected(jobs.error().WithContext(where));
  auto checkpoints = store::PostgresCheckpointStore::Open(config.state_dsn, config.state_password);
  if (!checkpoints) return tl::unexpected(checkpoints.error().WithContext(where));
  return Stores{std::move(*checkpoints), std::move(*jobs)};
}

}  // namespace

void DrainDelay::Wait(std::chrono::seconds delay) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, delay, [this] { return cut_; });
  over_ = true;
}

bool DrainDelay::CutShort() {
  std::lock_guard lock(mu_);
  if (over_) return false;
  cut_ = true;
  cv_.notify_all();
  return true;
}

Status Serve(const ServerConfig& config, std::stop_token stop, DrainDelay* drain) {
  const std::string state_dir =
      config.state_dir.empty() ? replication::DefaultStateDir() : config.state_dir;
  auto stores = OpenStores(config, state_dir);
  if (!stores) return tl::unexpected(stores.error());

  Metrics metrics(kVersion, kRevision);
  metrics.ReserveRegistryLabels(config.allowed_registries.value_or(std::vector<std::string>{}));
  // Every connection holds a descriptor: the servers' connection budgets are shares of it.
  spdlog::debug("open file limit: {}", http::RaiseOpenFileLimit());
  MetricsEndpoint metrics_endpoint(config.metrics_addr,
                                   {metrics.registry(), metrics.process_collector()},
                                   [&metrics] { metrics.RecordPanic("api"); });
  if (Status s = metrics_endpoint.Start(); !s) return s;

  auto transport = std::make_shared<http::Transport>(
      http::TransportOptions{.user_agent = std::string("freightliner/") + kVersion,
                             .proxy = http::ProxySettings::FromEnvironment(ProcessEnvironment())});
  JobManager jobs(config, *stores->checkpoints, *stores->jobs, metrics, transport);
  metrics.SetWorkerPool([&jobs] {
    return WorkerPoolStats{jobs.workers().size(), jobs.workers().active(), jobs.workers().queued()};
  });
  if (Status s = jobs.Start(); !s) return s;
  ApiServer api(config, jobs, metrics);
  http::Server api_http({.address = config.api_addr,
                         .max_body_bytes = config.max_body_bytes,
                         .on_panic = [&metrics] { metrics.RecordPanic("api"); }},
                        [&api](const http::ServerRequest& r) { return api.Handle(r); });
  if (Status s = api_http.Start(); !s) return s;
  spdlog::info("serving the API on {} and metrics on {} (state in {})", config.api_addr,
               config.metrics_addr,
               config.state_dsn.empty()
                   ? state_dir
                   : state::pg::RedactDsn(config.state_dsn) + ", shared by the replicas");
  LogApiSecurity(config);

  WaitForStop(stop);
  DrainDelay own;
  DrainDelay& delay = drain != nullptr ? *drain : own;
  if (config.drain_delay.count() > 0) {
    // First only /ready changes: load balancers take the server out of rotation while it still
    // takes jobs, so no client that was routed here meanwhile gets a refusal.
    spdlog::info(
        "stopping: /ready answers 503; jobs are still taken for {}s (drain_delay; signal again "
        "to skip it)",
        config.drain_delay.count());
    api.StartDraining();
    delay.Wait(config.drain_delay);
    spdlog::info("stopping: no new jobs; running jobs checkpoint (up to {}s)",
                 config.shutdown_timeout.count());
  } else {
    delay.Wait(config.drain_delay);  // over: a second signal now quits at once
    spdlog::info("stopping: /ready answers 503, no new jobs; running jobs checkpoint (up to {}s)",
                 config.shutdown_timeout.count());
  }
  // The API keeps answering while jobs drain: /ready says 503 (load balancers take the server
  // out), job reads still work, and submissions get 503 "shutting down".
  api.Drain();
  jobs.Shutdown(config.shutdown_timeout);
  api_http.Stop();
  metrics.SetWorkerPool({});
  spdlog::info("stopped");
  return Ok();
}

}  // namespace freightliner::server
