// The fixtures themselves must be right, or the other tests prove nothing.

#include <gtest/gtest.h>

#include <chrono>

#include "common/sha256.hpp"
#include "fixtures/fault_proxy.hpp"
#include "fixtures/latency_proxy.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"

namespace freightliner::testing {
namespace {

TEST(FixturesTest, BuiltImagesArriveWithTheDigestsTheBuilderComputed) {
  TempDir dir("freightliner-fixtures");
  Registry reg;
  OciLayout layout(dir.Sub("oci"));
  BuiltImage img = layout.AddImage("v1", {.layers = {{.size = 10000, .seed = 1}}});
  BuiltIndex idx = layout.AddIndex("multi", {{.architecture = "amd64"}, {.architecture = "arm64"}});
  SkopeoCopy(layout.Ref("v1"), "docker://" + reg.host() + "/f/app:v1");
  SkopeoCopy(layout.Ref("multi"), "docker://" + reg.host() + "/f/app:multi");
  EXPECT_EQ(RawDigest(reg.host() + "/f/app:v1"), img.manifest.digest);
  EXPECT_EQ(RawDigest(reg.host() + "/f/app:multi"), idx.index.digest);
  // Same seed and size: the same layer.
  BuiltImage again =
      layout.AddImage("v2", {.layers = {{.size = 10000, .seed = 1}}, .config_seed = 2});
  EXPECT_EQ(again.layers[0].digest, img.layers[0].digest);
  EXPECT_NE(again.manifest.digest, img.manifest.digest);
}

TEST(FixturesTest, AuthRegistriesRefuseWrongCredentials) {
  TempDir dir("freightliner-fixtures");
  TokenIssuer issuer(dir.Sub("issuer"));
  Registry basic({.auth = RegistryAuth::kBasic});
  Registry token({.auth = RegistryAuth::kToken, .issuer = &issuer});
  OciLayout layout(dir.Sub("oci"));
  layout.AddImage("v1", {});
  for (Registry* reg : {&basic, &token}) {
    SkopeoCopy(layout.Ref("v1"), "docker://" + reg->host() + "/a/b:v1",
               {"--dest-creds", reg->creds()});
    EXPECT_TRUE(TagExists(reg->host() + "/a/b:v1", reg->creds()));
    EXPECT_FALSE(TagExists(reg->host() + "/a/b:v1", "tester:wrong"));
  }
  EXPECT_GT(issuer.tokens_issued(), 0);
  EXPECT_GT(issuer.refusals(), 0);
}

TEST(FixturesTest, FaultProxyForwardsFailsAndCounts) {
  TempDir dir("freightliner-fixtures");
  Registry reg;
  FaultProxy proxy(reg.host());
  OciLayout layout(dir.Sub("oci"));
  layout.AddImage("v1", {.layers = {{.size = 300000, .seed = 5}}});
  SkopeoCopy(layout.Ref("v1"), "docker://" + proxy.host() + "/p/app:v1");
  EXPECT_EQ(RawDigest(reg.host() + "/p/app:v1"), RawDigest(proxy.host() + "/p/app:v1"));
  EXPECT_GT(proxy.Count("PUT", "/manifests/v1"), 0);
  proxy.FailNext("GET", "/manifests/", 1, 500);
  EXPECT_FALSE(TagExists(proxy.host() + "/p/app:v1"));  // skopeo does not retry inspect
  EXPECT_TRUE(TagExists(proxy.host() + "/p/app:v1"));
  EXPECT_GE(proxy.max_in_flight(), 1);
}

TEST(FixturesTest, LatencyProxyAddsDelayButKeepsThroughput) {
  Registry reg;
  LatencyProxy slow(reg.host(), std::chrono::milliseconds(50));
  const auto start = std::chrono::steady_clock::now();
  auto r = RunCommand(
      {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://" + slow.host() + "/v2/"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.out, "200");
  EXPECT_GE(took, std::chrono::milliseconds(100));  // one round trip: 2 x 50 ms at least
}

}  // namespace
}  // namespace freightliner::testing
