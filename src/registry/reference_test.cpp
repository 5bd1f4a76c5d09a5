#include "registry/reference.hpp"

#include <gtest/gtest.h>

#include <chrono>

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

// A hostile name is refused by a linear scan: no regex, no recursion, whatever its size.
TEST(HostileReferenceTest, HugeReferenceIsRefusedAtOnceWithAShortMessage) {
  const std::string huge = "127.0.0.1:5000/" + std::string(1 << 20, 'a') + ":v1";
  const auto start = std::chrono::steady_clock::now();
  auto r = ParseReference(huge);
  auto repo = ParseRepository(huge);
  auto prefix = ParseRepositoryPrefix(huge);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  ASSERT_FALSE(repo);
  ASSERT_FALSE(prefix);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("longer than 4096 bytes"), std::string::npos);
  EXPECT_LT(r.error().message.size(), 400u) << "the input is not echoed whole";
  EXPECT_LT(took, std::chrono::seconds(1));
}

TEST(HostileReferenceTest, LongReferencesBelowTheBoundAreParsedOrRefusedClearly) {
  // Such names crashed the libstdc++ regex engine (stack overflow) at a few 10,000 characters; the
  // linear matcher takes a many-component path, and refuses names over 255 bytes by their length.
  std::string path;
  while (path.size() < 240)
    path += "a-b/";
  path += "c";
  auto many = ParseReference("h.io/" + path + ":v1");
  ASSERT_TRUE(many) << many.error().message;
  EXPECT_EQ(many->repository.path, path);
  auto over = ParseReference("h.io/" + std::string(4000, 'a'));
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message.find("longer than 255"), std::string::npos);
  EXPECT_FALSE(IsValidTag(std::string(4000, 'a')));
  EXPECT_FALSE(IsValidRepositoryPath(std::string(4000, 'a')));
}

TEST(HostileReferenceTest, RepositoryPathsOutsideTheGrammarAreRejected) {
  for (const char* bad : {"evil/../victim/app",
                          "a//b",
                          "A/b",
                          "../x",
                          "a/./b",
                          "a/",
                          "/a",
                          "",
                          "a b",
                          "a\nb",
                          "a..b",
                          "a___b",
                          "-a",
                          "a-",
                          "a._b",
                          "a/b#c",
                          "a?b",
                          "a%2fb",
                          "a/b:c",
                          "a/b@sha256"}) {
    EXPECT_FALSE(IsValidRepositoryPath(bad)) << bad;
    EXPECT_FALSE(ParseReference(std::string("127.0.0.1:5000/") + bad + ":v1")) << bad;
  }
  for (const char* good :
       {"a", "a/b", "team/app", "a.b", "a_b", "a__b", "a-b", "a---b", "x0/y1-z", "library/nginx"}) {
    EXPECT_TRUE(IsValidRepositoryPath(good)) << good;
  }
  EXPECT_FALSE(IsValidRepositoryPath(std::string(256, 'a')));
}

TEST(HostileReferenceTest, TagsOutsideTheGrammarAreRejected) {
  for (const std::string& bad :
       {std::string("../../x"), std::string("v2#frag"), std::string("v1\n"),
        std::string("\x1b[31m"), std::string(129, 'a'), std::string(), std::string(".v1"),
        std::string("-v1"), std::string("v1/x"), std::string("v 1"), std::string("v1?x"),
        std::string("caf\xc3\xa9"), std::string("v1\0", 3)}) {
    EXPECT_FALSE(IsValidTag(bad)) << bad;
  }
  for (const std::string& good : {std::string("v1"), std::string("_x"), std::string("1.2.3-rc.1_b"),
                                  std::string(128, 'a'), std::string("LATEST")}) {
    EXPECT_TRUE(IsValidTag(good)) << good;
  }
}

TEST(HostileReferenceTest, DigestsByAlgorithm) {
  EXPECT_TRUE(IsValidDigest(kDigest));
  EXPECT_TRUE(IsValidDigest("sha512:" + std::string(128, 'f')));
  EXPECT_FALSE(IsValidDigest("sha512:" + std::string(64, 'f')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(128, 'f')));
  EXPECT_FALSE(IsValidDigest("sha256:" + std::string(64, 'F')));
  EXPECT_FALSE(IsValidDigest("md5:" + std::string(32, 'f')));
  EXPECT_FALSE(IsValidDigest(kDigest + "\n"));
}

TEST(HostileReferenceTest, RegistryHosts) {
  for (const char* good : {"localhost", "127.0.0.1:5000", "ghcr.io", "a-b.example.com:443",
                           "[::1]:5000", "[fe80::1]", "UPPER"}) {
    EXPECT_TRUE(IsValidRegistryHost(good)) << good;
  }
  for (const char* bad : {"", "-a.io", "a-.io", "a..io", "a.io:", "a.io:123456", "a.io:x", "[::1",
                          "[]", "[::1]x", "a b", "a_b.io", "a.io/x"}) {
    EXPECT_FALSE(IsValidRegistryHost(bad)) << bad;
  }
}

TEST(HostileReferenceTest, ErrorsQuoteTheInputEscaped) {
  auto r = ParseReference("127.0.0.1:5000/app:v1\x1b[31mred\x1b[0m");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("\\x1b[31m"), std::string::npos) << r.error().message;
  auto newline = ParseReference("127.0.0.1:5000/app:v1\nforged log line");
  ASSERT_FALSE(newline);
  EXPECT_EQ(newline.error().message.find('\n'), std::string::npos) << newline.error().message;
}

TEST(DockerHubTest, ApiHostAndCredentialKey) {
  EXPECT_EQ(ApiHost("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(ApiHost("ghcr.io"), "ghcr.io");
  EXPECT_EQ(CredentialKey("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(CredentialKey("127.0.0.1:5001"), "127.0.0.1:5001");
}

TEST(StripTransportTest, DockerPrefixIsDropped) {
  EXPECT_EQ(StripTransport("docker://127.0.0.1:5001/team/app:v1").value(),
            "127.0.0.1:5001/team/app:v1");
  EXPECT_EQ(StripTransport("docker://nginx").value(), "nginx");
  EXPECT_EQ(StripTransport("127.0.0.1:5001/team/app:v1").value(), "127.0.0.1:5001/team/app:v1");
  // Names that look like a transport without being one stay references.
  EXPECT_EQ(StripTransport("localhost:5000/oci").value(), "localhost:5000/oci");
  EXPECT_EQ(StripTransport("oci").value(), "oci");
  EXPECT_EQ(StripTransport("dir/app:1").value(), "dir/app:1");
  EXPECT_EQ(StripTransport("app:latest").value(), "app:latest");
  EXPECT_EQ(StripTransport("docker:24-dind").value(), "docker:24-dind");  // Docker Hub's image
}

TEST(StripTransportTest, OtherTransportsGetAHint) {
  auto r = StripTransport("containers-storage:localhost/app:1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message,
            "transport containers-storage: is not supported; freightliner copies between "
            "registries: use docker://HOST/REPO:TAG or HOST/REPO:TAG");
  for (const char* text : {"docker-daemon:app:1", "docker-archive:/tmp/a.tar", "oci:/tmp/layout",
                           "oci-archive:/tmp/a.tar", "dir:/tmp/x"}) {
    auto t = StripTransport(text);
    ASSERT_FALSE(t) << text;
    EXPECT_TRUE(t.error().message.starts_with("transport ")) << t.error().message;
  }
  auto one_slash = StripTransport("docker:/ghcr.io/a/b");
  ASSERT_FALSE(one_slash);
  EXPECT_TRUE(
      one_slash.error().message.starts_with("the docker transport is written docker://REF"));
  auto url = StripTransport("https://ghcr.io/a/b");
  ASSERT_FALSE(url);
  EXPECT_EQ(url.error().message,
            "a URL scheme (https://) is not part of an image reference; freightliner copies "
            "between registries: use docker://HOST/REPO:TAG or HOST/REPO:TAG");
}

}  // namespace
}  // namespace freightliner::registry
