#include "http/transport.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <exception>

#include "common/format.hpp"
#include "http/untrusted.hpp"

namespace freightliner::http {
namespace {

constexpr size_t kMaxIdleHandles = 64;
constexpr long kTransferBufferBytes = 256 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "4 MiB" or "256 KiB" when whole, else the byte count.
std::string FormatBytes(size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

// State shared with curl's callbacks for one transfer.
struct Transfer {
  const Request* request = nullptr;
  Response* response = nullptr;
  CURL* easy = nullptr;
  std::stop_token stop;
  size_t body_offset = 0;               // for in-memory request bodies
  size_t header_bytes = 0;              // of every response so far (redirects included)
  std::optional<Error> callback_error;  // why a callback aborted the transfer
  // A caller's body callback threw: the transfer is aborted and the exception rethrown once
  // curl_easy_perform returns (an exception must not unwind through libcurl's C frames).
  std::exception_ptr callback_threw;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  t->header_bytes += n;
  if (t->header_bytes > kMaxHeaderBytes) {
    t->callback_error =
        Error(ErrorCode::kServerError,
              "response headers larger than the built-in limit max_header_bytes (" +
                  FormatBytes(kMaxHeaderBytes) + ") from " + EscapeUntrusted(t->request->url));
    t->callback_error->no_retry = true;
    return 0;  // any other count than n aborts the transfer
  }
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.Clear();  // a new response (after a redirect or 100 Continue)
    return n;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    // Header bytes are the registry's choice: keep them valid UTF-8 from here on, so that no
    // JSON document or log line built from them can fail.
    t->response->headers.Add(SanitizeUtf8(Trim(line.substr(0, colon))),
                             SanitizeUtf8(Trim(line.substr(colon + 1))));
  }
  return n;
}

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  if (t->request->body_sink && status >= 200 && status < 300) {
    Status s = Ok();
    try {
      s = t->request->body_sink(std::string_view(data, n));
    } catch (...) {
      t->callback_threw = std::current_exception();
      return CURL_WRITEFUNC_ERROR;
    }
    if (!s) {
      t->callback_error = s.error();
      return CURL_WRITEFUNC_ERROR;
    }
    return n;
  }
  const bool success = status >= 200 && status < 300;
  const size_t cap = success ? t->request->max_buffered_body
                             : std::min(t->request->max_buffered_body, t->request->max_error_body);
  if (t->response->body.size() + n > cap) {
    // A limit reached is an error naming it, never a silently shortened body. The limits are
    // built in (docs/SECURITY.md lists them), not settings.
    const std::string what =
        success ? "response body" : "HTTP " + std::to_string(status) + " error body";
    const std::string name = success ? t->request->body_cap_name : "max_error_body";
    t->callback_error = Error(status >= 500 ? ErrorCode::kServerError : ErrorCode::kClientError,
                              what + " larger than the built-in limit " + name + " (" +
                                  FormatBytes(cap) + ") from " + EscapeUntrusted(t->request->url));
    t->callback_error->no_retry = true;
    return CURL_WRITEFUNC_ERROR;
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t capacity = size * count;
  if (t->request->body_source) {
    Result<size_t> got = size_t{0};
    try {
      got = t->request->body_source(buffer, capacity);
    } catch (...) {
      t->callback_threw = std::current_exception();
      return CURL_READFUNC_ABORT;
    }
    if (!got) {
      t->callback_error = got.error();
      return CURL_READFUNC_ABORT;
    }
    return *got;
  }
  const std::string& body = t->request->body;
  const size_t n = std::min(capacity, body.size() - t->body_offset);
  std::memcpy(buffer, body.data() + t->body_offset, n);
  t->body_offset += n;
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->stop.stop_requested() ? 1 : 0;
}

Error MapCurlError(CURLcode code, const char* detail, const std::string& url) {
  std::string message = std::string(curl_easy_strerror(code));
  if (detail != nullptr && detail[0] != '\0') message += " (" + std::string(detail) + ")";
  message += " for " + url;
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error(ErrorCode::kTimeout, message);
    case CURLE_COULDNT_RESOLVE_HOST: {
      Error e(ErrorCode::kNetwork, message);
      e.no_retry = true;  // a name that does not resolve now will not in the next seconds
      return e;
    }
    case CURLE_SSL_CONNECT_ERROR:
      // OpenSSL reads an HTTP answer ("HTTP/1.1 400") as a record of an unknown TLS version.
      if (message.find("wrong version number") != std::string::npos) {
        Error e(ErrorCode::kNetwork, std::string(kPlainHttpAnswer) + ": " + message);
        e.no_retry = true;  // the server's protocol will not change in the next seconds
        return e;
      }
      return Error(ErrorCode::kNetwork, message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error(ErrorCode::kInvalidArgument, message);
    default:
      return Error(ErrorCode::kNetwork, message);
  }
}

}  // namespace

void Headers::Add(std::string_view name, std::string_view value) {
  items_.emplace_back(Lower(name), std::string(value));
}

std::optional<std::string> Headers::Get(std::string_view name) const {
  const std::string key = Lower(name);
  for (const auto& [k, v] : items_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Headers::GetAll(std::string_view name) const {
  const std::string key = Lower(name);
  std::vector<std::string> out;
  for (const auto& [k, v] : items_) {
    if (k == key) out.push_back(v);
  }
  return out;
}

// DNS answers and TLS sessions are shared by every handle; connections stay per handle.
struct Transport::Share {
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;

  Share() {
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~Share() { curl_share_cleanup(share); }
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Share*>(user)->locks[static_cast<size_t>(data)].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Share*>(user)->locks[static_cast<size_t>(data)].unlock();
  }
};

struct Transport::Handle {
  CURL* easy = curl_easy_init();
  ~Handle() { curl_easy_cleanup(easy); }
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

Transport::Transport(TransportOptions options)
    : options_(std::move(options)),
      no_proxy_(options_.proxy.no_proxy + (options_.proxy.no_proxy.empty() ? "" : ",") +
                "localhost,127.0.0.0/8,::1"),
      share_(std::make_unique<Share>()) {
  for (const std::string* proxy : {&options_.proxy.http_proxy, &options_.proxy.https_proxy}) {
    if (!proxy->empty()) {
      spdlog::debug("{} requests go through the proxy {} (except loopback and NO_PROXY hosts)",
                    proxy == &options_.proxy.http_proxy ? "http://" : "https://",
                    EscapeUntrusted(RedactProxyUrl(*proxy)));
    }
  }
}

Transport::~Transport() {
  idle_.clear();  // handles before the share they use
}

std::unique_ptr<Transport::Handle> Transport::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      curl_easy_reset(handle->easy);  // keeps live connections, drops options
      return handle;
    }
  }
  return std::make_unique<Handle>();
}

void Transport::Release(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
}

Result<Response> Transport::Perform(const Request& request, std::stop_token stop) {
  if (stop.stop_requested()) return MakeError(ErrorCode::kCanceled, "canceled");
  auto handle = Acquire();
  CURL* easy = handle->easy;
  if (easy == nullptr) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");

  Response response;
  Transfer transfer{.request = &request, .response = &response, .easy = easy, .stop = stop};
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  curl_easy_setopt(easy, CURLOPT_SHARE, share_->share);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer.data());
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_limit);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(options_.low_speed_time.count()));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  // Blobs stream through here: bigger buffers than libcurl's 16/64 KiB mean fewer callbacks,
  // syscalls and pipe hand-offs per byte.
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kTransferBufferBytes);
  curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, kTransferBufferBytes);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  // Always set, "" included: libcurl would otherwise read the environment behind our back, and
  // only its lower-case names. NOPROXY keeps redirects to loopback or NO_PROXY hosts direct.
  const std::string proxy = options_.proxy.ProxyFor(request.url);
  curl_easy_setopt(easy, CURLOPT_PROXY, proxy.c_str());
  if (!proxy.empty()) curl_easy_setopt(easy, CURLOPT_NOPROXY, no_proxy_.c_str());
  // A redirect never downgrades: what started on TLS stays on TLS.
  const bool started_on_tls = request.url.rfind("https://", 0) == 0;
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, started_on_tls ? "https" : "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, request.tls.verify ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, request.tls.verify ? 2L : 0L);
  if (!request.tls.ca_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, request.tls.ca_file.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &transfer);

  const bool has_body = request.body_source || !request.body.empty();
  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    // UPLOAD makes curl stream the body from OnRead; the method string then overrides PUT.
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, &OnRead);
    curl_easy_setopt(easy, CURLOPT_READDATA, &transfer);
    const uint64_t size = request.body_source ? request.body_size.value_or(0) : request.body.size();
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    if (request.method != "PUT") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  } else if (request.method == "POST") {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
  } else if (request.method == "PUT") {
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, &OnRead);
    curl_easy_setopt(easy, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(0));
  } else if (request.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  curl_slist* headers = nullptr;
  for (const std::string& h : request.headers)
    headers = curl_slist_append(headers, h.c_str());
  // libcurl would send `Expect: 100-continue` with every upload and wait a round trip for the
  // answer. Uploads here follow a request that already passed auth, so that wait buys nothing.
  if (has_body || request.method == "PUT") headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);

  const CURLcode code = curl_easy_perform(easy);
  curl_slist_free_all(headers);
  if (transfer.callback_threw) std::rethrow_exception(transfer.callback_threw);

  if (code != CURLE_OK) {
    Error error = transfer.callback_error.value_or(
        code == CURLE_ABORTED_BY_CALLBACK ? Error(ErrorCode::kCanceled, "canceled")
                                          : MapCurlError(code, error_buffer.data(), request.url));
    // A connection in an unknown state is not worth keeping: drop the handle.
    return tl::unexpected(std::move(error));
  }
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  char* effective = nullptr;
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective);
  if (effective != nullptr) response.effective_url = effective;
  Release(std::move(handle));
  return response;
}

std::string UrlEncode(std::string_view value) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0f]);
    }
  }
  return out;
}

}  // namespace freightliner::http
