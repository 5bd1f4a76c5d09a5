// `freightliner serve` beside hundreds of connections that send nothing, or a byte a second:
// they must cost the server a socket each, never the service. /health, /metrics and a job
// submission still answer, each within a generous bound (a starved server does not answer at
// all: civetweb's 32 API threads were held by 40 idle sockets, the exposer's 2 by 3).

#include "fixtures/slow_clients.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "fixtures/http.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "fixtures/temp_dir.hpp"
#include "integration/serve.hpp"

namespace freightliner::testing {
namespace {

using namespace std::chrono_literals;

// Far more than an answer takes; a starved server answers nothing in this time (status 0).
constexpr long kAnswerWithinSeconds = 5;
constexpr SlowClientsOptions kApiLoad{.idle = 300, .trickling = 50};
constexpr SlowClientsOptions kMetricsLoad{.idle = 300, .trickling = 50};

uint16_t PortOf(const std::string& url) {
  return static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

HttpResponse Bounded(const std::string& method, const std::string& url,
                     const std::string& body = "") {
  return HttpCall(method, url, body, {{"Content-Type", "application/json"}}, "",
                  kAnswerWithinSeconds);
}

void ExpectScrapeAnswers(const Serve& serve) {
  HttpResponse r = Bounded("GET", serve.metrics_url());
  EXPECT_EQ(r.status, 200) << "/metrics did not answer within " << kAnswerWithinSeconds << " s";
  EXPECT_NE(r.body.find("\nfreightliner_build_info{"), std::string::npos) << r.body;
}

class SlowClientsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RaiseOpenFileLimit(4096); }
  TempDir state_{"freightliner-slow-clients"};
};

TEST_F(SlowClientsTest, SlowClientsDoNotStarveMetrics) {
  Serve serve(state_);
  SlowClients slow("127.0.0.1", static_cast<uint16_t>(serve.metrics_port()), kMetricsLoad);
  std::this_thread::sleep_for(1500ms);  // the trickle under way
  for (int i = 0; i < 3; ++i)
    ExpectScrapeAnswers(serve);
  // They were held open all along, not refused: the server carried them.
  EXPECT_GE(slow.StillOpen(), slow.size() * 9 / 10);
}

// On civetweb's thread per connection, 40 idle sockets starved the API; on http::Server's event
// loops they cost a socket each.
TEST_F(SlowClientsTest, SlowClientsDoNotStarveTheApi) {
  Registry registry;
  TempDir images("freightliner-slow-clients-images");
  OciLayout layout(images.Sub("oci"));
  layout.AddImage("v1", {.layers = {{.size = 2000, .seed = 4401}}});
  SkopeoCopy(layout.Ref("v1"), "docker://" + registry.host() + "/slow/app:v1");

  Serve serve(state_, {.config_yaml = "allowed_registries: [\"" + registry.host() + "\"]\n"});
  SlowClients on_api("127.0.0.1", PortOf(serve.api()), kApiLoad);
  SlowClients on_metrics("127.0.0.1", static_cast<uint16_t>(serve.metrics_port()),
                         {.idle = 0, .trickling = 50});
  std::this_thread::sleep_for(1500ms);

  HttpResponse health = Bounded("GET", serve.api() + "/health");
  EXPECT_EQ(health.status, 200) << "/health did not answer within " << kAnswerWithinSeconds << " s";
  const nlohmann::json job = {{"source", registry.host() + "/slow/app:v1"},
                              {"destination", registry.host() + "/mirror/app:v1"},
                              {"dry_run", true}};
  HttpResponse submitted = Bounded("POST", serve.api() + "/api/v1/replicate", job.dump());
  EXPECT_EQ(submitted.status, 202) << "the submission did not answer within "
                                   << kAnswerWithinSeconds << " s: " << submitted.body;
  ExpectScrapeAnswers(serve);
  EXPECT_GE(on_api.StillOpen(), on_api.size() * 9 / 10);

  // And the job it took runs to its end meanwhile.
  auto doc = nlohmann::json::parse(submitted.body, nullptr, false);
  if (submitted.status == 202 && !doc.is_discarded()) {
    nlohmann::json done = serve.WaitForJob(doc["job_id"], 60);
    EXPECT_EQ(done["status"], "succeeded") << done.dump();
  }
}

}  // namespace
}  // namespace freightliner::testing
