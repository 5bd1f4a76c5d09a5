#include "registry/reference.hpp"

#include <gtest/gtest.h>

namespace freightliner::registry {
namespace {

const std::string kDigest =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Reference Parse(std::string_view text) {
  auto r = ParseReference(text);
  EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
  return r ? *r : Reference{};
}

TEST(ReferenceTest, SingleNameIsDockerHubLibrary) {
  Reference r = Parse("nginx");
  EXPECT_EQ(r.repository.registry, "docker.io");
  EXPECT_EQ(r.repository.path, "library/nginx");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_EQ(r.String(), "docker.io/library/nginx:latest");
}

TEST(ReferenceTest, DockerHubUserRepositoryKeepsItsPath) {
  Reference r = Parse("bitnami/redis:7.2");
  EXPECT_EQ(r.repository.registry, "docker.io");
  EXPECT_EQ(r.repository.path, "bitnami/redis");
  EXPECT_EQ(r.tag, "7.2");
}

TEST(ReferenceTest, DockerHubAliasesNormalise) {
  EXPECT_EQ(Parse("index.docker.io/library/alpine").repository.registry, "docker.io");
  EXPECT_EQ(Parse("registry-1.docker.io/alpine").repository.path, "library/alpine");
  EXPECT_EQ(Parse("docker.io/alpine:3").String(), "docker.io/library/alpine:3");
}

TEST(ReferenceTest, HostWithPortAndNestedPath) {
  Reference r = Parse("127.0.0.1:5001/team/app:v1");
  EXPECT_EQ(r.repository.registry, "127.0.0.1:5001");
  EXPECT_EQ(r.repository.path, "team/app");
  EXPECT_EQ(r.tag, "v1");
}

TEST(ReferenceTest, PortIsNotATag) {
  Reference r = Parse("localhost:5000/app");
  EXPECT_EQ(r.repository.registry, "localhost:5000");
  EXPECT_EQ(r.tag, "latest");
  auto no_default = ParseReference("localhost:5000/app", false);
  ASSERT_TRUE(no_default);
  EXPECT_EQ(no_default->tag, "");
}

TEST(ReferenceTest, LocalhostAndUppercaseFirstComponentAreHosts) {
  EXPECT_EQ(Parse("localhost/app").repository.registry, "localhost");
  EXPECT_EQ(Parse("ghcr.io/org/app").repository.registry, "ghcr.io");
  EXPECT_EQ(Parse("myhost/app").repository.registry, "docker.io");
  EXPECT_EQ(Parse("myhost/app").repository.path, "myhost/app");
}

TEST(ReferenceTest, DigestAndTagAtDigest) {
  Reference by_digest = Parse("ghcr.io/org/app@" + kDigest);
  EXPECT_EQ(by_digest.tag, "");
  EXPECT_EQ(by_digest.digest, kDigest);
  EXPECT_EQ(by_digest.Identifier(), kDigest);

  Reference both = Parse("ghcr.io/org/app:v2@" + kDigest);
  EXPECT_EQ(both.tag, "v2");
  EXPECT_EQ(both.digest, kDigest);
  EXPECT_EQ(both.Identifier(), kDigest);
  EXPECT_EQ(both.String(), "ghcr.io/org/app:v2@" + kDigest);
}

TEST(ReferenceTest, InvalidReferencesGetClearErrors) {
  for (const char* bad : {"", "app:", "app:-bad", "app@sha256:abc", "a//b", "host:5000/Team/app",
                          "app name", "app@md5:0123", "ex ample.com/app", "-app", "app_:v1"}) {
    auto r = ParseReference(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
      EXPECT_NE(r.error().message.find("invalid reference"), std::string::npos);
    }
  }
}

TEST(ReferenceTest, UppercaseFirstComponentIsAHostAsInDocker) {
  EXPECT_EQ(Parse("UPPER/app").repository.registry, "UPPER");
}

TEST(ReferenceTest, OverlongNameIsRejected) {
  EXPECT_FALSE(ParseReference("ghcr.io/" + std::string(260, 'a')));
}

TEST(RepositoryTest, ParsesWithoutTag) {
  auto r = ParseRepository("127.0.0.1:5001/team/app");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->registry, "127.0.0.1:5001");
  EXPECT_EQ(r->path, "team/app");
  EXPECT_FALSE(ParseRepository("127.0.0.1:5001/team/app:v1"));
  EXPECT_FALSE(ParseRepository("app@" + kDigest));
  EXPECT_EQ(ParseRepository("alpine")->path, "library/alpine");
}

TEST(RepositoryTest, PrefixMayBeARegistryRoot) {
  auto root = ParseRepositoryPrefix("127.0.0.1:5001");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->registry, "127.0.0.1:5001");
  EXPECT_EQ(root->path, "");
  EXPECT_EQ(ParseRepositoryPrefix("ghcr.io/")->path, "");
  EXPECT_EQ(ParseRepositoryPrefix("127.0.0.1:5001/team/")->path, "team");
  EXPECT_FALSE(ParseRepositoryPrefix("bad host:1"));
}

TEST(DockerHubTest, ApiHostAndCredentialKey) {
  EXPECT_EQ(ApiHost("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(ApiHost("ghcr.io"), "ghcr.io");
  EXPECT_EQ(CredentialKey("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(CredentialKey("127.0.0.1:5001"), "127.0.0.1:5001");
}

}  // namespace
}  // namespace freightliner::registry
