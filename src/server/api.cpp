#include "server/api.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <string_view>
#include <utility>

#include "registry/reference.hpp"

namespace freightliner::server {
namespace {

using nlohmann::json;

constexpr std::string_view kJobsPrefix = "/api/v1/jobs/";
constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

json ErrorBody(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

// Answers never throw on a string that is not UTF-8: such bytes become U+FFFD.
std::string Dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

int StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kAuth:
      return 403;
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

// A metric label from a caller's method: known methods, else "other" (bounded series).
std::string MethodLabel(const std::string& method) {
  for (const char* known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    if (method == known) return method;
  }
  return "other";
}

// application/json or a +json type (registry event payloads), parameters allowed: what a web
// page cannot send cross-origin without a preflight.
bool IsJsonMediaType(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  type.erase(0, type.find_first_not_of(" \t"));
  type.erase(type.find_last_not_of(" \t") + 1);
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (type == "application/json") return true;
  const size_t slash = type.find('/');
  return slash != std::string::npos && slash > 0 && type.size() > slash + 6 &&
         type.ends_with("+json") && type.find('/', slash + 1) == std::string::npos;
}

// /api/v1/events/SOURCE[/REGISTRY] -> {SOURCE, REGISTRY (empty when none)}, for a known source
// and a registry that is a valid host[:port]; nullopt for any other path.
std::optional<std::pair<std::string, std::string>> EventSourceOf(std::string_view path) {
  constexpr std::string_view kPrefix = "/api/v1/events/";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  const size_t slash = path.find('/');
  const std::string_view source = path.substr(0, slash);
  if (source != "distribution" && source != "harbor") return std::nullopt;
  if (slash == std::string_view::npos) return std::pair{std::string(source), std::string()};
  const std::string_view registry = path.substr(slash + 1);
  if (!registry::IsValidRegistryHost(registry)) return std::nullopt;
  return std::pair{std::string(source), std::string(registry)};
}

// A job id as NewJobId makes them, give or take: letters, digits and '-', at most 64.
bool ValidJobId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-';
  });
}

bool OneOf(const std::string& value, const auto& values) {
  return std::any_of(std::begin(values), std::end(values),
                     [&](const char* x) { return value == x; });
}

// Keeps the in-flight gauge balanced whatever way a request ends.
class InFlight {
 public:
  explicit InFlight(prometheus::Gauge& gauge) : gauge_(gauge) { gauge_.Increment(); }
  ~InFlight() { gauge_.Decrement(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  prometheus::Gauge& gauge_;
};

}  // namespace

// HEAD is answered wherever GET is.
const ApiServer::Route ApiServer::kRoutes[] = {
    {"GET", "/health", false, &ApiServer::Health},
    {"GET", "/ready", false, &ApiServer::Ready},
    {"POST", "/api/v1/replicate", true, &ApiServer::SubmitJob},
    {"POST", "/api/v1/replicate-tree", true, &ApiServer::SubmitJob},
    {"POST", "/api/v1/sync", true, &ApiServer::SubmitJob},
    {"GET", "/api/v1/jobs", true, &ApiServer::ListJobs},
    {"GET", "/api/v1/syncs", true, &ApiServer::ListSyncs},
    {"POST", "/api/v1/events/distribution", true, &ApiServer::ReceiveEvents},
    {"POST", "/api/v1/events/harbor", true, &ApiServer::ReceiveEvents},
    {"GET", "/api/v1/jobs/{id}", true, &ApiServer::GetJob},
    {"DELETE", "/api/v1/jobs/{id}", true, &ApiServer::CancelJob},
};

ApiServer::Response ApiServer::FromError(const Error& e) {
  if (e.code == ErrorCode::kAuth) return {403, ErrorBody("forbidden", e.message)};
  return {StatusFor(e.code), ErrorBody(std::string(ErrorCodeName(e.code)), e.message)};
}

bool ApiServer::MatchPath(std::string_view route, const std::string& path,
                          PathParameters& parameters) {
  constexpr std::string_view kJobTemplate = "/api/v1/jobs/{id}";
  constexpr std::string_view kEventsPrefix = "/api/v1/events/";
  if (route == kJobTemplate) {
    if (!path.starts_with(kJobsPrefix) || !ValidJobId(path.substr(kJobsPrefix.size()))) {
      return false;
    }
    parameters.job_id = path.substr(kJobsPrefix.size());
    return true;
  }
  if (route.starts_with(kEventsPrefix)) {
    auto source = EventSourceOf(path);
    if (!source || source->first != route.substr(kEventsPrefix.size())) return false;
    parameters.event_source = source->first;
    parameters.event_registry = source->second;
    return true;
  }
  return path == route;
}

ApiServer::ApiServer(const ServerConfig& config, JobManager& jobs, Metrics& metrics)
    : config_(config), jobs_(jobs), metrics_(metrics) {
  for (const Route& route : kRoutes)
    metrics_.ObserveRoute(route.method, route.path);
}

// Only for configured origins: the API sends no CORS header otherwise, so browsers on other
// origins cannot read its answers.
void ApiServer::AddCorsHeaders(const http::ServerRequest& request,
                               http::ServerResponse& response) const {
  const std::optional<std::string> origin = request.Header("origin");
  if (!origin || config_.cors_origins.empty()) return;
  const bool any = std::find(config_.cors_origins.begin(), config_.cors_origins.end(), "*") !=
                   config_.cors_origins.end();
  const bool listed = std::find(config_.cors_origins.begin(), config_.cors_origins.end(),
                                *origin) != config_.cors_origins.end();
  if (!any && !listed) return;
  auto& h = response.headers;
  h.emplace_back("Access-Control-Allow-Origin", any ? "*" : *origin);
  h.emplace_back("Vary", "Origin");
  h.emplace_back("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
  h.emplace_back("Access-Control-Allow-Headers", "Authorization, X-API-Key, Content-Type");
  h.emplace_back("Access-Control-Max-Age", "600");
}

bool ApiServer::Authorized(const http::ServerRequest& request) const {
  if (config_.api_keys.empty()) return true;
  std::string given;
  if (auto key = request.Header("x-api-key")) {
    given = *key;
  } else if (auto auth = request.Header("authorization")) {
    if (auth->rfind("Bearer ", 0) == 0) given = auth->substr(7);
  }
  if (given.empty()) return false;
  bool ok = false;
  for (const std::string& key : config_.api_keys)
    ok |= KeyMatches(given, key);  // every key compared, whichever matches
  return ok;
}

http::ServerResponse ApiServer::Handle(const http::ServerRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  InFlight in_flight(metrics_.http_in_flight());
  std::string route = "other";
  Response response;
  try {
    response = Dispatch(request, route);
  } catch (const std::exception& e) {
    metrics_.RecordPanic("api");
    spdlog::error("api {} {}: unexpected exception: {}", MethodLabel(request.method), route,
                  e.what());
    response = {500, ErrorBody("internal", "internal error")};
  } catch (...) {
    metrics_.RecordPanic("api");
    spdlog::error("api {} {}: unknown exception", MethodLabel(request.method), route);
    response = {500, ErrorBody("internal", "internal error")};
  }
  http::ServerResponse out{.status = response.status};
  AddCorsHeaders(request, out);
  out.headers.emplace_back("Content-Type", "application/json");
  if (response.status == 401) out.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (response.status != 204) out.body = Dump(response.body) + "\n";
  metrics_.RecordHttp(
      MethodLabel(request.method), route, response.status,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return out;
}

ApiServer::Response ApiServer::Dispatch(const http::ServerRequest& request, std::string& label) {
  const std::string& path = request.path;
  PathParameters parameters;
  bool matched = false;
  const Route* route = nullptr;
  for (const Route& r : kRoutes) {
    if (!MatchPath(r.path, path, parameters)) continue;
    matched = true;
    label = r.path;
    const bool get = std::string_view(r.method) == "GET";
    if (request.method == r.method || (get && request.method == "HEAD")) route = &r;
  }
  const bool api = path.starts_with("/api/");
  if (api && request.method == "OPTIONS" && !config_.cors_origins.empty()) {
    label = "/api/*";  // a CORS preflight: the headers say what is allowed
    return {204, nullptr};
  }
  if (!matched) {
    return {404, ErrorBody("not_found", "no route " + path.substr(0, 256))};
  }
  // The key first: without it, a caller learns nothing, not even which methods a path takes.
  if (api && !Authorized(request)) {
    metrics_.RecordAuthFailure("api_key");
    return {401, ErrorBody("unauthorized",
                           "a valid API key is required (Authorization: Bearer KEY or X-API-Key)")};
  }
  if (route == nullptr) {
    return {405, ErrorBody("method_not_allowed",
                           MethodLabel(request.method) + " is not allowed on " + label)};
  }
  return (this->*route->handle)(request, parameters);
}

ApiServer::Response ApiServer::Health(const http::ServerRequest&, const PathParameters&) {
  return {200, {{"status", "ok"}}};
}

ApiServer::Response ApiServer::Ready(const http::ServerRequest&, const PathParameters&) {
  switch (phase_.load()) {
    case kDrainDelay:
      return {503,
              {{"status", "draining"},
               {"reason", "the server is stopping: jobs are still taken until drain_delay ends"}}};
    case kStopping:
      return {503,
              {{"status", "draining"},
               {"reason", "the server is stopping: no new jobs; running jobs are checkpointing"}}};
    default:
      break;
  }
  // A store that cannot take writes fails every job: not ready.
  if (!jobs_.store_writable()) return {503, {{"status", "store_unwritable"}}};
  if (jobs_.store_corrupt()) return {503, {{"status", "store_corrupt"}}};
  return {200, {{"status", "ready"}}};
}

ApiServer::Response ApiServer::GetJob(const http::ServerRequest&, const PathParameters& p) {
  auto job = jobs_.Get(p.job_id);
  return job ? Response{200, *job} : FromError(job.error());
}

ApiServer::Response ApiServer::CancelJob(const http::ServerRequest&, const PathParameters& p) {
  auto job = jobs_.Cancel(p.job_id);
  return job ? Response{202, *job} : FromError(job.error());
}

ApiServer::Response ApiServer::ListSyncs(const http::ServerRequest&, const PathParameters&) {
  auto syncs = jobs_.Syncs();
  return syncs ? Response{200, {{"syncs", *syncs}}} : FromError(syncs.error());
}

std::optional<ApiServer::Response> ApiServer::RefuseBody(const http::ServerRequest& request) const {
  const std::optional<std::string> content_type = request.Header("content-type");
  if (!content_type || !IsJsonMediaType(*content_type)) {
    return Response{415, ErrorBody("unsupported_media_type",
                                   "the body must be sent as Content-Type: application/json")};
  }
  if (request.body.size() > config_.max_body_bytes) {
    return Response{413,
                    ErrorBody("too_large", "the body is larger than " +
                                               std::to_string(config_.max_body_bytes) + " bytes")};
  }
  return std::nullopt;
}

ApiServer::Response ApiServer::ReceiveEvents(const http::ServerRequest& request,
                                             const PathParameters& p) {
  if (auto refused = RefuseBody(request)) return *refused;
  auto outcome = events_.Receive(p.event_source, p.event_registry, request.body);
  return outcome ? Response{202, *outcome} : FromError(outcome.error());
}

ApiServer::Response ApiServer::ListJobs(const http::ServerRequest& request, const PathParameters&) {
  JobQuery query;
  query.status = request.QueryParameter("status").value_or("");
  query.type = request.QueryParameter("type").value_or("");
  query.cursor = request.QueryParameter("cursor").value_or("");
  if (!query.status.empty() && !OneOf(query.status, kJobStates)) {
    return {400, ErrorBody("invalid_argument", "unknown status " + query.status.substr(0, 64))};
  }
  if (!query.type.empty() && !OneOf(query.type, kJobTypes)) {
    return {400, ErrorBody("invalid_argument", "unknown type " + query.type.substr(0, 64))};
  }
  query.limit = kDefaultPageSize;
  if (auto limit = request.QueryParameter("limit")) {
    int n = 0;
    const auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n < 1 || n > kMaxPageSize) {
      return {400, ErrorBody("invalid_argument", "limit must be a whole number from 1 to " +
                                                     std::to_string(kMaxPageSize))};
    }
    query.limit = n;
  }
  auto page = jobs_.List(query);
  if (!page) return FromError(page.error());
  return {200,
          {{"jobs", std::move(page->jobs)},
           {"next_cursor", page->next_cursor ? json(*page->next_cursor) : json(nullptr)}}};
}

// POST /api/v1/{replicate,replicate-tree,sync}: the job type is the path's last segment.
ApiServer::Response ApiServer::SubmitJob(const http::ServerRequest& request,
                                         const PathParameters&) {
  if (auto refused = RefuseBody(request)) return *refused;
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return {400, ErrorBody("invalid_json", "the body is not valid JSON")};
  const std::string type = request.path.substr(request.path.rfind('/') + 1);
  auto job = jobs_.Submit(type, body, "api");
  if (!job) return FromError(job.error());
  return {202, {{"job_id", (*job)["id"]}, {"status", (*job)["status"]}, {"job", *job}}};
}

}  // namespace freightliner::server
