#pragma once
// The HTTP server under the API and /metrics: an event loop (libmicrohttpd, epoll), so that idle
// or slow connections cost a socket and a little memory, never a thread. Handlers see a whole,
// size-bounded request and return a whole response.
//
//   http::Server server({.address = "127.0.0.1:0"}, [](const http::ServerRequest& r) {
//     return http::ServerResponse{.status = 200, .body = "ok\n"};
//   });
//   if (Status s = server.Start(); !s) ...;   // server.port() is the bound port

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace freightliner::http {

struct ServerRequest {
  std::string method;
  std::string path;   // as sent, without the query; not decoded
  std::string query;  // the raw query string, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;                                          // whole, at most max_body_bytes
  std::string remote_address;

  // The first header of that name (case-insensitive), if any.
  std::optional<std::string> Header(std::string_view name) const;
  // The first query parameter of that name, percent-decoded, if any.
  std::optional<std::string> QueryParameter(std::string_view name) const;
};

struct ServerResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
  std::string body;
};

// Called on one of the server's threads; must not block for long (it holds that thread's loop).
// An exception escaping it is answered with 500 and reported through ServerOptions::on_panic.
using ServerHandler = std::function<ServerResponse(const ServerRequest&)>;

struct ServerOptions {
  std::string address;  // "HOST:PORT"; port 0 picks a free one
  int threads = 4;      // event loops, each serving many connections
  size_t max_body_bytes = 1 << 20;                 // larger bodies are answered 413 unread
  std::chrono::seconds idle_timeout{15};           // a connection silent this long is closed
  unsigned max_connections = 4096;                 // beyond this, new connections are refused
  std::function<void()> on_panic;                  // a handler threw
};

// Thread-safe to Start and Stop from one owner thread; handlers run concurrently.
class Server {
 public:
  Server(ServerOptions options, ServerHandler handler);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving. An error names the address when it cannot be bound.
  Status Start();
  // Stops listening, closes every connection and waits for running handlers.
  void Stop();
  uint16_t port() const { return port_; }

 private:
  struct Impl;
  ServerOptions options_;
  ServerHandler handler_;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace freightliner::http
