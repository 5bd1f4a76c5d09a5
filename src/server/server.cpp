#include "server/server.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

#include "common/version.hpp"
#include "http/server.hpp"
#include "replication/checkpoint_store.hpp"
#include "server/api.hpp"
#include "server/jobs.hpp"
#include "server/metrics.hpp"
#include "server/metrics_endpoint.hpp"

namespace freightliner::server {
namespace {

void WaitForStop(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait(lock, stop, [] { return false; });
}

}  // namespace

Status Serve(const ServerConfig& config, std::stop_token stop) {
  const std::string state_dir =
      config.state_dir.empty() ? replication::DefaultStateDir() : config.state_dir;
  auto store = replication::CheckpointStore::Open(state_dir);
  if (!store) return tl::unexpected(store.error());

  Metrics metrics(kVersion, kRevision);
  // Every connection holds a descriptor: the servers' connection budgets are shares of it.
  spdlog::debug("open file limit: {}", http::RaiseOpenFileLimit());
  MetricsEndpoint metrics_endpoint(config.metrics_addr,
                                   {metrics.registry(), metrics.process_collector()},
                                   [&metrics] { metrics.RecordPanic("api"); });
  if (Status s = metrics_endpoint.Start(); !s) return s;

  auto transport = std::make_shared<http::Transport>(
      http::TransportOptions{.user_agent = std::string("freightliner/") + kVersion});
  JobManager jobs(config, **store, metrics, transport);
  metrics.SetWorkerPool([&jobs] {
    return WorkerPoolStats{jobs.workers().size(), jobs.workers().active(), jobs.workers().queued()};
  });
  if (Status s = jobs.Start(); !s) return s;
  ApiServer api(config, jobs, metrics);
  if (Status s = api.Start(); !s) return s;
  spdlog::info("serving the API on {} and metrics on {} (state in {}; {} API key(s))",
               config.api_addr, config.metrics_addr, state_dir, config.api_keys.size());

  WaitForStop(stop);
  spdlog::info("stopping: no new requests; running jobs checkpoint (up to {}s)",
               config.shutdown_timeout.count());
  api.Drain();
  api.Stop();
  jobs.Shutdown(config.shutdown_timeout);
  metrics.SetWorkerPool({});
  spdlog::info("stopped");
  return Ok();
}

}  // namespace freightliner::server
