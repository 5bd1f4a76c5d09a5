#include "registry/credentials.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace freightliner::registry {
namespace {

TEST(UserPassTest, SplitsAtTheFirstColon) {
  auto c = ParseUserPass("alice:pa:ss");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->password, "pa:ss");
}

TEST(UserPassTest, ErrorNeverEchoesTheSecret) {
  auto c = ParseUserPass("s3cr3t-without-user");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message.find("s3cr3t"), std::string::npos);
  EXPECT_FALSE(ParseUserPass(":pass"));
}

TEST(AuthKeyTest, NormalisesDockerHubAndUrls) {
  EXPECT_EQ(NormaliseAuthKey("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(NormaliseAuthKey("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(NormaliseAuthKey("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
  EXPECT_EQ(NormaliseAuthKey("ghcr.io"), "ghcr.io");
}

TEST(DockerConfigTest, DockerHubCredentialsLiveUnderTheIndexUrl) {
  // base64("hubuser:hubpass") and base64("me:p:w")
  auto config = DockerConfig::Parse(R"({"auths": {
      "https://index.docker.io/v1/": {"auth": "aHVidXNlcjpodWJwYXNz"},
      "127.0.0.1:5000": {"auth": "bWU6cDp3"},
      "ghcr.io": {"username": "u", "password": "p"},
      "quay.io": {"identitytoken": "refresh"}}})",
                                    "test");
  ASSERT_TRUE(config) << config.error().message;
  auto hub = config->Lookup("docker.io");
  ASSERT_TRUE(hub);
  ASSERT_TRUE(hub->has_value());
  EXPECT_EQ((*hub)->username, "hubuser");
  EXPECT_EQ((*hub)->password, "hubpass");
  EXPECT_EQ((*config->Lookup("127.0.0.1:5000"))->password, "p:w");
  EXPECT_EQ((*config->Lookup("ghcr.io"))->username, "u");
  EXPECT_EQ((*config->Lookup("quay.io"))->identity_token, "refresh");
  EXPECT_FALSE(config->Lookup("other.example")->has_value());
}

TEST(DockerConfigTest, MalformedFilesAreClearErrors) {
  EXPECT_FALSE(DockerConfig::Parse("{", "f.json"));
  auto bad_auth = DockerConfig::Parse(R"({"auths": {"h": {"auth": "%%%"}}})", "f.json");
  ASSERT_FALSE(bad_auth);
  EXPECT_NE(bad_auth.error().message.find("f.json"), std::string::npos);
}

// nlohmann's value() threw type_error on each of these fields.
TEST(DockerConfigTest, FieldsOfTheWrongTypeAreIgnoredNotThrown) {
  auto config = DockerConfig::Parse(
      R"({"auths": {"h": {"username": 5, "password": ["p"], "identitytoken": {}},
                    "g": {"username": "u", "password": "p"}},
          "credsStore": 7})",
      "f.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_FALSE(config->Lookup("h")->has_value());
  EXPECT_EQ((*config->Lookup("g"))->username, "u");
}

TEST(DockerConfigTest, MissingFileIsEmpty) {
  auto config = DockerConfig::Load("/nonexistent/freightliner/config.json");
  ASSERT_TRUE(config);
  EXPECT_FALSE(config->Lookup("docker.io")->has_value());
}

// A fake `docker-credential-fake` on PATH: answers for one server URL, "not found" otherwise.
class CredentialHelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("freightliner-credhelper-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    const auto script = dir_ / "docker-credential-fake";
    std::ofstream(script) << R"(#!/bin/sh
[ "$1" = get ] || exit 2
read url
case "$url" in
  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"hub","Secret":"hubsecret"}' ;;
  ghcr.io) echo '{"ServerURL":"ghcr.io","Username":"<token>","Secret":"idtoken"}' ;;
  broken) echo 'garbage' ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac
)";
    chmod(script.c_str(), 0755);
    old_path_ = std::getenv("PATH");
    setenv("PATH", (dir_.string() + ":" + old_path_).c_str(), 1);
  }
  void TearDown() override {
    setenv("PATH", old_path_.c_str(), 1);
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::string old_path_;
};

TEST_F(CredentialHelperTest, CredsStoreAndCredHelpers) {
  auto config =
      DockerConfig::Parse(R"({"credsStore": "fake", "credHelpers": {"ghcr.io": "fake"}})", "test");
  ASSERT_TRUE(config);
  auto hub = config->Lookup("docker.io");
  ASSERT_TRUE(hub) << hub.error().message;
  ASSERT_TRUE(hub->has_value());
  EXPECT_EQ((*hub)->username, "hub");
  EXPECT_EQ((*hub)->password, "hubsecret");
  auto ghcr = config->Lookup("ghcr.io");
  ASSERT_TRUE(ghcr && ghcr->has_value());
  EXPECT_EQ((*ghcr)->identity_token, "idtoken");
  auto none = config->Lookup("quay.io");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_F(CredentialHelperTest, HelperFailuresAreErrors) {
  EXPECT_FALSE(RunCredentialHelper("fake", "broken"));
  auto missing = RunCredentialHelper("does-not-exist", "ghcr.io");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("docker-credential-does-not-exist"), std::string::npos);
}

}  // namespace
}  // namespace freightliner::registry
