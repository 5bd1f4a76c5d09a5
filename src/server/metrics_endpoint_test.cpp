#include "server/metrics_endpoint.hpp"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <zlib.h>

#include <memory>
#include <string>

namespace freightliner::server {
namespace {

http::ServerRequest Request(std::string method, std::string path,
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::ServerRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.headers = std::move(headers);
  return r;
}

std::string Gunzip(const std::string& compressed) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::string HeaderOf(const http::ServerResponse& r, const std::string& name) {
  for (const auto& [key, value] : r.headers) {
    if (key == name) return value;
  }
  return "";
}

class MetricsEndpointTest : public ::testing::Test {
 protected:
  MetricsEndpointTest() {
    prometheus::BuildCounter()
        .Name("test_things_total")
        .Help("Things.")
        .Register(*registry_)
        .Add({{"kind", "a"}})
        .Increment(3);
  }
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  MetricsEndpoint endpoint_{"127.0.0.1:0", {registry_}};
};

TEST_F(MetricsEndpointTest, GetRendersEveryCollectableAndTheExposerFamilies) {
  http::ServerResponse r = endpoint_.Handle(Request("GET", "/metrics"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "");
  EXPECT_NE(r.body.find("# TYPE test_things_total counter\ntest_things_total{kind=\"a\"} 3\n"),
            std::string::npos)
      << r.body;
  // As prometheus-cpp's Exposer exported them, first.
  EXPECT_EQ(r.body.find("# HELP exposer_transferred_bytes_total"), 0u) << r.body;
  EXPECT_NE(r.body.find("# TYPE exposer_scrapes_total counter\nexposer_scrapes_total 0\n"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("# TYPE exposer_request_latencies summary\n"), std::string::npos);
  EXPECT_NE(r.body.find("exposer_request_latencies{quantile=\"0.99\"}"), std::string::npos);

  // The next scrape counts the first one and its bytes.
  const size_t first_size = r.body.size();
  r = endpoint_.Handle(Request("GET", "/metrics"));
  EXPECT_NE(r.body.find("exposer_scrapes_total 1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("exposer_transferred_bytes_total " + std::to_string(first_size) + "\n"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("exposer_request_latencies_count 1\n"), std::string::npos) << r.body;
}

TEST_F(MetricsEndpointTest, GzipWhenTheScraperAcceptsIt) {
  const std::string plain = endpoint_.Handle(Request("GET", "/metrics")).body;
  http::ServerResponse r =
      endpoint_.Handle(Request("GET", "/metrics", {{"accept-encoding", "identity, gzip"}}));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "gzip");
  const std::string text = Gunzip(r.body);
  EXPECT_NE(text.find("test_things_total{kind=\"a\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("exposer_scrapes_total 1\n"), std::string::npos) << text;

  for (const char* refused : {"gzip;q=0", "deflate", "gzipx", "GZIP ; q=0.0"}) {
    r = endpoint_.Handle(Request("GET", "/metrics", {{"accept-encoding", refused}}));
    EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "") << refused;
  }
  r = endpoint_.Handle(Request("GET", "/metrics", {{"accept-encoding", "GZip; q=0.5"}}));
  EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "gzip");
}

TEST_F(MetricsEndpointTest, OnlyGetAndHeadOfMetrics) {
  EXPECT_EQ(endpoint_.Handle(Request("HEAD", "/metrics")).status, 200);
  EXPECT_EQ(endpoint_.Handle(Request("GET", "/")).status, 404);
  EXPECT_EQ(endpoint_.Handle(Request("GET", "/metrics/")).status, 404);
  EXPECT_EQ(endpoint_.Handle(Request("GET", "/metricsx")).status, 404);
  http::ServerResponse r = endpoint_.Handle(Request("POST", "/metrics"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(HeaderOf(r, "Allow"), "GET, HEAD");
  // Neither HEAD nor refusals are scrapes.
  EXPECT_NE(endpoint_.Handle(Request("GET", "/metrics")).body.find("exposer_scrapes_total 0\n"),
            std::string::npos);
}

TEST_F(MetricsEndpointTest, ServesOverHttpAndNamesItsAddressWhenItCannotBind) {
  ASSERT_TRUE(endpoint_.Start());
  ASSERT_NE(endpoint_.port(), 0);
  MetricsEndpoint again("127.0.0.1:" + std::to_string(endpoint_.port()), {registry_});
  Status s = again.Start();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("metrics_addr"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(std::to_string(endpoint_.port())), std::string::npos);
}

}  // namespace
}  // namespace freightliner::server
