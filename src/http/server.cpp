#include "http/server.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>

#include "common/format.hpp"

namespace freightliner::http {
namespace {

// Per connection, for the request line and headers (MHD's pool; bodies are not kept there).
// Header blocks up to about half of it are accepted, the rest is answered 431 by MHD. nginx
// allows 32 KiB of headers by default; so does this.
constexpr size_t kConnectionMemoryBytes = 64 * 1024;
// Lines of MHD's own log per window; an attack (say, connections beyond the limit) would
// otherwise write one line per connection.
constexpr int kLogLinesPerWindow = 20;
constexpr std::chrono::seconds kLogWindow{10};
constexpr size_t kLogLineMaxBytes = 300;

// One HTTP request being received. Created by the URI callback (the first thing MHD reports
// about a request, and the only place it shows the URI as sent), deleted by the completion
// callback, which MHD calls for every request it reported to the URI callback.
struct PendingRequest {
  ServerRequest request;
  bool headers_seen = false;
  bool too_large = false;
  size_t discarded_bytes = 0;
};

std::string ErrorJson(std::string_view code, std::string_view message) {
  std::string body = R"({"error":{"code":")";
  body.append(code).append(R"(","message":")").append(message).append("\"}}\n");
  return body;
}

ServerResponse TooLarge(size_t max_body_bytes) {
  return {.status = 413,
          .headers = {{"Content-Type", "application/json"}, {"Connection", "close"}},
          .body = ErrorJson(
              "too_large", "the body is larger than " + std::to_string(max_body_bytes) + " bytes")};
}

// How much of a body over the limit is read and thrown away to answer 413 cleanly: bounded
// time and bandwidth, no memory.
size_t DiscardLimit(size_t max_body_bytes) {
  return std::max<size_t>(4 * max_body_bytes, 256 * 1024);
}

ServerResponse InternalError() {
  return {.status = 500,
          .headers = {{"Content-Type", "application/json"}},
          .body = ErrorJson("internal", "internal error")};
}

std::string Lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Lets kLogLinesPerWindow lines through per window, then counts what it drops and says so
// with the next line it lets through.
class LogLimiter {
 public:
  // Returns the number of lines dropped before this one, or -1 to drop this one.
  long Admit() {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    const auto window = std::chrono::duration_cast<std::chrono::steady_clock::duration>(kLogWindow);
    auto start = window_start_.load();
    if (now - start >= window.count() && window_start_.compare_exchange_strong(start, now)) {
      lines_ = 0;
    }
    if (lines_.fetch_add(1) >= kLogLinesPerWindow) {
      dropped_.fetch_add(1);
      return -1;
    }
    return dropped_.exchange(0);
  }

 private:
  std::atomic<std::chrono::steady_clock::rep> window_start_{0};
  std::atomic<int> lines_{0};
  std::atomic<long> dropped_{0};
};

// What the operator must see: the server short of a resource (connections at the limit, file
// descriptors, memory, threads) or unable to listen. The rest of what MHD says is about one
// client that misbehaved or went away (debug).
bool ConcernsTheServer(std::string_view message) {
  for (std::string_view word :
       {"limit", "memory", "accept", "bind", "listen", "thread", "epoll", "socket", "descriptor"}) {
    if (message.find(word) != std::string_view::npos) return true;
  }
  return false;
}

void LogFromMhd(void* cls, const char* format, va_list args) {
  char line[1024];
  std::vsnprintf(line, sizeof(line), format, args);
  const std::string message = EscapeUntrusted(line, kLogLineMaxBytes);
  if (!ConcernsTheServer(message)) {
    spdlog::debug("http server: {}", message);
    return;
  }
  const long dropped = static_cast<LogLimiter*>(cls)->Admit();
  if (dropped < 0) return;
  if (dropped > 0) spdlog::warn("http server: {} more such messages not logged", dropped);
  spdlog::warn("http server: {}", message);
}

struct ParsedAddress {
  std::string host;
  uint16_t port = 0;
};

Result<ParsedAddress> SplitAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  const auto invalid = [&] {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "listen address \"" + address + "\" must be HOST:PORT, such as 127.0.0.1:8080");
  };
  if (colon == std::string::npos || colon + 1 == address.size()) return invalid();
  ParsedAddress parsed;
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  auto [end, ec] = std::from_chars(first, last, parsed.port);
  if (ec != std::errc() || end != last) return invalid();
  parsed.host = address.substr(0, colon);
  if (parsed.host.size() >= 2 && parsed.host.front() == '[' && parsed.host.back() == ']') {
    parsed.host = parsed.host.substr(1, parsed.host.size() - 2);
  }
  if (parsed.host.empty()) return invalid();
  return parsed;
}

// The socket address to bind: a literal as it is; a name resolved, IPv4 first (what
// "localhost" means to most clients and to the addresses tests and probes dial).
Result<sockaddr_storage> ResolveAddress(const std::string& address) {
  auto parsed = SplitAddress(address);
  if (!parsed) return tl::unexpected(parsed.error());
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(parsed->port);
  if (int rc = getaddrinfo(parsed->host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot listen on " + address + ": " + gai_strerror(rc));
  }
  const addrinfo* chosen = found;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      chosen = a;
      break;
    }
  }
  sockaddr_storage storage{};
  std::memcpy(&storage, chosen->ai_addr, std::min<size_t>(chosen->ai_addrlen, sizeof(storage)));
  freeaddrinfo(found);
  if (storage.ss_family != AF_INET && storage.ss_family != AF_INET6) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot listen on " + address + ": not IP");
  }
  return storage;
}

// MHD binds MHD_OPTION_SOCK_ADDR; the port argument only names it in MHD's messages.
uint16_t PortOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &address, sizeof(in6));
    return ntohs(in6.sin6_port);
  }
  sockaddr_in in{};
  std::memcpy(&in, &address, sizeof(in));
  return ntohs(in.sin_port);
}

std::string RemoteAddress(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return "";
  char text[INET6_ADDRSTRLEN] = {};
  const sockaddr* addr = info->client_addr;
  if (addr->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, addr, sizeof(in));
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
  } else if (addr->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, addr, sizeof(in6));
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
  }
  return text;
}

MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(cls);
  headers->emplace_back(Lowercase(key != nullptr ? key : ""), value != nullptr ? value : "");
  return MHD_YES;
}

// The body length the client announced, if it did (and if it is a number).
std::optional<uint64_t> DeclaredLength(const ServerRequest& request) {
  auto value = request.Header("content-length");
  if (!value) return std::nullopt;
  uint64_t length = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), length);
  if (ec == std::errc::result_out_of_range) return std::numeric_limits<uint64_t>::max();
  if (ec != std::errc() || end != value->data() + value->size()) return std::nullopt;
  return length;
}

MHD_Result Send(MHD_Connection* connection, const ServerResponse& response) {
  MHD_Response* r = MHD_create_response_from_buffer(
      response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY);
  if (r == nullptr) return MHD_NO;
  for (const auto& [name, value] : response.headers) {
    if (Lowercase(name) == "content-length") continue;  // MHD writes it
    // MHD refuses names and values with line breaks: a handler cannot split the response.
    if (MHD_add_response_header(r, name.c_str(), value.c_str()) != MHD_YES) {
      spdlog::warn("http server: response header {} refused", EscapeUntrusted(name));
    }
  }
  const auto status = static_cast<unsigned>(std::clamp(response.status, 100, 999));
  const MHD_Result queued = MHD_queue_response(connection, status, r);
  MHD_destroy_response(r);
  return queued;
}

uint64_t OpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return std::numeric_limits<uint64_t>::max();
  }
  return limit.rlim_cur;
}

// Each connection holds a descriptor. Past the open file limit, accept() fails and so does every
// file and socket the rest of the process opens (jobs' registry connections, the state store):
// a server takes at most a quarter of the limit, so two at their limits leave half of it.
unsigned ConnectionBudget(const ServerOptions& options) {
  const uint64_t budget = OpenFileLimit() / 4;
  if (options.max_connections <= budget) return options.max_connections;
  spdlog::warn(
      "http server on {}: at most {} connections, not {}: a quarter of the open file limit ({}); "
      "raise the limit (ulimit -n) to allow more",
      options.address, budget, options.max_connections, OpenFileLimit());
  return static_cast<unsigned>(budget);
}

}  // namespace

uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  return OpenFileLimit();
}

struct Server::Impl {
  Server& owner;
  MHD_Daemon* daemon = nullptr;
  LogLimiter log_limiter;

  explicit Impl(Server& s) : owner(s) {}

  static void* OnUri(void*, const char* uri, MHD_Connection*) noexcept {
    try {
      auto* pending = new PendingRequest();
      const std::string_view raw = uri != nullptr ? uri : "";
      const size_t question = raw.find('?');
      pending->request.path = std::string(raw.substr(0, question));
      if (question != std::string_view::npos) {
        pending->request.query = std::string(raw.substr(question + 1));
      }
      return pending;
    } catch (...) {
      return nullptr;
    }
  }

  static void OnCompleted(void*, MHD_Connection*, void** con_cls,
                          MHD_RequestTerminationCode) noexcept {
    delete static_cast<PendingRequest*>(*con_cls);
    *con_cls = nullptr;
  }

  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char*,
                              const char* method, const char*, const char* upload_data,
                              size_t* upload_data_size, void** con_cls) noexcept {
    auto* pending = static_cast<PendingRequest*>(*con_cls);
    if (pending == nullptr) return MHD_NO;  // out of memory in OnUri: close
    try {
      return static_cast<Impl*>(cls)->Continue(*pending, connection, method, upload_data,
                                               upload_data_size);
    } catch (...) {
      return MHD_NO;  // out of memory while copying a request: close
    }
  }

  MHD_Result Continue(PendingRequest& pending, MHD_Connection* connection, const char* method,
                      const char* upload_data, size_t* upload_data_size) {
    const size_t max_body = owner.options_.max_body_bytes;
    if (!pending.headers_seen) {
      pending.headers_seen = true;
      ServerRequest& r = pending.request;
      r.method = method != nullptr ? method : "";
      MHD_get_connection_values(connection, MHD_HEADER_KIND, &CollectHeader, &r.headers);
      r.remote_address = RemoteAddress(connection);
      const std::optional<uint64_t> declared = DeclaredLength(r);
      if (declared && *declared > max_body) {
        // A client that waits for "100 Continue", or one that would send more than is worth
        // reading, is answered at once (MHD then closes). Any other is read to the end and
        // discarded first: closing on a client that is still sending makes its kernel reset
        // the connection, and the 413 would be lost with it.
        const auto expect = r.Header("expect");
        if ((expect && EqualsIgnoringCase(*expect, "100-continue")) ||
            *declared > DiscardLimit(max_body)) {
          return Send(connection, TooLarge(max_body));
        }
        pending.too_large = true;
      }
      return MHD_YES;
    }
    if (*upload_data_size != 0) {
      const size_t n = *upload_data_size;
      *upload_data_size = 0;
      if (!pending.too_large && pending.request.body.size() + n <= max_body) {
        pending.request.body.append(upload_data, n);
        return MHD_YES;
      }
      // Too large (declared so, or a chunked body that outgrew the limit). MHD answers only once
      // a body ends: read on, discarding, up to DiscardLimit, to say 413; past it, cut off.
      pending.too_large = true;
      pending.request.body.clear();
      pending.request.body.shrink_to_fit();
      pending.discarded_bytes += n;
      return pending.discarded_bytes <= DiscardLimit(max_body) ? MHD_YES : MHD_NO;
    }
    if (pending.too_large) return Send(connection, TooLarge(max_body));
    return Send(connection, Run(pending.request));
  }

  ServerResponse Run(const ServerRequest& request) {
    try {
      return owner.handler_(request);
    } catch (const std::exception& e) {
      spdlog::error("http server: {} {}: handler threw: {}", EscapeUntrusted(request.method),
                    EscapeUntrusted(request.path), EscapeUntrusted(e.what()));
    } catch (...) {
      spdlog::error("http server: {} {}: handler threw", EscapeUntrusted(request.method),
                    EscapeUntrusted(request.path));
    }
    if (owner.options_.on_panic) {
      try {
        owner.options_.on_panic();
      } catch (...) {
        spdlog::error("http server: on_panic threw");
      }
    }
    return InternalError();
  }
};

Server::Server(ServerOptions options, ServerHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

Server::~Server() {
  Stop();
}

Status Server::Start() {
  if (impl_ != nullptr) return Ok();
  auto address = ResolveAddress(options_.address);
  if (!address) return tl::unexpected(address.error());
  auto impl = std::make_unique<Impl>(*this);
  // One epoll loop per thread, each serving many connections; errors to LogFromMhd.
  unsigned flags = static_cast<unsigned>(MHD_USE_EPOLL_INTERNAL_THREAD) |
                   static_cast<unsigned>(MHD_USE_INTERNAL_POLLING_THREAD) |
                   static_cast<unsigned>(MHD_USE_ERROR_LOG) |
                   // Stop() wakes the loops through an eventfd: without it, a loop at its
                   // connection limit (listen socket not watched) sleeps until a timeout.
                   static_cast<unsigned>(MHD_USE_ITC);
  if (address->ss_family == AF_INET6) flags |= static_cast<unsigned>(MHD_USE_IPv6);
  const auto threads = static_cast<unsigned>(std::max(options_.threads, 1));
  const auto timeout = static_cast<unsigned>(std::max<long long>(options_.idle_timeout.count(), 1));
  // MHD shares the limit among its threads: each gets limit/threads.
  const unsigned max_connections = std::max(ConnectionBudget(options_), threads);
  auto* sock_addr = reinterpret_cast<sockaddr*>(&*address);
  // A pool of one is refused with a warning: one loop is MHD's own internal thread.
  MHD_OptionItem pool[] = {{MHD_OPTION_THREAD_POOL_SIZE, static_cast<intptr_t>(threads), nullptr},
                           {MHD_OPTION_END, 0, nullptr}};
  if (threads < 2) pool[0] = pool[1];
  // spdlog's registry is created on first use; event-loop threads log, so create it here, on
  // one thread, before they start (its lazy creation races under TSan's eyes otherwise).
  spdlog::default_logger_raw();
  // The logger comes first, or MHD writes what it says about the other options to stderr.
  // clang-format off
  impl->daemon = MHD_start_daemon(
      flags, PortOf(*address), nullptr, nullptr, &Impl::OnRequest, impl.get(),
      MHD_OPTION_EXTERNAL_LOGGER, &LogFromMhd, &impl->log_limiter,
      MHD_OPTION_SOCK_ADDR, sock_addr,
      MHD_OPTION_ARRAY, pool,
      MHD_OPTION_CONNECTION_TIMEOUT, timeout,
      MHD_OPTION_CONNECTION_LIMIT, max_connections,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemoryBytes,
      MHD_OPTION_URI_LOG_CALLBACK, &Impl::OnUri, impl.get(),
      MHD_OPTION_NOTIFY_COMPLETED, &Impl::OnCompleted, impl.get(),
      MHD_OPTION_END);
  // clang-format on
  if (impl->daemon == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot listen on " + options_.address +
                         " (address in use, or not an address of this host)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info != nullptr ? info->port : 0;
  impl_ = std::move(impl);
  return Ok();
}

void Server::Stop() {
  if (impl_ == nullptr) return;
  MHD_stop_daemon(impl_->daemon);
  impl_.reset();
}

}  // namespace freightliner::http
