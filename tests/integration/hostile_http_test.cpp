// A registry that lies about its headers, bodies and pages, and a client that must not believe it:
// every number bounded, every string checked, credentials never sent where they do not belong.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "fixtures/hostile_registry.hpp"
#include "fixtures/http.hpp"
#include "fixtures/process.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "http/untrusted.hpp"
#include "integration/cli.hpp"
#include "integration/serve.hpp"

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

// What the registry announces as the manifest's digest: not UTF-8 at all.
constexpr const char* kNonUtf8Digest = "sha256:\xff\xfe\xc3(\x80zz";

// Serves the image's real manifest bytes, but with `digest` as Docker-Content-Digest.
void AnnounceDigest(HostileRegistry& evil, const std::string& repo, const std::string& digest) {
  const std::string manifest = evil.ManifestBytes();
  for (const char* method : {"GET", "HEAD"}) {
    const bool get = std::string(method) == "GET";
    evil.Override(method, "/v2/" + repo + "/manifests/", [=](const std::string&) {
      return CraftedResponse{
          .headers = {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"},
                      {"Docker-Content-Digest", digest},
                      {"Content-Length", std::to_string(manifest.size())}},
          .body = get ? manifest : ""};
    });
  }
}

// Every page of the listing links to a new one; each holds `per_page` entries.
void EndlessPages(HostileRegistry& evil, const std::string& path, const std::string& field,
                  int per_page) {
  evil.Override("GET", path, [=](const std::string& target) {
    const size_t at = target.find("page=");
    const int page = at == std::string::npos ? 0 : std::stoi(target.substr(at + 5));
    nlohmann::json items = nlohmann::json::array();
    for (int i = 0; i < per_page; ++i)
      items.push_back("p" + std::to_string(page) + "x" + std::to_string(i));
    return CraftedResponse{
        .headers = {{"Content-Type", "application/json"},
                    {"Link", "<" + path + "?page=" + std::to_string(page + 1) + ">; rel=\"next\""}},
        .body = nlohmann::json{{field, items}}.dump()};
  });
}

bool IsJson(const std::string& text) {
  return !nlohmann::json::parse(text, nullptr, false).is_discarded();
}

// Point 3: a Docker-Content-Digest that is not UTF-8 made the failure path throw.
TEST(HostileHttpTest, NonUtf8DigestHeaderFailsReplicateWithOneClearError) {
  HostileRegistry evil;
  evil.AddImage("team/app", "v1");
  AnnounceDigest(evil, "team/app", kNonUtf8Digest);
  Registry dst;
  auto r = Freightliner({"replicate", evil.host() + "/team/app:v1", dst.host() + "/team/app:v1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
  EXPECT_NE(r.ErrorLines()[0].find("Docker-Content-Digest"), std::string::npos) << r.err;
  EXPECT_TRUE(http::IsValidUtf8(r.err)) << r.err;  // the registry's bytes were printed as they came
  EXPECT_FALSE(TagExists(dst.host() + "/team/app:v1"));
  // The same through the JSON output: whatever is printed is valid JSON.
  auto json_run = Freightliner(
      {"-o", "json", "replicate", evil.host() + "/team/app:v1", dst.host() + "/team/app:v1"});
  EXPECT_EQ(json_run.exit_code, 1) << json_run.err;
  if (!json_run.out.empty()) {
    EXPECT_TRUE(IsJson(json_run.out)) << json_run.out;
  }
}

TEST(HostileHttpTest, NonUtf8DigestHeaderFailsAServeJobAndTheServerStaysWhole) {
  HostileRegistry evil;
  evil.AddImage("team/app", "v1");
  AnnounceDigest(evil, "team/app", kNonUtf8Digest);
  Registry dst;
  TempDir state("freightliner-hostile-serve");
  // The API takes jobs between the registries its config allows (the hostile one included here).
  Serve serve(state, {.config_yaml = "allowed_registries: [\"" + evil.host() + "\", \"" +
                                     dst.host() + "\"]\n"});
  const std::string id = serve.Submit(
      "/api/v1/replicate",
      {{"source", evil.host() + "/team/app:v1"}, {"destination", dst.host() + "/a:v1"}});
  nlohmann::json job = serve.WaitForJob(id);
  ASSERT_TRUE(job.is_object());
  EXPECT_EQ(job["status"], "failed") << job.dump();
  ASSERT_TRUE(job.contains("errors") && job["errors"].size() == 1u) << job.dump();
  EXPECT_NE(job["errors"][0]["message"].get<std::string>().find("Docker-Content-Digest"),
            std::string::npos)
      << job.dump();
  EXPECT_EQ(MetricValue(serve.Scrape(), "freightliner_jobs_active"), 0);
  const HttpResponse list = serve.Call("GET", "/api/v1/jobs");
  EXPECT_EQ(list.status, 200);
  EXPECT_TRUE(IsJson(list.body)) << list.body;
  const HttpResponse one = serve.Call("GET", "/api/v1/jobs/" + id);
  EXPECT_EQ(one.status, 200);
  EXPECT_TRUE(IsJson(one.body)) << one.body;
}

// Point 4: std::stoll threw out_of_range on this Content-Length and the CLI aborted.
TEST(HostileHttpTest, AbsurdContentLengthOnAManifestHeadIsAClearError) {
  HostileRegistry origin;
  origin.AddImage("team/app", "v1");
  HostileRegistry evil;  // the destination: replicate asks it with HEAD whether it is up to date
  const std::string digest = evil.AddImage("team/app", "v1");
  evil.Override("HEAD", "/v2/team/app/manifests/", [=](const std::string&) {
    return CraftedResponse{
        .headers = {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"},
                    {"Docker-Content-Digest", digest},
                    {"Content-Length", "99999999999999999999999"}}};
  });
  auto r =
      Freightliner({"replicate", origin.host() + "/team/app:v1", evil.host() + "/team/app:v1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
  EXPECT_NE(r.ErrorLines()[0].find("Content-Length"), std::string::npos) << r.err;
}

// Point 5: each page links to a new one; the listing grew without bound.
TEST(HostileHttpTest, EndlessTagPagesStopAtTheEntryCapNamingIt) {
  HostileRegistry evil;
  EndlessPages(evil, "/v2/team/app/tags/list", "tags", 2000);
  auto r = Freightliner({"list-tags", evil.host() + "/team/app"});
  EXPECT_EQ(r.exit_code, 1) << r.err.substr(0, 2000);
  EXPECT_NE(r.err.find("built-in limit max_list_entries"), std::string::npos)
      << r.err.substr(0, 2000);
  EXPECT_NE(r.err.find("1000000"), std::string::npos) << r.err.substr(0, 2000);
  EXPECT_LE(evil.Requests().size(), 520u);
}

TEST(HostileHttpTest, EndlessEmptyPagesStopAtThePageCapNamingIt) {
  HostileRegistry evil;
  EndlessPages(evil, "/v2/_catalog", "repositories", 0);
  HostileRegistry dst;
  auto r = Freightliner({"replicate-tree", evil.host() + "/team", dst.host() + "/mirror"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("built-in limit max_list_pages"), std::string::npos)
      << r.err.substr(0, 2000);
  EXPECT_NE(r.err.find("10000"), std::string::npos) << r.err.substr(0, 2000);
}

TEST(HostileHttpTest, ALinkLoopIsDetected) {
  HostileRegistry evil;
  evil.Override("GET", "/v2/team/app/tags/list", [](const std::string&) {
    return CraftedResponse{.headers = {{"Link", R"(</v2/team/app/tags/list?last=a>; rel="next")"}},
                           .body = R"({"name":"team/app","tags":["a"]})"};
  });
  auto r = Freightliner({"list-tags", evil.host() + "/team/app"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("loop"), std::string::npos) << r.err;
  EXPECT_LE(evil.Requests().size(), 4u);
}

TEST(HostileHttpTest, ALinkToAnotherHostIsRefusedAndNeverFollowed) {
  HostileRegistry evil;
  HostileRegistry elsewhere;
  elsewhere.SetTags("team/app", {"planted"});
  evil.Override("GET", "/v2/team/app/tags/list", [&](const std::string&) {
    return CraftedResponse{.headers = {{"Link", "<http://" + elsewhere.host() +
                                                    "/v2/team/app/tags/list>; rel=\"next\""}},
                           .body = R"({"name":"team/app","tags":["a"]})"};
  });
  auto r = Freightliner({"list-tags", evil.host() + "/team/app"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("outside the registry"), std::string::npos) << r.err;
  EXPECT_TRUE(elsewhere.Requests().empty());
}

TEST(HostileHttpTest, AManifestOverFourMiBIsRefusedNamingTheCap) {
  HostileRegistry evil;
  evil.Override("GET", "/v2/team/app/manifests/", [](const std::string&) {
    return CraftedResponse{
        .headers = {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}},
        .body = std::string(5u << 20, ' ')};
  });
  auto r = Freightliner({"inspect", evil.host() + "/team/app:v1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("max_manifest_bytes"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("4 MiB"), std::string::npos) << r.err;
}

TEST(HostileHttpTest, ALargeErrorBodyIsNotBufferedNorRetried) {
  HostileRegistry evil;
  evil.Override("GET", "/v2/team/app/manifests/", [](const std::string&) {
    return CraftedResponse{.status = 500, .body = std::string(2u << 20, 'e')};
  });
  auto r = Freightliner({"inspect", evil.host() + "/team/app:v1"});
  EXPECT_EQ(r.exit_code, 1) << r.err.substr(0, 2000);
  EXPECT_NE(r.err.find("built-in limit max_error_body"), std::string::npos)
      << r.err.substr(0, 2000);
  int gets = 0;
  for (const std::string& request : evil.Requests())
    gets += request.rfind("GET /v2/team/app/manifests/", 0) == 0 ? 1 : 0;
  EXPECT_EQ(gets, 1);
}

// Point 6: an upload Location on http:// at the TLS registry's own host:port got the Basic
// credentials in clear (only host:port was compared).
TEST(HostileHttpTest, APlainHttpUploadLocationFromATlsRegistryNeverGetsCredentials) {
  HostileRegistry origin;
  origin.AddImage("team/app", "v1");
  HostileRegistry evil({.tls = true, .basic_user = "u", .basic_password = "p"});
  const std::string downgrade = "http://" + evil.host() + "/v2/team/app/blobs/uploads/plain";
  evil.Override("POST", "/v2/team/app/blobs/uploads", [&](const std::string&) {
    return CraftedResponse{.status = 202, .headers = {{"Location", downgrade}}};
  });
  auto r = Freightliner({"--ca-file", evil.ca_file(), "replicate", origin.host() + "/team/app:v1",
                         evil.host() + "/team/app:v1", "--dest-creds", "u:p"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("plain HTTP"), std::string::npos) << r.err;
  bool used_tls = false;
  for (const HostileRequest& request : evil.Log()) {
    used_tls = used_tls || request.tls;
    EXPECT_TRUE(request.tls || request.authorization.empty())
        << request.method << " " << request.target << " carried credentials in clear";
    EXPECT_TRUE(request.tls) << request.method << " " << request.target << " went in clear";
  }
  EXPECT_TRUE(used_tls);
}

TEST(HostileHttpTest, AnUploadLocationOnAnotherPortGetsNoCredentials) {
  HostileRegistry origin;
  origin.AddImage("team/app", "v1");
  HostileRegistry evil({.basic_user = "u", .basic_password = "p"});
  HostileRegistry elsewhere;
  const std::string away = "http://" + elsewhere.host() + "/v2/team/app/blobs/uploads/away";
  evil.Override("POST", "/v2/team/app/blobs/uploads", [&](const std::string&) {
    return CraftedResponse{.status = 202, .headers = {{"Location", away}}};
  });
  auto r = Freightliner({"replicate", origin.host() + "/team/app:v1", evil.host() + "/team/app:v1",
                         "--dest-creds", "u:p"});
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_FALSE(elsewhere.Log().empty());
  for (const HostileRequest& request : elsewhere.Log())
    EXPECT_EQ(request.authorization, "") << request.method << " " << request.target;
}

TEST(HostileHttpTest, AnswersWithEndlessHeadersAreRefusedNamingTheCap) {
  HostileRegistry evil;
  evil.Override("GET", "/v2/team/app/tags/list", [](const std::string&) {
    CraftedResponse response{.body = R"({"name":"team/app","tags":["a"]})"};
    for (int i = 0; i < 100000; ++i)  // 100,000 Link headers, about 3 MB
      response.headers.emplace_back("Link", "</v2/x?" + std::to_string(i) + ">; rel=\"prev\"");
    return response;
  });
  auto r = Freightliner({"list-tags", evil.host() + "/team/app"});
  EXPECT_EQ(r.exit_code, 1) << r.out.substr(0, 200);
  EXPECT_NE(r.err.find("built-in limit max_header_bytes"), std::string::npos)
      << r.err.substr(0, 2000);
}

// Blob downloads may be redirected (to storage hosts), but what started on TLS stays on TLS.
TEST(HostileHttpTest, ARedirectFromTlsToPlainHttpIsNotFollowed) {
  HostileRegistry evil({.tls = true, .basic_user = "u", .basic_password = "p"});
  evil.AddImage("team/app", "v1");
  const std::string plain = "http://" + evil.host();
  evil.Override("GET", "/v2/team/app/blobs/", [=](const std::string& target) {
    return CraftedResponse{.status = 307, .headers = {{"Location", plain + target}}};
  });
  HostileRegistry dst;
  auto r = Freightliner({"--ca-file", evil.ca_file(), "replicate", evil.host() + "/team/app:v1",
                         dst.host() + "/team/app:v1", "--src-creds", "u:p"});
  EXPECT_NE(r.exit_code, 0) << r.err;
  for (const HostileRequest& request : evil.Log())
    EXPECT_TRUE(request.tls) << request.method << " " << request.target << " went in clear";
  EXPECT_TRUE(dst.PushedManifests().empty());
}

// A token goes into every later request's headers as it is: one with CR LF would inject lines.
TEST(HostileHttpTest, ATokenWithControlCharactersIsRefused) {
  HostileRegistry evil;
  const std::string digest = evil.AddImage("team/app", "v1");
  const std::string manifest = evil.ManifestBytes();
  const std::string realm = "http://" + evil.host() + "/token";
  evil.Override("GET", "/v2/", [=](const std::string& target) {
    if (target != "/v2/") {
      return CraftedResponse{
          .headers = {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"},
                      {"Docker-Content-Digest", digest}},
          .body = manifest};
    }
    return CraftedResponse{
        .status = 401,
        .headers = {{"WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"evil\""}},
        .body = "{}"};
  });
  evil.Override("GET", "/token", [](const std::string&) {
    return CraftedResponse{.body = R"({"token":"abc\r\nX-Injected: yes","expires_in":1e300})"};
  });
  auto r = Freightliner({"inspect", evil.host() + "/team/app:v1", "--creds", "u:p"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("control characters"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace freightliner::testing
