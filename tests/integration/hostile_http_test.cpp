// A registry that lies about its headers, bodies and pages, and a client that must not believe it:
// every number bounded, every string checked, credentials never sent where they do not belong.

#include <gtest/gtest.h>

#include <string>

#include "fixtures/hostile_registry.hpp"
#include "fixtures/process.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "integration/cli.hpp"

namespace freightliner::testing {
namespace {

TEST(HostileRegistryFixtureTest, ServesAnImageThatReplicatesByteForByte) {
  HostileRegistry evil;
  const std::string digest = evil.AddImage("team/app", "v1");
  Registry dst;
  auto r = Freightliner({"replicate", evil.host() + "/team/app:v1", dst.host() + "/team/app:v1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawDigest(dst.host() + "/team/app:v1"), digest);
  EXPECT_FALSE(evil.Requests().empty());
}

TEST(HostileRegistryFixtureTest, AcceptsPushesAndServesCraftedAnswers) {
  Registry src;
  HostileRegistry evil;
  HostileRegistry origin;
  const std::string digest = origin.AddImage("a/b", "v1");
  auto pushed = Freightliner({"replicate", origin.host() + "/a/b:v1", evil.host() + "/c/d:v2"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  EXPECT_EQ(evil.PushedManifests().at("c/d:v2"), origin.ManifestBytes());
  evil.Override("GET", "/v2/x/", [](const std::string& target) {
    return CraftedResponse{.status = 418, .headers = {{"X-Target", target}}, .body = "teapot"};
  });
  auto crafted = RunCommand({"curl", "-s", "-i", "http://" + evil.host() + "/v2/x/y?z=1"});
  EXPECT_NE(crafted.out.find("HTTP/1.1 418"), std::string::npos) << crafted.out;
  EXPECT_NE(crafted.out.find("X-Target: /v2/x/y?z=1"), std::string::npos) << crafted.out;
  EXPECT_EQ(evil.Requests().back(), "GET /v2/x/y?z=1");
  EXPECT_FALSE(digest.empty());
}

TEST(HostileRegistryFixtureTest, TlsAndPlainHttpShareOnePortAndAreRecordedApart) {
  HostileRegistry evil({.tls = true, .basic_user = "u", .basic_password = "p"});
  auto tls = RunCommand({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                         evil.ca_file(), "-u", "u:p", "https://" + evil.host() + "/v2/"});
  EXPECT_EQ(tls.out, "200") << tls.err;
  auto plain = RunCommand(
      {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://" + evil.host() + "/v2/"});
  EXPECT_EQ(plain.out, "401");
  const auto log = evil.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_TRUE(log[0].tls);
  EXPECT_EQ(log[0].authorization, "Basic dTpw");
  EXPECT_FALSE(log[1].tls);
  EXPECT_EQ(log[1].authorization, "");
}

}  // namespace
}  // namespace freightliner::testing
