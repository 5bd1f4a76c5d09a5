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
#include <string>

#include "common/error.hpp"
#include "http/server.hpp"
#include "server/config.hpp"
#include "server/jobs.hpp"
#include "server/metrics.hpp"

struct mg_context;
struct mg_connection;

namespace freightliner::server {

// Thread-safe: requests are handled concurrently.
class ApiServer {
 public:
  ApiServer(const ServerConfig& config, JobManager& jobs, Metrics& metrics);
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // The whole API for one request; never throws (an exception is a counted 500).
  http::ServerResponse Handle(const http::ServerRequest& request);
  // /ready answers 503 from now on; requests keep being served.
  void Drain() { draining_ = true; }

  // The answer to a body over `max_body_bytes`, for the server that refuses to read it.
  static http::ServerResponse TooLarge(size_t max_body_bytes);

 private:
  struct Response {
    int status = 200;
    nlohmann::json body;
  };
  Response Route(const http::ServerRequest& request, std::string& route);
  Response ListJobs(const http::ServerRequest& request);
  Response SubmitJob(const http::ServerRequest& request, const std::string& type);
  bool Authorized(const http::ServerRequest& request) const;
  void AddCorsHeaders(const http::ServerRequest& request, http::ServerResponse& response) const;

  const ServerConfig& config_;
  JobManager& jobs_;
  Metrics& metrics_;
  std::atomic<bool> draining_{false};
};

// Interim HTTP server on civetweb (a thread per connection) with http::Server's interface, so
// that swapping it for http::Server is a change of type. Reads whole bodies up to
// max_body_bytes (413 beyond).
class CivetwebServer {
 public:
  CivetwebServer(http::ServerOptions options, http::ServerHandler handler);
  ~CivetwebServer();  // Stop()
  CivetwebServer(const CivetwebServer&) = delete;
  CivetwebServer& operator=(const CivetwebServer&) = delete;

  Status Start();
  void Stop();

 private:
  static int Serve(mg_connection* conn, void* self);

  http::ServerOptions options_;
  http::ServerHandler handler_;
  mg_context* ctx_ = nullptr;
};

}  // namespace freightliner::server
