#include "server/metrics_endpoint.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>
#include <string_view>
#include <utility>

#include "common/format.hpp"

namespace freightliner::server {
namespace {

// The exposition format's own media type (Prometheus negotiates on it).
constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";
// Scrapes are small and quick; an exposition is rendered on the loop thread that received it.
constexpr int kThreads = 2;
constexpr unsigned kMaxConnections = 1024;
constexpr std::chrono::seconds kIdleTimeout{30};
constexpr size_t kMaxBodyBytes = 4096;  // a scrape has no body

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Accept-Encoding lists gzip with a weight above 0 ("gzip", "gzip;q=0.5"; not "gzip;q=0").
bool AcceptsGzip(const std::optional<std::string>& accept_encoding) {
  if (!accept_encoding) return false;
  std::string_view rest = *accept_encoding;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t semi = item.find(';');
    if (!EqualsIgnoringCase(Trim(item.substr(0, semi)), "gzip")) continue;
    if (semi == std::string_view::npos) return true;
    std::string_view param = Trim(item.substr(semi + 1));
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') return true;
    param.remove_prefix(2);
    double weight = 1;
    std::from_chars(param.data(), param.data() + param.size(), weight);
    return weight > 0;
  }
  return false;
}

// The gzip member of `input`, or nothing if zlib fails (the caller then sends it plain).
std::optional<std::string> Gzip(const std::string& input) {
  z_stream zs{};
  constexpr int kGzipWindowBits = 16 + MAX_WBITS;
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string output(deflateBound(&zs, static_cast<uLong>(input.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = reinterpret_cast<Bytef*>(output.data());
  zs.avail_out = static_cast<uInt>(output.size());
  const int rc = deflate(&zs, Z_FINISH);
  output.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return output;
}

std::vector<prometheus::MetricFamily> Collect(
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& collectable : collectables) {
    for (auto& family : collectable->Collect())
      families.push_back(std::move(family));
  }
  return families;
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(std::string address,
                                 std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
                                 std::function<void()> on_panic)
    : collectables_(std::move(collectables)),
      own_(std::make_shared<prometheus::Registry>()),
      // Names, help and quantiles as prometheus-cpp 1.0's Exposer (docs/METRICS.md).
      bytes_transferred_(prometheus::BuildCounter()
                             .Name("exposer_transferred_bytes_total")
                             .Help("Transferred bytes to metrics services")
                             .Register(*own_)
                             .Add({})),
      scrapes_(prometheus::BuildCounter()
                   .Name("exposer_scrapes_total")
                   .Help("Number of times metrics were scraped")
                   .Register(*own_)
                   .Add({})),
      latencies_(
          prometheus::BuildSummary()
              .Name("exposer_request_latencies")
              .Help("Latencies of serving scrape requests, in microseconds")
              .Register(*own_)
              .Add({}, prometheus::Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}})),
      server_({.address = std::move(address),
               .threads = kThreads,
               .max_body_bytes = kMaxBodyBytes,
               .idle_timeout = kIdleTimeout,
               .max_connections = kMaxConnections,
               .on_panic = std::move(on_panic)},
              [this](const http::ServerRequest& request) { return Handle(request); }) {
  collectables_.insert(collectables_.begin(), own_);
}

MetricsEndpoint::~MetricsEndpoint() {
  Stop();
}

Status MetricsEndpoint::Start() {
  Status s = server_.Start();
  if (!s) return tl::unexpected(s.error().WithContext("metrics_addr"));
  return Ok();
}

void MetricsEndpoint::Stop() {
  server_.Stop();
}

http::ServerResponse MetricsEndpoint::Handle(const http::ServerRequest& request) {
  if (request.path != "/metrics") {
    return {.status = 404, .headers = {{"Content-Type", "text/plain"}}, .body = "not found\n"};
  }
  if (request.method != "GET" && request.method != "HEAD") {
    return {.status = 405,
            .headers = {{"Allow", "GET, HEAD"}, {"Content-Type", "text/plain"}},
            .body = "method not allowed\n"};
  }
  const auto start = std::chrono::steady_clock::now();
  http::ServerResponse response{.status = 200, .headers = {{"Content-Type", kContentType}}};
  response.body = prometheus::TextSerializer().Serialize(Collect(collectables_));
  if (AcceptsGzip(request.Header("accept-encoding"))) {
    if (auto compressed = Gzip(response.body)) {
      response.body = std::move(*compressed);
      response.headers.emplace_back("Content-Encoding", "gzip");
    }
  }
  response.headers.emplace_back("Vary", "Accept-Encoding");
  if (request.method == "GET") {
    latencies_.Observe(static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::steady_clock::now() - start)
                                               .count()));
    bytes_transferred_.Increment(static_cast<double>(response.body.size()));
    scrapes_.Increment();
  }
  return response;
}

}  // namespace freightliner::server
