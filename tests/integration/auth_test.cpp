// Authentication against real registries: htpasswd Basic auth and the Bearer token flow with a
// token issuer the registry trusts; credentials from flags, environment, auth files and helpers.
// Secrets never show up in what freightliner prints.

#include "registry/auth.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "fixtures/token_issuer.hpp"
#include "integration/cli.hpp"

namespace freightliner::testing {
namespace {

const std::string kPassword = "s3cret-pass";

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-auth");
    issuer_ = new TokenIssuer(dir_->Sub("issuer"));
    basic_ = new Registry({.auth = RegistryAuth::kBasic});
    token_ = new Registry({.auth = RegistryAuth::kToken, .issuer = issuer_});
    OciLayout layout(dir_->Sub("oci"));
    layout.AddImage("v1", {.layers = {{.size = 100000, .seed = 301}, {.size = 2000, .seed = 302}}});
    SkopeoCopy(layout.Ref("v1"), "docker://" + basic_->host() + "/team/app:v1",
               {"--dest-creds", basic_->creds()});
    SkopeoCopy(layout.Ref("v1"), "docker://" + token_->host() + "/team/app:v1",
               {"--dest-creds", token_->creds()});
  }
  static void TearDownTestSuite() {
    delete token_;
    delete basic_;
    delete issuer_;
    delete dir_;
  }

  static void ExpectNoSecret(const CliResult& r) {
    EXPECT_EQ(r.out.find(kPassword), std::string::npos);
    EXPECT_EQ(r.err.find(kPassword), std::string::npos);
    EXPECT_EQ(r.err.find(registry::Base64Encode("tester:" + kPassword)), std::string::npos);
  }

  static TempDir* dir_;
  static TokenIssuer* issuer_;
  static Registry* basic_;
  static Registry* token_;
};
TempDir* AuthTest::dir_ = nullptr;
TokenIssuer* AuthTest::issuer_ = nullptr;
Registry* AuthTest::basic_ = nullptr;
Registry* AuthTest::token_ = nullptr;

TEST_F(AuthTest, BasicToTokenWithFlags) {
  const std::string src = basic_->host() + "/team/app:v1";
  const std::string dst = token_->host() + "/mirror/app:v1";
  CliResult r = Freightliner({"--log-level", "debug", "replicate", "--src-creds", basic_->creds(),
                              "--dest-creds", token_->creds(), src, dst});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawDigest(dst, token_->creds()), RawDigest(src, basic_->creds()));
  ExpectNoSecret(r);
}

TEST_F(AuthTest, TokenToBasicWithEnvironment) {
  const std::string src = token_->host() + "/team/app:v1";
  const std::string dst = basic_->host() + "/mirror/app:v1";
  CliResult r = Freightliner(
      {"--log-level", "debug", "replicate", src, dst},
      {{"FREIGHTLINER_SRC_CREDS", token_->creds()}, {"FREIGHTLINER_DEST_CREDS", basic_->creds()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawDigest(dst, basic_->creds()), RawDigest(src, token_->creds()));
  ExpectNoSecret(r);
}

TEST_F(AuthTest, TokensAreCachedPerScope) {
  const int before = issuer_->tokens_issued();
  CliResult r =
      Freightliner({"replicate", "--src-creds", token_->creds(), "--dest-creds", token_->creds(),
                    token_->host() + "/team/app:v1", token_->host() + "/cached/app:v1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Same registry, two clients (source and destination): a handful of scopes, not one token per
  // request (the copy makes more than 10 requests).
  const int issued = issuer_->tokens_issued() - before;
  EXPECT_GE(issued, 1);
  EXPECT_LE(issued, 4);
}

TEST_F(AuthTest, AuthFileAndCredentialHelper) {
  const std::string auth_file = dir_->path() + "/auth.json";
  WriteFile(auth_file, R"({"auths": {")" + basic_->host() + R"(": {"auth": ")" +
                           registry::Base64Encode(basic_->creds()) + R"("}},
      "credHelpers": {")" + token_->host() +
                           R"(": "fltest"}})");
  // A credential helper that knows the token registry, reached through PATH.
  const std::string bin = dir_->Sub("bin");
  WriteFile(bin + "/docker-credential-fltest",
            "#!/bin/sh\nread url\necho '{\"ServerURL\":\"'$url'\",\"Username\":\"tester\","
            "\"Secret\":\"" +
                kPassword + "\"}'\n");
  chmod((bin + "/docker-credential-fltest").c_str(), 0755);
  const std::string dst = token_->host() + "/helper/app:v1";
  CliResult r =
      Freightliner({"--authfile", auth_file, "replicate", basic_->host() + "/team/app:v1", dst},
                   {{"PATH", bin + ":" + std::string(getenv("PATH"))}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawDigest(dst, token_->creds()),
            RawDigest(basic_->host() + "/team/app:v1", basic_->creds()));
  ExpectNoSecret(r);
}

TEST_F(AuthTest, WrongCredentialsAreRefusedClearly) {
  for (Registry* reg : {basic_, token_}) {
    const std::string dst = basic_->host() + "/wrong/app:v1";
    CliResult r =
        Freightliner({"replicate", "--src-creds", "tester:not-the-password", "--dest-creds",
                      basic_->creds(), reg->host() + "/team/app:v1", dst});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
    EXPECT_EQ(r.ErrorLines()[0].rfind("error: auth:", 0), 0u) << r.ErrorLines()[0];
    EXPECT_EQ(r.err.find("not-the-password"), std::string::npos);
    EXPECT_FALSE(TagExists(dst, basic_->creds()));
  }
}

TEST_F(AuthTest, MissingCredentialsSayWhichRegistry) {
  CliResult r = Freightliner({"list-tags", basic_->host() + "/team/app"});
  EXPECT_EQ(r.exit_code, 3);
  ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
  EXPECT_NE(r.ErrorLines()[0].find(basic_->host()), std::string::npos);
}

}  // namespace
}  // namespace freightliner::testing
