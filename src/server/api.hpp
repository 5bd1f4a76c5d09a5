#pragma once
// The HTTP API (docs/SERVER.md): jobs, health and readiness, with API keys, CORS for configured
// origins, JSON-only writes, and every request counted by route template. The API is a handler
// of whole requests, independent of the HTTP server under it:
//
//   ApiServer api(config, jobs, metrics);
//   http::Server server({.address = config.api_addr}, [&](const auto& r) { return api.Handle(r);
//   });

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "http/server.hpp"
#include "server/config.hpp"
#include "server/event_intake.hpp"
#include "server/jobs.hpp"
#include "server/metrics.hpp"

namespace freightliner::server {

// Thread-safe: requests are handled concurrently.
class ApiServer {
 public:
  ApiServer(const ServerConfig& config, JobManager& jobs, Metrics& metrics);
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // The whole API for one request; never throws (an exception is a counted 500).
  http::ServerResponse Handle(const http::ServerRequest& request);
  // /ready answers 503 {"status": "draining", "reason": ...} from now on; every other request is
  // served as before (the drain delay: jobs are still taken).
  void StartDraining() {
    int serving = kServing;
    phase_.compare_exchange_strong(serving, kDrainDelay);
  }
  // The same, saying that jobs are now checkpointing (submissions are refused by the JobManager
  // once it shuts down).
  void Drain() { phase_ = kStopping; }

 private:
  struct Response {
    int status = 200;
    nlohmann::json body;
  };
  // What a route's template took from the path.
  struct PathParameters {
    std::string job_id;        // /api/v1/jobs/{id}
    std::string event_source;  // /api/v1/events/{distribution,harbor}[/REGISTRY]
    std::string event_registry;
  };
  // One row of the route table (api.cpp, kRoutes): a method on a path template. The template is
  // the route label of the HTTP metrics, so their series are bounded by the table.
  struct Route {
    const char* method;
    const char* path;
    bool needs_key;  // the API keys, when configured
    Response (ApiServer::*handle)(const http::ServerRequest&, const PathParameters&);
  };
  static const Route kRoutes[];
  // Whether `path` is an instance of the route template, filling what the template takes from
  // it. Templates: exact paths, /api/v1/jobs/{id} (a well-formed id) and /api/v1/events/SOURCE
  // (with or without /REGISTRY: one label per source, whatever registry the path names).
  static bool MatchPath(std::string_view route, const std::string& path,
                        PathParameters& parameters);
  // An error of the job manager as an answer: kAuth (a registry outside allowed_registries) is
  // 403, as the API documents.
  static Response FromError(const Error& e);

  // Finds the request's route (`label`: its template, or "other") and answers it.
  Response Dispatch(const http::ServerRequest& request, std::string& label);
  Response Health(const http::ServerRequest& request, const PathParameters& parameters);
  Response Ready(const http::ServerRequest& request, const PathParameters& parameters);
  Response ListJobs(const http::ServerRequest& request, const PathParameters& parameters);
  Response GetJob(const http::ServerRequest& request, const PathParameters& parameters);
  Response CancelJob(const http::ServerRequest& request, const PathParameters& parameters);
  Response ListSyncs(const http::ServerRequest& request, const PathParameters& parameters);
  Response SubmitJob(const http::ServerRequest& request, const PathParameters& parameters);
  Response ReceiveEvents(const http::ServerRequest& request, const PathParameters& parameters);
  // The body of a write: a JSON media type and at most max_body_bytes, or the error answer.
  std::optional<Response> RefuseBody(const http::ServerRequest& request) const;
  bool Authorized(const http::ServerRequest& request) const;
  void AddCorsHeaders(const http::ServerRequest& request, http::ServerResponse& response) const;

  const ServerConfig& config_;
  JobManager& jobs_;
  Metrics& metrics_;
  EventIntake events_{config_, jobs_, metrics_};
  static constexpr int kServing = 0, kDrainDelay = 1, kStopping = 2;
  std::atomic<int> phase_{kServing};
};

}  // namespace freightliner::server
