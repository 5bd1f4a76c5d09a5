#include "registry/credentials.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

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

TEST_F(CredentialHelperTest, AnswersNameTheirSource) {
  auto config = DockerConfig::Parse(
      R"({"auths": {"https://r.example/v1/": {"auth": "dTpw"}}, "credHelpers": {"ghcr.io": "fake"}})",
      "/home/u/.docker/config.json");
  ASSERT_TRUE(config);
  EXPECT_EQ((*config->Lookup("r.example"))->source,
            "/home/u/.docker/config.json auths[\"https://r.example/v1/\"]");
  EXPECT_EQ((*config->Lookup("ghcr.io"))->source, "credential helper docker-credential-fake");
}

// Captures warnings of spdlog's default logger while alive.
class CapturedWarnings {
 public:
  CapturedWarnings() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~CapturedWarnings() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(CredentialHelperTest, ABrokenCredsStoreIsAnonymousWithOneWarning) {
  // Counts its runs: a store that failed once is not asked again (each run can take seconds).
  const auto counter = dir_ / "runs";
  const auto script = dir_ / "docker-credential-crashing";
  std::ofstream(script) << "#!/bin/sh\necho run >> " << counter.string()
                        << "\necho 'secret-ish output' >&2\nexit 3\n";
  chmod(script.c_str(), 0755);
  for (const char* store : {"crashing", "does-not-exist"}) {
    CapturedWarnings warnings;
    auto config = DockerConfig::Parse(std::string(R"({"credsStore": ")") + store + R"("})", "cfg");
    ASSERT_TRUE(config);
    for (const char* registry : {"docker.io", "ghcr.io", "quay.io"}) {
      auto found = config->Lookup(registry);
      ASSERT_TRUE(found) << store << ": " << found.error().message;
      EXPECT_FALSE(found->has_value());
    }
    const std::string text = warnings.text();
    EXPECT_EQ(text.rfind("warning the credential store docker-credential-", 0), 0u) << text;
    EXPECT_EQ(text.rfind(std::string("warning the credential store docker-credential-") + store +
                             " of cfg does not work (",
                         0),
              0u)
        << text;
    EXPECT_EQ(text.find("warning", 1), std::string::npos) << "warned more than once: " << text;
    EXPECT_EQ(text.find("secret-ish"), std::string::npos) << text;
  }
  std::ifstream runs(counter);
  std::string all((std::istreambuf_iterator<char>(runs)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "run\n");
}

TEST_F(CredentialHelperTest, HelperFailuresAreErrors) {
  EXPECT_FALSE(RunCredentialHelper("fake", "broken"));
  // A credHelpers entry names its helper for that registry: its failure is not skipped.
  auto config = DockerConfig::Parse(R"({"credHelpers": {"ghcr.io": "does-not-exist"}})", "c");
  ASSERT_TRUE(config);
  EXPECT_FALSE(config->Lookup("ghcr.io"));
  auto missing = RunCredentialHelper("does-not-exist", "ghcr.io");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("docker-credential-does-not-exist"), std::string::npos);
}

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(AuthFilesTest, SkopeosOrderPodmanFirst) {
  EXPECT_EQ(
      AuthFilePaths("", Env({{"HOME", "/h"}, {"XDG_RUNTIME_DIR", "/run/user/7"}})),
      (std::vector<std::string>{"/run/user/7/containers/auth.json",
                                "/h/.config/containers/auth.json", "/h/.docker/config.json"}));
  EXPECT_EQ(AuthFilePaths("", Env({{"HOME", "/h"},
                                   {"XDG_RUNTIME_DIR", "/r"},
                                   {"XDG_CONFIG_HOME", "/cfg"},
                                   {"DOCKER_CONFIG", "/d"}})),
            (std::vector<std::string>{"/r/containers/auth.json", "/cfg/containers/auth.json",
                                      "/d/config.json"}));
  // Without XDG_RUNTIME_DIR, Podman's fallback.
  EXPECT_EQ(AuthFilePaths("", Env({{"HOME", "/h"}}))[0],
            "/run/containers/" + std::to_string(getuid()) + "/auth.json");
  // A file named explicitly is the only one read.
  EXPECT_EQ(AuthFilePaths("/x/auth.json", Env({{"HOME", "/h"}})),
            std::vector<std::string>{"/x/auth.json"});
}

TEST(AuthFilesTest, FirstFileWithTheRegistryWins) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("freightliner-authfiles-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "run/containers");
  std::filesystem::create_directories(dir / "docker");
  // Podman's file knows one registry; Docker's knows both, with other users.
  std::ofstream(dir / "run/containers/auth.json")
      << R"({"auths": {"a.example": {"username": "podman", "password": "p"}}})";
  std::ofstream(dir / "docker/config.json")
      << R"({"auths": {"a.example": {"username": "docker", "password": "d"},
                       "b.example": {"username": "docker", "password": "d"}}})";
  auto files = AuthFiles::Load("", "unused",
                               Env({{"HOME", (dir / "home").string()},
                                    {"XDG_RUNTIME_DIR", (dir / "run").string()},
                                    {"DOCKER_CONFIG", (dir / "docker").string()}}));
  ASSERT_TRUE(files) << files.error().message;
  auto a = files->Lookup("a.example");
  ASSERT_TRUE(a && a->has_value());
  EXPECT_EQ((*a)->username, "podman");
  EXPECT_EQ((*a)->source, (dir / "run/containers/auth.json").string() + R"( auths["a.example"])");
  auto b = files->Lookup("b.example");
  ASSERT_TRUE(b && b->has_value());
  EXPECT_EQ((*b)->username, "docker");
  auto c = files->Lookup("c.example");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->has_value());
  std::filesystem::remove_all(dir);
}

TEST(AuthFilesTest, AMissingExplicitFileIsAnError) {
  auto files = AuthFiles::Load("/nonexistent/auth.json", "--authfile", Env({}));
  ASSERT_FALSE(files);
  EXPECT_EQ(files.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(files.error().message,
            "auth file /nonexistent/auth.json (given by --authfile) does not exist");
  // Missing default files are simply not there.
  EXPECT_TRUE(AuthFiles::Load("", "", Env({{"HOME", "/nonexistent"}, {"XDG_RUNTIME_DIR", "/nx"}})));
}

}  // namespace
}  // namespace freightliner::registry
