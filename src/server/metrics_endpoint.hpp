#pragma once
// GET /metrics on the event-loop http::Server: every collectable rendered with prometheus-cpp's
// text serializer (gzip when the scraper accepts it), plus the exposer_* families that
// prometheus-cpp's Exposer exported, so the exposition is the one it served. Idle or slow
// scrapers cost a socket, never one of a few threads.
//
//   MetricsEndpoint endpoint("0.0.0.0:2112", {metrics.registry(), metrics.process_collector()});
//   if (Status s = endpoint.Start(); !s) ...;

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "http/server.hpp"

namespace freightliner::server {

// Thread-safe: scrapes are served concurrently.
class MetricsEndpoint {
 public:
  MetricsEndpoint(std::string address,
                  std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
                  std::function<void()> on_panic = {});
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // Binds and serves; the error names the address.
  Status Start();
  void Stop();
  uint16_t port() const { return server_.port(); }

  // GET or HEAD /metrics: the exposition; other methods 405; other paths 404.
  http::ServerResponse Handle(const http::ServerRequest& request);

 private:
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  // The Exposer's own families, registered first as it did.
  std::shared_ptr<prometheus::Registry> own_;
  prometheus::Counter& bytes_transferred_;
  prometheus::Counter& scrapes_;
  prometheus::Summary& latencies_;
  http::Server server_;
};

}  // namespace freightliner::server
