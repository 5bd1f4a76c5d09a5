#include "server/api.hpp"

#include <civetweb.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>

namespace freightliner::server {
namespace {

using nlohmann::json;

json ErrorBody(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

int StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kClientError:
      return 409;
    case ErrorCode::kServerError:
      return 503;
    default:
      return 500;
  }
}

// Equal keys compare equal; the time taken does not depend on where two keys differ, nor on
// their lengths (both are hashed first).
bool KeyMatches(const std::string& given, const std::string& expected) {
  unsigned char a[SHA256_DIGEST_LENGTH];
  unsigned char b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(expected.data()), expected.size(), b);
  return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

}  // namespace

struct ApiServer::Response {
  int status = 200;
  json body;
};

ApiServer::ApiServer(const ServerConfig& config, JobManager& jobs, Metrics& metrics)
    : config_(config), jobs_(jobs), metrics_(metrics) {}

ApiServer::~ApiServer() {
  Stop();
}

Status ApiServer::Start() {
  // civetweb answers CORS preflights itself, allowing every origin, unless these are empty: the
  // API decides instead (AddCorsHeaders).
  // clang-format off
  const char* options[] = {
      "listening_ports", config_.api_addr.c_str(),
      "num_threads", "32",
      "request_timeout_ms", "30000",
      "enable_keep_alive", "yes",
      "keep_alive_timeout_ms", "30000",
      // A response goes out as two writes (head, body): without it, Nagle holds the body until
      // the client's delayed ACK of the head, 40 ms per request on a kept-alive connection.
      "tcp_nodelay", "1",
      "access_control_allow_origin", "",
      "access_control_allow_methods", "",
      "access_control_allow_headers", "",
      nullptr};
  // clang-format on
  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char* message) {
    spdlog::warn("api: {}", message);
    return 1;
  };
  ctx_ = mg_start(&callbacks, this, options);
  if (ctx_ == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot serve the API on " + config_.api_addr +
                                                      " (address in use, or not an address here)");
  }
  mg_set_request_handler(ctx_, "/", &ApiServer::Handle, this);
  for (const auto& [method, route] : std::initializer_list<std::pair<const char*, const char*>>{
           {"GET", "/health"},
           {"GET", "/ready"},
           {"POST", "/api/v1/replicate"},
           {"POST", "/api/v1/replicate-tree"},
           {"POST", "/api/v1/sync"},
           {"GET", "/api/v1/jobs"},
           {"GET", "/api/v1/jobs/{id}"},
           {"DELETE", "/api/v1/jobs/{id}"}}) {
    metrics_.ObserveRoute(method, route);
  }
  return Ok();
}

void ApiServer::Stop() {
  if (ctx_ != nullptr) mg_stop(ctx_);
  ctx_ = nullptr;
}

int ApiServer::Handle(mg_connection* conn, void* self) {
  return static_cast<ApiServer*>(self)->Serve(conn);
}

// Only for configured origins: the API sends no CORS header otherwise, so browsers on other
// origins cannot read its answers.
void ApiServer::AddCorsHeaders(mg_connection* conn) const {
  const char* origin = mg_get_header(conn, "Origin");
  if (origin == nullptr || config_.cors_origins.empty()) return;
  const bool any = std::find(config_.cors_origins.begin(), config_.cors_origins.end(), "*") !=
                   config_.cors_origins.end();
  const bool listed = std::find(config_.cors_origins.begin(), config_.cors_origins.end(), origin) !=
                      config_.cors_origins.end();
  if (!any && !listed) return;
  mg_response_header_add(conn, "Access-Control-Allow-Origin", any ? "*" : origin, -1);
  mg_response_header_add(conn, "Vary", "Origin", -1);
  mg_response_header_add(conn, "Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS", -1);
  mg_response_header_add(conn, "Access-Control-Allow-Headers",
                         "Authorization, X-API-Key, Content-Type", -1);
  mg_response_header_add(conn, "Access-Control-Max-Age", "600", -1);
}

bool ApiServer::Authorized(mg_connection* conn) const {
  if (config_.api_keys.empty()) return true;
  std::string given;
  if (const char* h = mg_get_header(conn, "X-API-Key")) {
    given = h;
  } else if (const char* auth = mg_get_header(conn, "Authorization")) {
    const std::string value = auth;
    if (value.rfind("Bearer ", 0) == 0) given = value.substr(7);
  }
  if (given.empty()) return false;
  bool ok = false;
  for (const std::string& key : config_.api_keys)
    ok |= KeyMatches(given, key);  // every key compared, whichever matches
  return ok;
}

int ApiServer::Serve(mg_connection* conn) {
  const auto start = std::chrono::steady_clock::now();
  const mg_request_info* ri = mg_get_request_info(conn);
  const std::string method = ri->request_method;
  const std::string path = ri->local_uri != nullptr ? ri->local_uri : "/";
  metrics_.http_in_flight().Increment();
  std::string route = "other";
  Response response;
  try {
    response = Route(conn, method, path, route);
  } catch (const std::exception& e) {
    metrics_.RecordPanic("api");
    spdlog::error("api {} {}: unexpected exception: {}", method, path, e.what());
    response = {500, ErrorBody("internal", "internal error")};
  }
  const std::string body = response.status == 204 ? "" : response.body.dump() + "\n";
  mg_response_header_start(conn, response.status);
  AddCorsHeaders(conn);
  mg_response_header_add(conn, "Content-Type", "application/json", -1);
  mg_response_header_add(conn, "Content-Length", std::to_string(body.size()).c_str(), -1);
  if (response.status == 401) mg_response_header_add(conn, "WWW-Authenticate", "Bearer", -1);
  mg_response_header_send(conn);
  if (method != "HEAD") mg_write(conn, body.data(), body.size());
  metrics_.http_in_flight().Decrement();
  metrics_.RecordHttp(
      method, route, response.status,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response.status;
}

ApiServer::Response ApiServer::Route(mg_connection* conn, const std::string& method,
                                     const std::string& path, std::string& route) {
  static const std::regex kJob("^/api/v1/jobs/([A-Za-z0-9-]{1,64})$");
  const auto allow = [&](std::initializer_list<const char*> methods) {
    for (const char* m : methods) {
      if (method == m) return true;
    }
    return false;
  };
  const auto not_allowed = [&] {
    return Response{405, ErrorBody("method_not_allowed", method + " is not allowed on " + route)};
  };

  if (path == "/health") {
    route = path;
    if (!allow({"GET", "HEAD"})) return not_allowed();
    return {200, {{"status", "ok"}}};
  }
  if (path == "/ready") {
    route = path;
    if (!allow({"GET", "HEAD"})) return not_allowed();
    if (draining_) return {503, {{"status", "draining"}}};
    return {200, {{"status", "ready"}}};
  }
  if (path.rfind("/api/", 0) != 0) {
    return {404, ErrorBody("not_found", "no route " + path)};
  }
  if (method == "OPTIONS" && !config_.cors_origins.empty()) {
    route = "/api/*";  // a CORS preflight: the headers say what is allowed
    return {204, nullptr};
  }
  std::smatch m;
  std::string job_id;
  if (path == "/api/v1/replicate" || path == "/api/v1/replicate-tree" || path == "/api/v1/sync" ||
      path == "/api/v1/jobs") {
    route = path;
  } else if (std::regex_match(path, m, kJob)) {
    route = "/api/v1/jobs/{id}";
    job_id = m[1].str();
  } else {
    return {404, ErrorBody("not_found", "no route " + path)};
  }
  if (!Authorized(conn)) {
    metrics_.RecordAuthFailure("api_key");
    return {401, ErrorBody("unauthorized",
                           "a valid API key is required (Authorization: Bearer KEY or X-API-Key)")};
  }
  const auto from_error = [](const Error& e) {
    return Response{StatusFor(e.code), ErrorBody(std::string(ErrorCodeName(e.code)), e.message)};
  };

  if (route == "/api/v1/jobs") {
    if (!allow({"GET"})) return not_allowed();
    char status[64] = "";
    char type[64] = "";
    const mg_request_info* ri = mg_get_request_info(conn);
    if (ri->query_string != nullptr) {
      const size_t n = strlen(ri->query_string);
      mg_get_var(ri->query_string, n, "status", status, sizeof(status));
      mg_get_var(ri->query_string, n, "type", type, sizeof(type));
    }
    const auto known = [](const std::string& v, const auto& values) {
      if (v.empty()) return true;
      for (const char* x : values) {
        if (v == x) return true;
      }
      return false;
    };
    if (!known(status, kJobStates)) {
      return {400, ErrorBody("invalid_argument", std::string("unknown status ") + status)};
    }
    if (!known(type, kJobTypes)) {
      return {400, ErrorBody("invalid_argument", std::string("unknown type ") + type)};
    }
    auto list = jobs_.List(status, type);
    if (!list) return from_error(list.error());
    return {200, {{"jobs", *list}}};
  }
  if (!job_id.empty()) {
    if (method == "GET") {
      auto job = jobs_.Get(job_id);
      return job ? Response{200, *job} : from_error(job.error());
    }
    if (method == "DELETE") {
      auto job = jobs_.Cancel(job_id);
      return job ? Response{202, *job} : from_error(job.error());
    }
    return not_allowed();
  }

  // POST /api/v1/{replicate,replicate-tree,sync}
  if (!allow({"POST"})) return not_allowed();
  const mg_request_info* ri = mg_get_request_info(conn);
  if (ri->content_length > static_cast<long long>(config_.max_body_bytes)) {
    return {413, ErrorBody("too_large", "the body is larger than " +
                                            std::to_string(config_.max_body_bytes) + " bytes")};
  }
  std::string body;
  char buffer[8192];
  for (;;) {
    const int n = mg_read(conn, buffer, sizeof(buffer));
    if (n <= 0) break;
    body.append(buffer, static_cast<size_t>(n));
    if (body.size() > config_.max_body_bytes) {
      return {413, ErrorBody("too_large", "the body is larger than " +
                                              std::to_string(config_.max_body_bytes) + " bytes")};
    }
  }
  json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) {
    return {400, ErrorBody("invalid_json", "the body is not valid JSON")};
  }
  const std::string type = route.substr(std::string("/api/v1/").size());
  auto job = jobs_.Submit(type, request, "api");
  if (!job) return from_error(job.error());
  return {202, {{"job_id", (*job)["id"]}, {"status", (*job)["status"]}, {"job", *job}}};
}

}  // namespace freightliner::server
