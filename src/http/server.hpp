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
// The server's own answers (413, 500) have the API's error shape:
// {"error":{"code":"too_large"|"internal","message":...}}. HEAD is answered without the body.
using ServerHandler = std::function<ServerResponse(const ServerRequest&)>;

struct ServerOptions {
  // "HOST:PORT"; port 0 picks a free one (see Server::port()). HOST is an IPv4 literal, an IPv6
  // literal ("[::1]:8080") or a name, bound to its first IPv4 address if it has one.
  std::string address;
  int threads = 4;  // event loops (epoll), each serving many connections
  // A larger Content-Length is answered 413 before the body is read (and the connection closed);
  // a chunked body that grows past it is answered 413 when it ends, or cut off (closed) if it
  // goes on for as much again (at least 64 KiB).
  size_t max_body_bytes = 1 << 20;
  std::chrono::seconds idle_timeout{15};  // a connection silent this long is closed
  // Open connections at most; beyond it, new ones wait in the listen backlog until one closes.
  // Never more than a quarter of the open file limit (see RaiseOpenFileLimit).
  unsigned max_connections = 4096;
  std::function<void()> on_panic;  // a handler threw
};

// Raises the soft limit on open files to the hard limit, as Go's runtime does at start (systemd
// and many shells start processes at 1024), and returns the limit now in force. For `serve`,
// before its servers start: each connection holds a descriptor.
uint64_t RaiseOpenFileLimit();

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
