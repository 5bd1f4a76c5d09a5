// Reaching registries as skopeo users expect: visible retries with --retry-times/--retry-delay,
// credentials that say where they came from (flags, stdin, a terminal, Podman's and Docker's auth
// files, helpers; a broken credsStore is anonymous), HTTP(S)_PROXY in both cases with loopback
// bypassing it, and a plain-HTTP registry reached over HTTPS named with its fix.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "fixtures/fault_proxy.hpp"
#include "fixtures/forward_proxy.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "fixtures/token_issuer.hpp"
#include "integration/cli.hpp"

namespace freightliner::testing {
namespace {

const std::string kPassword = "s3cret-pass";
// A name that does not look like loopback; only the test's proxy resolves it.
const std::map<std::string, std::string> kRegistryTestAlias = {{"registry.test", "127.0.0.1"}};

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

class RegistryAccessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-access");
    issuer_ = new TokenIssuer(dir_->Sub("issuer"));
    anon_ = new Registry();
    basic_ = new Registry({.auth = RegistryAuth::kBasic});
    token_ = new Registry({.auth = RegistryAuth::kToken, .issuer = issuer_});
    OciLayout layout(dir_->Sub("oci"));
    layout.AddImage("v1", {.layers = {{.size = 5000, .seed = 701}}});
    SkopeoCopy(layout.Ref("v1"), "docker://" + anon_->host() + "/team/app:v1");
    SkopeoCopy(layout.Ref("v1"), "docker://" + basic_->host() + "/team/app:v1",
               {"--dest-creds", basic_->creds()});
    SkopeoCopy(layout.Ref("v1"), "docker://" + token_->host() + "/team/app:v1",
               {"--dest-creds", token_->creds()});
  }
  static void TearDownTestSuite() {
    delete token_;
    delete basic_;
    delete anon_;
    delete issuer_;
    delete dir_;
  }

  static void ExpectNoSecret(const CliResult& r, const std::string& secret = kPassword) {
    EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
  }
  static std::string OnlyErrorLine(const CliResult& r) {
    EXPECT_EQ(r.ErrorLines().size(), 1u) << r.err;
    return r.ErrorLines().empty() ? "" : r.ErrorLines()[0];
  }
  // A `docker-credential-NAME` on a PATH of its own that answers every server with `secret`.
  static std::string HelperPath(const std::string& name, const std::string& secret) {
    const std::string bin = dir_->Sub("bin-" + name);
    WriteFile(bin + "/docker-credential-" + name,
              "#!/bin/sh\nread url\necho '{\"ServerURL\":\"'$url'\",\"Username\":\"tester\","
              "\"Secret\":\"" +
                  secret + "\"}'\n");
    chmod((bin + "/docker-credential-" + name).c_str(), 0755);
    return bin + ":" + std::string(getenv("PATH"));
  }

  static TempDir* dir_;
  static TokenIssuer* issuer_;
  static Registry* anon_;
  static Registry* basic_;
  static Registry* token_;
};
TempDir* RegistryAccessTest::dir_ = nullptr;
TokenIssuer* RegistryAccessTest::issuer_ = nullptr;
Registry* RegistryAccessTest::anon_ = nullptr;
Registry* RegistryAccessTest::basic_ = nullptr;
Registry* RegistryAccessTest::token_ = nullptr;

// --- Retries --------------------------------------------------------------------------------

TEST_F(RegistryAccessTest, EachRetryIsLoggedWithReasonAndWait) {
  FaultProxy proxy(anon_->host());
  proxy.FailNext("GET", "/tags/list", 2, 503);
  CliResult r = Freightliner({"--retry-delay", "100ms", "list-tags", proxy.host() + "/team/app"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "v1\n");
  EXPECT_EQ(proxy.Count("GET", "/tags/list"), 3);
  const std::string failure =
      "failed: server_error: GET /v2/team/app/tags/list: HTTP 503 INJECTED: fault injected by "
      "the test proxy)";
  for (int attempt : {1, 2}) {
    const std::string line = " info retrying GET /v2/team/app/tags/list on " + proxy.host() +
                             " in 0.100 s (attempt " + std::to_string(attempt) + " of 5 " +
                             failure + "\n";
    EXPECT_EQ(CountOf(r.err, line), 1u) << r.err;
  }
  EXPECT_EQ(CountOf(r.err, "retrying"), 2u) << r.err;
}

TEST_F(RegistryAccessTest, RetryTimesBoundsTheAttempts) {
  FaultProxy proxy(anon_->host());
  proxy.FailNext("GET", "/tags/list", 10, 503);
  CliResult none = Freightliner({"--retry-times", "0", "list-tags", proxy.host() + "/team/app"});
  EXPECT_EQ(none.exit_code, 1) << none.err;
  EXPECT_EQ(OnlyErrorLine(none).rfind("error: server_error:", 0), 0u) << none.err;
  EXPECT_EQ(proxy.Count("GET", "/tags/list"), 1);
  EXPECT_EQ(CountOf(none.err, "retrying"), 0u) << none.err;

  proxy.ResetStats();
  CliResult two = Freightliner(
      {"--retry-times", "2", "--retry-delay", "10ms", "list-tags", proxy.host() + "/team/app"});
  EXPECT_EQ(two.exit_code, 1) << two.err;
  EXPECT_EQ(proxy.Count("GET", "/tags/list"), 3);
  EXPECT_EQ(CountOf(two.err, "of 3 failed"), 2u) << two.err;

  for (const char* bad : {"101", "-1"}) {
    CliResult r = Freightliner({"--retry-times", bad, "list-tags", proxy.host() + "/team/app"});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
  }
  for (const char* bad : {"5", "11m", "1h", "fast"}) {
    CliResult r = Freightliner({"--retry-delay", bad, "list-tags", proxy.host() + "/team/app"});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
  }
}

TEST_F(RegistryAccessTest, BlobTransferRetriesAreLoggedToo) {
  FaultProxy proxy(anon_->host());
  proxy.CutAfter("/blobs/sha256:", 100, /*times=*/1);
  const std::string dst = anon_->host() + "/retried/app:v1";
  CliResult r =
      Freightliner({"--retry-delay", "10ms", "replicate", proxy.host() + "/team/app:v1", dst});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CountOf(r.err, "info retrying the transfer of blob "), 1u) << r.err;
  EXPECT_EQ(CountOf(r.err, "in 0.010 s (attempt 1 of 5 failed: "), 1u) << r.err;
  EXPECT_EQ(RawDigest(dst), RawDigest(anon_->host() + "/team/app:v1"));
}

TEST_F(RegistryAccessTest, RetryTimesReachesFleetCommands) {
  FaultProxy proxy(anon_->host());
  proxy.CutAfter("/blobs/sha256:", 100, /*times=*/1);
  CliResult none =
      Freightliner({"--retry-times", "0", "replicate-tree", "--state-dir", dir_->Sub("state-none"),
                    proxy.host() + "/team", anon_->host() + "/tree-none"});
  EXPECT_EQ(none.exit_code, 1) << none.err;
  EXPECT_EQ(CountOf(none.err, "retrying"), 0u) << none.err;
  EXPECT_FALSE(TagExists(anon_->host() + "/tree-none/app:v1"));

  proxy.CutAfter("/blobs/sha256:", 100, /*times=*/1);
  CliResult one =
      Freightliner({"--retry-times", "1", "--retry-delay", "10ms", "replicate-tree", "--state-dir",
                    dir_->Sub("state-one"), proxy.host() + "/team", anon_->host() + "/tree-one"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(CountOf(one.err, "info retrying the transfer of blob "), 1u) << one.err;
  EXPECT_EQ(CountOf(one.err, "(attempt 1 of 2 failed: "), 1u) << one.err;
  EXPECT_EQ(RawDigest(anon_->host() + "/tree-one/app:v1"),
            RawDigest(anon_->host() + "/team/app:v1"));
}

// --- Credentials ----------------------------------------------------------------------------

TEST_F(RegistryAccessTest, ARefusalNamesTheFlagItTried) {
  CliResult basic =
      Freightliner({"list-tags", "--creds", "tester:wrong-pass", basic_->host() + "/team/app"});
  EXPECT_EQ(basic.exit_code, 3) << basic.err;
  EXPECT_NE(OnlyErrorLine(basic).find("HTTP 401"), std::string::npos) << basic.err;
  EXPECT_NE(OnlyErrorLine(basic).find("(tried credentials from --creds)"), std::string::npos);
  ExpectNoSecret(basic, "wrong-pass");

  CliResult token = Freightliner({"replicate", "--src-creds", "tester:wrong-pass",
                                  token_->host() + "/team/app:v1", anon_->host() + "/x/app:v1"});
  EXPECT_EQ(token.exit_code, 3) << token.err;
  EXPECT_NE(OnlyErrorLine(token).find("the token service of " + token_->host() +
                                      " refused credentials from --src-creds (HTTP 401)"),
            std::string::npos)
      << token.err;
  ExpectNoSecret(token, "wrong-pass");

  CliResult anonymous = Freightliner({"list-tags", basic_->host() + "/team/app"});
  EXPECT_EQ(anonymous.exit_code, 3) << anonymous.err;
  EXPECT_NE(OnlyErrorLine(anonymous).find("(tried anonymous access)"), std::string::npos);
}

TEST_F(RegistryAccessTest, ARefusalNamesTheAuthFileEntryOrHelper) {
  const std::string auth_file = dir_->path() + "/wrong-auth.json";
  WriteFile(auth_file, R"({"auths": {")" + basic_->host() +
                           R"(": {"username": "tester", "password": "wrong-pass"}},
                           "credHelpers": {")" +
                           token_->host() + R"(": "flwrong"}})");
  CliResult basic =
      Freightliner({"--authfile", auth_file, "list-tags", basic_->host() + "/team/app"});
  EXPECT_EQ(basic.exit_code, 3) << basic.err;
  EXPECT_NE(OnlyErrorLine(basic).find("(tried credentials from " + auth_file + " auths[\"" +
                                      basic_->host() + "\"])"),
            std::string::npos)
      << basic.err;
  CliResult helper =
      Freightliner({"--authfile", auth_file, "list-tags", token_->host() + "/team/app"},
                   {{"PATH", HelperPath("flwrong", "wrong-pass")}});
  EXPECT_EQ(helper.exit_code, 3) << helper.err;
  EXPECT_NE(OnlyErrorLine(helper).find("refused credentials from credential helper "
                                       "docker-credential-flwrong"),
            std::string::npos)
      << helper.err;
  ExpectNoSecret(basic, "wrong-pass");
  ExpectNoSecret(helper, "wrong-pass");
}

TEST_F(RegistryAccessTest, ABrokenCredsStoreFallsBackToAnonymousWithOneWarning) {
  const std::string auth_file = dir_->path() + "/broken-store.json";
  WriteFile(auth_file, R"({"credsStore": "fl-not-installed"})");
  const std::string dst = anon_->host() + "/store/app:v1";
  // Source and destination both look credentials up: one warning.
  CliResult r =
      Freightliner({"--authfile", auth_file, "replicate", anon_->host() + "/team/app:v1", dst});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawDigest(dst), RawDigest(anon_->host() + "/team/app:v1"));
  EXPECT_EQ(CountOf(r.err, "warning the credential store docker-credential-fl-not-installed"), 1u)
      << r.err;
  EXPECT_EQ(CountOf(r.err, "warning"), 1u) << r.err;
  // A registry that needs a login then says it was tried anonymously.
  CliResult basic =
      Freightliner({"--authfile", auth_file, "list-tags", basic_->host() + "/team/app"});
  EXPECT_EQ(basic.exit_code, 3) << basic.err;
  EXPECT_NE(OnlyErrorLine(basic).find("(tried anonymous access)"), std::string::npos);
}

TEST_F(RegistryAccessTest, AMissingAuthFileIsAnError) {
  CliResult flag = Freightliner(
      {"--authfile", "/nonexistent/auth.json", "list-tags", anon_->host() + "/team/app"});
  EXPECT_EQ(flag.exit_code, 2) << flag.err;
  EXPECT_EQ(OnlyErrorLine(flag), "error: invalid_argument: credentials for " + anon_->host() +
                                     ": auth file /nonexistent/auth.json (given by --authfile) "
                                     "does not exist");
  CliResult env = Freightliner({"list-tags", anon_->host() + "/team/app"},
                               {{"REGISTRY_AUTH_FILE", "/nonexistent/env-auth.json"}});
  EXPECT_EQ(env.exit_code, 2) << env.err;
  EXPECT_NE(
      OnlyErrorLine(env).find(
          "auth file /nonexistent/env-auth.json (given by REGISTRY_AUTH_FILE) does not exist"),
      std::string::npos);
}

TEST_F(RegistryAccessTest, PodmansAuthFileIsReadBeforeDockers) {
  const std::string runtime = dir_->Sub("xdg-runtime");
  const std::string docker = dir_->Sub("docker-config");
  WriteFile(runtime + "/containers/auth.json", R"({"auths": {")" + basic_->host() +
                                                   R"(": {"username": "tester", "password": ")" +
                                                   kPassword + R"("}}})");
  WriteFile(docker + "/config.json", R"({"auths": {")" + basic_->host() +
                                         R"(": {"username": "tester", "password": "stale"}}})");
  CliResult r = Freightliner({"list-tags", basic_->host() + "/team/app"},
                             {{"XDG_RUNTIME_DIR", runtime}, {"DOCKER_CONFIG", docker}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "v1\n");
  ExpectNoSecret(r);
}

TEST_F(RegistryAccessTest, PasswordStdinCompletesAUserAloneFlag) {
  const std::string dst = basic_->host() + "/stdin/app:v1";
  CliResult r =
      Freightliner({"--password-stdin", "replicate", "--src-creds", "tester", "--dest-creds",
                    basic_->creds(), token_->host() + "/team/app:v1", dst},
                   {}, kPassword + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawDigest(dst, basic_->creds()),
            RawDigest(token_->host() + "/team/app:v1", token_->creds()));
  ExpectNoSecret(r);

  CliResult wrong = Freightliner(
      {"--password-stdin", "list-tags", "--creds", "tester", basic_->host() + "/team/app"}, {},
      "wrong-pass\n");
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  EXPECT_NE(OnlyErrorLine(wrong).find("(tried credentials from --creds)"), std::string::npos);
}

TEST_F(RegistryAccessTest, UserAloneWithoutATerminalNamesPasswordStdin) {
  CliResult r = Freightliner({"list-tags", "--creds", "tester", basic_->host() + "/team/app"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(OnlyErrorLine(r),
            "error: invalid_argument: --creds has no password and stdin is not a terminal to ask "
            "for it: give USER:PASSWORD, or pipe the password in with --password-stdin");
}

TEST_F(RegistryAccessTest, UserAlonePromptsOnATerminalWithoutEcho) {
  // script(1) gives the command a terminal; the password arrives once the prompt is up.
  const std::string command = "env DOCKER_CONFIG=/nonexistent XDG_RUNTIME_DIR=/nonexistent " +
                              FreightlinerBinary() + " list-tags --creds tester " + basic_->host() +
                              "/team/app";
  CommandResult r =
      RunCommand({"sh", "-c", "(sleep 1; printf '%s\\n' \"$1\") | script -qec \"$2\" /dev/null",
                  "sh", kPassword, command});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Password for tester (--creds): "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("v1"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(kPassword), std::string::npos) << "echoed: " << r.out;
}

// --- Proxies --------------------------------------------------------------------------------

TEST_F(RegistryAccessTest, LoopbackRegistriesBypassTheProxy) {
  ForwardProxy proxy;
  for (const char* variable : {"HTTP_PROXY", "http_proxy"}) {
    CliResult r = Freightliner({"list-tags", anon_->host() + "/team/app"},
                               {{variable, proxy.url()}, {"HTTPS_PROXY", proxy.url()}});
    ASSERT_EQ(r.exit_code, 0) << variable << ": " << r.err;
    EXPECT_EQ(r.out, "v1\n");
  }
  EXPECT_TRUE(proxy.Requests().empty());
}

TEST_F(RegistryAccessTest, ANamedRegistryGoesThroughTheProxyInBothCases) {
  const std::string name = "registry.test:" + std::to_string(anon_->port());
  for (const char* case_ : {"upper", "lower"}) {
    ForwardProxy proxy(kRegistryTestAlias);
    // Credentials in the proxy URL are never logged, even at debug.
    const std::string url = "http://puser:proxy-secret@" + proxy.url().substr(7);
    const bool upper = std::string(case_) == "upper";
    CliResult r = Freightliner(
        {"--log-level", "debug", "--insecure-registry", name, "list-tags", name + "/team/app"},
        {{upper ? "HTTP_PROXY" : "http_proxy", url}, {upper ? "HTTPS_PROXY" : "https_proxy", url}});
    ASSERT_EQ(r.exit_code, 0) << case_ << ": " << r.err;
    EXPECT_EQ(r.out, "v1\n");
    // TLS first through a tunnel (the registry answers in plain HTTP), then plain HTTP.
    EXPECT_EQ(proxy.Requests(),
              (std::vector<std::string>{"CONNECT " + name, "GET http://" + name + "/v2/",
                                        "GET http://" + name + "/v2/team/app/tags/list"}))
        << case_;
    ExpectNoSecret(r, "proxy-secret");
    EXPECT_NE(r.err.find("go through the proxy http://***@127.0.0.1:"), std::string::npos) << r.err;
  }
}

TEST_F(RegistryAccessTest, NoProxyIsHonoured) {
  ForwardProxy proxy(kRegistryTestAlias);
  const std::string name = "registry.test:" + std::to_string(anon_->port());
  for (const char* variable : {"NO_PROXY", "no_proxy"}) {
    CliResult r = Freightliner({"--insecure-registry", name, "list-tags", name + "/team/app"},
                               {{"HTTP_PROXY", proxy.url()},
                                {"HTTPS_PROXY", proxy.url()},
                                {variable, "other.example,.test"}});
    // Direct, so the name does not resolve.
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(OnlyErrorLine(r).rfind("error: network:", 0), 0u) << r.err;
  }
  EXPECT_TRUE(proxy.Requests().empty());
}

// --- A plain-HTTP registry over HTTPS ---------------------------------------------------------

TEST_F(RegistryAccessTest, HttpsToAPlainHttpRegistryNamesTheFix) {
  ForwardProxy proxy(kRegistryTestAlias);
  const std::string name = "registry.test:" + std::to_string(anon_->port());
  CliResult r = Freightliner({"list-tags", name + "/team/app"}, {{"HTTPS_PROXY", proxy.url()}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(OnlyErrorLine(r), "error: network: " + name +
                                  " speaks plain HTTP, not HTTPS: if that is intended, allow it "
                                  "with --insecure-registry " +
                                  name + " (or --tls-verify=false)");
  // One TLS attempt: the answer will not change on a retry.
  EXPECT_EQ(proxy.Requests(), std::vector<std::string>{"CONNECT " + name});
}

}  // namespace
}  // namespace freightliner::testing
