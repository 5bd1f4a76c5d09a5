#pragma once
// The HTTP API (docs/API.md) on civetweb: jobs, health and readiness, with API keys, a body
// limit, read timeouts and keep-alive. Every request is counted by route template.

#include <atomic>
#include <string>

#include "common/error.hpp"
#include "server/config.hpp"
#include "server/jobs.hpp"
#include "server/metrics.hpp"

struct mg_context;
struct mg_connection;

namespace freightliner::server {

// Thread-safe: civetweb serves requests on its own threads.
class ApiServer {
 public:
  ApiServer(const ServerConfig& config, JobManager& jobs, Metrics& metrics);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  Status Start();
  // /ready answers 503 from now on; requests keep being served until Stop().
  void Drain() { draining_ = true; }
  void Stop();

 private:
  struct Response;
  static int Handle(mg_connection* conn, void* self);
  int Serve(mg_connection* conn);
  Response Route(mg_connection* conn, const std::string& method, const std::string& path,
                 std::string& route);
  bool Authorized(mg_connection* conn) const;
  void AddCorsHeaders(mg_connection* conn) const;

  const ServerConfig& config_;
  JobManager& jobs_;
  Metrics& metrics_;
  mg_context* ctx_ = nullptr;
  std::atomic<bool> draining_{false};
};

}  // namespace freightliner::server
