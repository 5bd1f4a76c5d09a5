#pragma once
// The HTTP client under the registry layer: libcurl easy handles, pooled so that connections
// (and TLS sessions) are reused across requests and threads. Bodies can stream both ways, so a
// blob of any size passes through with bounded memory.
//
//   http::Transport transport({.user_agent = "freightliner/0.1.0"});
//   Result<http::Response> r = transport.Perform({.method = "GET", .url = url}, stop);

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "http/proxy.hpp"

namespace freightliner::http {

// Error bodies are read only to quote the registry's error code and message.
inline constexpr size_t kMaxErrorBodyBytes = 1u << 20;
// All header lines of one response together (a registry sending endless Link headers). Below
// libcurl's own limit (300 KB), so that the error is ours: named, and not retried.
inline constexpr size_t kMaxHeaderBytes = 256u << 10;

// Response headers, names compared case-insensitively, in arrival order. Values are valid UTF-8:
// the transport replaces invalid sequences with U+FFFD as they arrive.
class Headers {
 public:
  void Add(std::string_view name, std::string_view value);
  std::optional<std::string> Get(std::string_view name) const;
  std::vector<std::string> GetAll(std::string_view name) const;
  void Clear() { items_.clear(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;  // names lowercased
};

struct TlsOptions {
  bool verify = true;   // peer and host name
  std::string ca_file;  // extra CA bundle; empty = the system's
};

// Fills `buffer` with up to `capacity` bytes of request body; returns 0 at the end.
using BodySource = std::function<Result<size_t>(char* buffer, size_t capacity)>;
// Receives a 2xx response body chunk by chunk. Other responses are buffered instead.
using BodySink = std::function<Status(std::string_view chunk)>;

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // a small body held in memory
  BodySource body_source;            // or a streamed body of `body_size` bytes
  std::optional<uint64_t> body_size;
  BodySink body_sink;
  TlsOptions tls;
  // Redirects are followed (GET/HEAD blob downloads go to storage hosts), but never from https to
  // http; libcurl sends Authorization only while scheme, host and port stay the same.
  bool follow_redirects = true;
  // Buffered 2xx bodies larger than this fail with an error that names `body_cap_name`.
  size_t max_buffered_body = 32u << 20;
  std::string body_cap_name = "max_buffered_body";
  // Non-2xx bodies (only read for an error message) larger than this fail too.
  size_t max_error_body = kMaxErrorBodyBytes;
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;  // empty when streamed to a sink
  std::string effective_url;
};

struct TransportOptions {
  std::string user_agent;
  std::chrono::seconds connect_timeout{30};
  // A transfer slower than this many bytes per second for low_speed_time fails as a timeout.
  long low_speed_limit = 1024;
  std::chrono::seconds low_speed_time{60};
  // Chosen per request from its URL (ProxySettings::ProxyFor); empty: every request is direct,
  // whatever the environment says.
  ProxySettings proxy;
};

// Thread-safe. Owns a pool of curl easy handles; each keeps its live connections between uses.
class Transport {
 public:
  explicit Transport(TransportOptions options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Sends one request. Transport failures (DNS, connect, TLS, timeouts, cancellation, a sink or
  // source error) are errors; any HTTP status is a Response.
  Result<Response> Perform(const Request& request, std::stop_token stop = {});

  const TransportOptions& options() const { return options_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);

  TransportOptions options_;
  std::string no_proxy_;  // for CURLOPT_NOPROXY: NO_PROXY plus the loopback hosts
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
  struct Share;
  std::unique_ptr<Share> share_;
};

// In the message of an error whose TLS handshake got a plain-HTTP answer (the server does not
// speak TLS on that port): the registry layer turns it into advice.
inline constexpr std::string_view kPlainHttpAnswer = "the server answered TLS with plain HTTP";

// Percent-encodes a query parameter value.
std::string UrlEncode(std::string_view value);

}  // namespace freightliner::http
