#include "server/api.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <re2/re2.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/log.hpp"
#include "replication/checkpoint_store.hpp"
#include "store/sqlite_job_store.hpp"

namespace freightliner::server {
namespace {

using nlohmann::json;

// The API as a handler of whole requests: no socket, no HTTP server.
class ApiHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "api-handle-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    config_.allowed_registries = std::vector<std::string>{"src.example"};
    config_.cors_origins = {"https://console.example"};
    auto store = replication::SqliteCheckpointStore::Open(dir_);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    job_store_ = std::make_unique<store::SqliteJobStore>(store_->database(), store_->mutex());
    jobs_ = std::make_unique<JobManager>(config_, *store_, *job_store_, metrics_, nullptr);
    ASSERT_TRUE(jobs_->Start());
    api_ = std::make_unique<ApiServer>(config_, *jobs_, metrics_);
  }
  void TearDown() override {
    api_.reset();
    jobs_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  http::ServerResponse Call(const std::string& method, const std::string& target,
                            const std::string& body = "",
                            std::vector<std::pair<std::string, std::string>> headers = {
                                {"content-type", "application/json"}}) {
    http::ServerRequest r;
    r.method = method;
    const size_t q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.headers = std::move(headers);
    r.body = body;
    return api_->Handle(r);
  }
  static std::optional<std::string> HeaderOf(const http::ServerResponse& r,
                                             const std::string& name) {
    for (const auto& [key, value] : r.headers) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
  static json Body(const http::ServerResponse& r) { return json::parse(r.body, nullptr, false); }

  std::string dir_;
  ServerConfig config_;
  Metrics metrics_{"test", "test"};
  std::unique_ptr<replication::SqliteCheckpointStore> store_;
  std::unique_ptr<store::SqliteJobStore> job_store_;
  std::unique_ptr<JobManager> jobs_;
  std::unique_ptr<ApiServer> api_;
};

TEST_F(ApiHandleTest, HealthReadyAndDrain) {
  auto health = Call("GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Body(health), (json{{"status", "ok"}}));
  EXPECT_EQ(HeaderOf(health, "Content-Type"), "application/json");
  EXPECT_EQ(Call("GET", "/ready").status, 200);
  api_->Drain();
  auto ready = Call("GET", "/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(Body(ready)["status"], "draining");
  EXPECT_EQ(Body(ready)["reason"],
            "the server is stopping: no new jobs; running jobs are checkpointing");
  EXPECT_EQ(Call("GET", "/health").status, 200);  // alive, only not ready
}

TEST_F(ApiHandleTest, ARowAnOlderVersionWroteShowsItsErrorAsAnObject) {
  const auto row = [](const std::string& id, const std::string& error) {
    return "('" + id + "', 'replicate', 'failed', 1796123043000, '{\"id\":\"" + id +
           "\",\"type\":\"replicate\",\"status\":\"failed\",\"trigger\":\"api\","
           "\"request\":{},\"run_id\":\"\",\"created_at\":1796123043.5,\"error\":\"" +
           error + "\"}')";
  };
  ASSERT_TRUE(
      store_->database().Exec("INSERT INTO jobs(id, type, status, created_at, doc) VALUES " +
                              row("job-old-1", "not_found: manifest v9 not found in team/app") +
                              ", " + row("job-old-2", "a message without a code")));
  const json known = Body(Call("GET", "/api/v1/jobs/job-old-1"));
  EXPECT_EQ(known["error"],
            (json{{"code", "not_found"}, {"message", "manifest v9 not found in team/app"}}));
  EXPECT_EQ(known["created_at"], 1796123043.5);
  EXPECT_EQ(known["created_at_rfc3339"], "2026-12-01T11:04:03.500000Z");
  EXPECT_TRUE(known["finished_at_rfc3339"].is_null());
  EXPECT_EQ(Body(Call("GET", "/api/v1/jobs/job-old-2"))["error"],
            (json{{"code", "internal"}, {"message", "a message without a code"}}));
}

TEST_F(ApiHandleTest, RoutesTakeOnlyWellFormedJobIds) {
  EXPECT_EQ(Call("GET", "/api/v1/jobs/job-0123456789abcdef").status, 404);  // well formed, absent
  for (const std::string& path : std::vector<std::string>{
           "/api/v1/jobs/../../etc/passwd", "/api/v1/jobs/", "/api/v1/jobs/a%2Fb",
           "/api/v1/jobs/a b", "/api/v1/jobs/" + std::string(65, 'a'),
           "/api/v1/jobs/" + std::string(60000, 'a')}) {
    auto r = Call("GET", path);
    EXPECT_EQ(r.status, 404) << path.substr(0, 80);
    EXPECT_EQ(Body(r)["error"]["code"], "not_found");
  }
  auto wrong = Call("FROBNICATE", "/health");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_NE(Body(wrong)["error"]["message"].get<std::string>().find("other"), std::string::npos);
}

// The route table names each request's series: its template, never the path as sent.
TEST_F(ApiHandleTest, RequestsAreCountedUnderTheirRoutesTemplate) {
  Call("GET", "/api/v1/jobs/job-0123456789abcdef");
  Call("HEAD", "/api/v1/jobs/job-0123456789abcdef");
  Call("DELETE", "/api/v1/jobs/job-0123456789abcdef");
  Call("PUT", "/api/v1/jobs/job-1");
  Call("POST", "/api/v1/events/distribution/registry.example:5000", "{}");
  Call("GET", "/api/v1/jobs/not..an..id");
  Call("GET", "/api/v9/anything");
  const std::string text = prometheus::TextSerializer().Serialize(metrics_.registry()->Collect());
  for (
      const char* series :
      {R"(freightliner_http_requests_total{method="GET",path="/api/v1/jobs/{id}",status="404"} 1)",
       R"(freightliner_http_requests_total{method="HEAD",path="/api/v1/jobs/{id}",status="404"} 1)",
       R"(freightliner_http_requests_total{method="DELETE",path="/api/v1/jobs/{id}",status="404"} 1)",
       R"(freightliner_http_requests_total{method="PUT",path="/api/v1/jobs/{id}",status="405"} 1)",
       R"(freightliner_http_requests_total{method="POST",path="/api/v1/events/distribution",status="404"} 1)",
       R"(freightliner_http_requests_total{method="GET",path="other",status="404"} 2)",
       // Every route of the table has its series from the start.
       R"(freightliner_http_requests_total{method="POST",path="/api/v1/events/harbor",status="500"} 0)",
       R"(freightliner_http_requests_total{method="GET",path="/ready",status="503"} 0)"}) {
    EXPECT_NE(text.find(series), std::string::npos) << series;
  }
  EXPECT_EQ(text.find("registry.example"), std::string::npos);
  EXPECT_EQ(text.find("not..an..id"), std::string::npos);
}

TEST_F(ApiHandleTest, WritesNeedAJsonBodyOfAJsonType) {
  const std::string body = R"({"source":"src.example/a:1","destination":"src.example/b"})";
  EXPECT_EQ(Call("POST", "/api/v1/replicate", body, {{"content-type", "text/plain"}}).status, 415);
  EXPECT_EQ(Call("POST", "/api/v1/replicate", body, {}).status, 415);
  auto bad_utf8 = Call("POST", "/api/v1/replicate", "{\"source\":\"\xff\"}");
  EXPECT_EQ(bad_utf8.status, 400);
  EXPECT_EQ(Body(bad_utf8)["error"]["code"], "invalid_json");
  auto forbidden = Call("POST", "/api/v1/replicate",
                        R"({"source":"src.example/a:1","destination":"elsewhere.example/b"})");
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(Body(forbidden)["error"]["code"], "forbidden");
}

TEST_F(ApiHandleTest, ListChecksItsQuery) {
  auto empty = Call("GET", "/api/v1/jobs");
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(Body(empty), (json{{"jobs", json::array()}, {"next_cursor", nullptr}}));
  for (const char* query : {"limit=0", "limit=1001", "limit=1e3", "status=bogus", "type=x",
                            "cursor=nope", "cursor=12.job%2F1"}) {
    EXPECT_EQ(Call("GET", std::string("/api/v1/jobs?") + query).status, 400) << query;
  }
  EXPECT_EQ(Call("GET", "/api/v1/jobs?limit=1000&status=failed&type=sync").status, 200);
}

TEST_F(ApiHandleTest, CorsHeadersForConfiguredOriginsOnly) {
  auto listed = Call("GET", "/api/v1/jobs", "", {{"origin", "https://console.example"}});
  EXPECT_EQ(HeaderOf(listed, "Access-Control-Allow-Origin"), "https://console.example");
  auto other = Call("GET", "/api/v1/jobs", "", {{"origin", "https://evil.example"}});
  EXPECT_FALSE(HeaderOf(other, "Access-Control-Allow-Origin"));
  auto preflight =
      Call("OPTIONS", "/api/v1/replicate", "", {{"origin", "https://console.example"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_TRUE(preflight.body.empty());
}

TEST(ApiHandleKeyTest, KeysAreRequiredWhenConfigured) {
  const std::string dir = ::testing::TempDir() + "api-handle-keys";
  std::filesystem::remove_all(dir);
  ServerConfig config;
  config.api_keys = {"k1"};
  Metrics metrics("test", "test");
  auto store = replication::SqliteCheckpointStore::Open(dir);
  ASSERT_TRUE(store);
  store::SqliteJobStore job_store((*store)->database(), (*store)->mutex());
  JobManager jobs(config, **store, job_store, metrics, nullptr);
  ASSERT_TRUE(jobs.Start());
  ApiServer api(config, jobs, metrics);
  http::ServerRequest r{.method = "GET", .path = "/api/v1/jobs"};
  auto refused = api.Handle(r);
  EXPECT_EQ(refused.status, 401);
  bool challenge = false;
  for (const auto& [key, value] : refused.headers)
    challenge |= key == "WWW-Authenticate" && value == "Bearer";
  EXPECT_TRUE(challenge);
  EXPECT_EQ(api.Handle({.method = "GET", .path = "/api/v1/syncs"}).status, 401);
  r.headers = {{"authorization", "Bearer k1"}};
  EXPECT_EQ(api.Handle(r).status, 200);
  EXPECT_EQ(api.Handle({.method = "GET", .path = "/api/v1/syncs", .headers = r.headers}).status,
            200);
  r.headers = {{"x-api-key", "k2"}};
  EXPECT_EQ(api.Handle(r).status, 401);
  EXPECT_EQ(api.Handle({.method = "GET", .path = "/health"}).status, 200);
}

// GET /api/v1/syncs, and the error object and RFC 3339 times of a failed job, through a scheduled
// sync of a registry whose name does not resolve (its job fails at once: no retry helps).
TEST(ApiSyncsTest, ListsTheConfiguredSyncsWithTheirScheduleLastRunAndNextRun) {
  const std::string dir = ::testing::TempDir() + "api-syncs";
  std::filesystem::remove_all(dir);
  ServerConfig config;
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/nightly.yaml")
      << "mappings:\n  - source: no-such-host.invalid/a\n    destination: 127.0.0.1:1/b\n";
  std::filesystem::copy_file(dir + "/nightly.yaml", dir + "/adhoc.yaml");
  config.syncs = {{"nightly", dir + "/nightly.yaml"}, {"adhoc", dir + "/adhoc.yaml"}};
  config.schedules = {{"nightly", std::chrono::seconds(900)}};
  Metrics metrics("test", "test");
  auto store = replication::SqliteCheckpointStore::Open(dir);
  ASSERT_TRUE(store);
  store::SqliteJobStore job_store((*store)->database(), (*store)->mutex());
  JobManager jobs(config, **store, job_store, metrics,
                  std::make_shared<http::Transport>(http::TransportOptions{}));
  const double started = static_cast<double>(std::time(nullptr));
  ASSERT_TRUE(jobs.Start());
  ApiServer api(config, jobs, metrics);
  const auto get = [&](const std::string& path) {
    return json::parse(api.Handle({.method = "GET", .path = path}).body, nullptr, false);
  };
  json syncs;
  for (int i = 0; i < 200; ++i) {  // the schedule submits at start; the job fails at once
    syncs = get("/api/v1/syncs")["syncs"];
    if (syncs[0]["last_run"].is_object() && syncs[0]["last_run"]["status"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(syncs.size(), 2u) << syncs.dump();
  const json& nightly = syncs[0];
  EXPECT_EQ(nightly["name"], "nightly");
  EXPECT_EQ(nightly["schedules"], (json::array({{{"every_seconds", 900}}})));
  EXPECT_GE(nightly["next_run"].get<double>(), started + 899);
  EXPECT_LE(nightly["next_run"].get<double>(), started + 910);
  const auto next_text = nightly["next_run_rfc3339"].get<std::string>();
  EXPECT_TRUE(RE2::FullMatch(next_text, R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")) << next_text;
  const json& last = nightly["last_run"];
  ASSERT_EQ(last["status"], "failed") << syncs.dump();
  EXPECT_EQ(last["trigger"], "schedule");
  EXPECT_EQ(last["error"]["code"], "network") << last;
  EXPECT_NE(last["error"]["message"].get<std::string>().find("no-such-host.invalid"),
            std::string::npos)
      << last;

  // The job itself: the same error object, each time as Unix seconds and as RFC 3339 text.
  const json job = get("/api/v1/jobs/" + last["job_id"].get<std::string>());
  EXPECT_EQ(job["error"], last["error"]);
  EXPECT_EQ(job["created_at_rfc3339"],
            Rfc3339Utc(std::chrono::system_clock::time_point(
                std::chrono::duration_cast<std::chrono::system_clock::duration>(
                    std::chrono::duration<double>(job["created_at"].get<double>())))));
  EXPECT_TRUE(job["finished_at_rfc3339"].is_string()) << job.dump();
  EXPECT_EQ(last["finished_at"], job["finished_at"]);

  const json& adhoc = syncs[1];
  EXPECT_EQ(adhoc["name"], "adhoc");
  EXPECT_EQ(adhoc["schedules"], json::array());
  EXPECT_TRUE(adhoc["next_run"].is_null());
  EXPECT_TRUE(adhoc["next_run_rfc3339"].is_null());
  EXPECT_TRUE(adhoc["last_run"].is_null());
  http::ServerRequest submit{.method = "POST",
                             .path = "/api/v1/sync",
                             .headers = {{"content-type", "application/json"}},
                             .body = R"({"name":"adhoc"})"};
  const json queued = json::parse(api.Handle(submit).body);
  EXPECT_TRUE(queued["job"]["started_at"].is_null());
  EXPECT_TRUE(queued["job"]["started_at_rfc3339"].is_null());
  EXPECT_TRUE(queued["job"]["created_at_rfc3339"].is_string());
  const json after = get("/api/v1/syncs")["syncs"][1]["last_run"];
  EXPECT_EQ(after["job_id"], queued["job_id"]);
  EXPECT_EQ(after["trigger"], "api");
  EXPECT_EQ(api.Handle({.method = "POST", .path = "/api/v1/syncs"}).status, 405);
}

// Events: a sync of src.example:5000/team/* and one of other.example; no runner, so jobs stay
// queued and a repeated event can join the job of its tag.
class ApiEventsTest : public ApiHandleTest {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "api-events-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/mirror.yaml") << "mappings:\n"
                                            "  - source: src.example:5000/team\n"
                                            "    destination: dst.example:5000/mirror\n"
                                            "    recursive: true\n"
                                            "    tags: {exclude: ['.*-rc.*']}\n";
    std::ofstream(dir_ + "/other.yaml") << "mappings:\n"
                                           "  - source: other.example/lib/app\n"
                                           "    destination: dst.example:5000/other/app\n";
    config_.syncs = {{"mirror", dir_ + "/mirror.yaml"}, {"other", dir_ + "/other.yaml"}};
    config_.max_concurrent_jobs = 0;
    auto store = replication::SqliteCheckpointStore::Open(dir_ + "/state");
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    job_store_ = std::make_unique<store::SqliteJobStore>(store_->database(), store_->mutex());
    jobs_ = std::make_unique<JobManager>(config_, *store_, *job_store_, metrics_, nullptr);
    ASSERT_TRUE(jobs_->Start());
    api_ = std::make_unique<ApiServer>(config_, *jobs_, metrics_);
  }

  static std::string Envelope(
      const std::string& action, const std::string& repository, const std::string& tag,
      const std::string& media_type = "application/vnd.docker.distribution.manifest.v2+json") {
    json target = {{"mediaType", media_type},
                   {"repository", repository},
                   {"digest", "sha256:" + std::string(64, 'a')}};
    if (!tag.empty()) target["tag"] = tag;
    return json{{"events",
                 {{{"action", action},
                   {"timestamp", "2026-12-02T05:01:20Z"},
                   {"target", target},
                   {"request", {{"host", "other.example"}}}}}}}
        .dump();
  }
  http::ServerResponse Post(const std::string& path, const std::string& body) {
    return Call("POST", path, body,
                {{"content-type", "application/vnd.docker.distribution.events.v1+json"}});
  }
  double Events(const std::string& action) {
    for (const auto& family : metrics_.registry()->Collect()) {
      if (family.name != "freightliner_events_received_total") continue;
      for (const auto& metric : family.metric) {
        bool source = false, matches = false;
        for (const auto& label : metric.label) {
          source |= label.name == "source" && label.value == "distribution";
          matches |= label.name == "action" && label.value == action;
        }
        if (source && matches) return metric.counter.value;
      }
    }
    return -1;
  }
};

TEST_F(ApiEventsTest, APushOfAMirroredTagQueuesThatTagAloneAndRepeatsJoinIt) {
  const std::string path = "/api/v1/events/distribution/src.example:5000";
  auto first = Post(path, Envelope("push", "team/app", "v3"));
  ASSERT_EQ(first.status, 202) << first.body;
  const json answer = Body(first);
  EXPECT_EQ(answer["registry"], "src.example:5000");
  ASSERT_EQ(answer["jobs"].size(), 1u);
  auto job = Body(Call("GET", "/api/v1/jobs/" + answer["jobs"][0].get<std::string>()));
  EXPECT_EQ(job["type"], "sync");
  EXPECT_EQ(job["trigger"], "event");
  EXPECT_EQ(job["status"], "queued");
  EXPECT_EQ(job["request"], (json{{"name", "mirror"},
                                  {"registry", "src.example:5000"},
                                  {"repository", "team/app"},
                                  {"tag", "v3"}}));

  // Distribution retries: the same event again joins the queued job.
  auto again = Body(Post(path, Envelope("push", "team/app", "v3")));
  EXPECT_EQ(again["jobs"].size(), 0u);
  EXPECT_EQ(again["collapsed"], 1);
  // Another tag is another job; a tag the sync's filters drop, a pull and a layer are not.
  EXPECT_EQ(Body(Post(path, Envelope("push", "team/app", "v4")))["jobs"].size(), 1u);
  for (const std::string& body :
       {Envelope("push", "team/app", "v5-rc1"), Envelope("pull", "team/app", "v3"),
        Envelope("push", "team/app", "", "application/octet-stream"),
        Envelope("push", "elsewhere/app", "v1")}) {
    auto ignored = Body(Post(path, body));
    EXPECT_EQ(ignored["jobs"].size(), 0u) << body;
    EXPECT_EQ(ignored["ignored"], 1) << body;
  }
  EXPECT_EQ(Events("push"), 5);
  EXPECT_EQ(Events("pull"), 1);
  EXPECT_EQ(Events("ignored"), 1);
  EXPECT_EQ(Body(Call("GET", "/api/v1/jobs?type=sync"))["jobs"].size(), 2u);
}

TEST_F(ApiEventsTest, TheRegistryIsTheEndpointsNeverTheBodys) {
  // request.host in the body says other.example; the endpoint names src.example:5000.
  auto bound =
      Body(Post("/api/v1/events/distribution/other.example", Envelope("push", "team/app", "v3")));
  EXPECT_EQ(bound["jobs"].size(), 0u);  // other.example has no team/app mapping
  // Two source registries are configured: an endpoint that names none is ambiguous.
  auto unbound = Post("/api/v1/events/distribution", Envelope("push", "lib/app", "v1"));
  EXPECT_EQ(unbound.status, 400);
  EXPECT_NE(Body(unbound)["error"]["message"].get<std::string>().find("src.example:5000"),
            std::string::npos);
  EXPECT_EQ(Post("/api/v1/events/distribution/unknown.example", Envelope("push", "a", "b")).status,
            404);
  EXPECT_EQ(Post("/api/v1/events/distribution/bad host", Envelope("push", "a", "b")).status, 404);
  EXPECT_EQ(Post("/api/v1/events/gitlab/src.example:5000", "{}").status, 404);
}

TEST_F(ApiEventsTest, HostileBodiesAreRefusedWhole) {
  const std::string path = "/api/v1/events/distribution/src.example:5000";
  EXPECT_EQ(Post(path, "{not json").status, 400);
  EXPECT_EQ(Post(path, R"({"events": 3})").status, 400);
  // Not UTF-8, and over max_body_bytes: refused whole, and the server keeps serving.
  EXPECT_EQ(Post(path, "{\"events\": [{\"action\": \"push\xff\xfe\"}]}").status, 400);
  EXPECT_EQ(Post(path, std::string(config_.max_body_bytes + 1, ' ')).status, 413);
  EXPECT_EQ(Call("POST", path, Envelope("push", "team/app", "v3"), {{"content-type", "text/plain"}})
                .status,
            415);
  EXPECT_EQ(Call("GET", path).status, 405);
  // A forged name is counted, and queues nothing.
  auto forged = Body(Post(path, Envelope("push", "team/app/../../x", "v1")));
  EXPECT_EQ(forged["invalid"], 1);
  EXPECT_EQ(Events("invalid"), 1);
  EXPECT_TRUE(Body(Call("GET", "/api/v1/jobs"))["jobs"].empty());
  EXPECT_EQ(Call("GET", "/health").status, 200);
}

TEST_F(ApiEventsTest, HarborPushesQueueTheirTags) {
  const json hook = {
      {"type", "PUSH_ARTIFACT"},
      {"occur_at", 1796187680},
      {"event_data",
       {{"resources", {{{"tag", "v1"}, {"digest", "sha256:" + std::string(64, 'b')}}}},
        {"repository", {{"repo_full_name", "lib/app"}}}}}};
  auto answer = Post("/api/v1/events/harbor/other.example", hook.dump());
  ASSERT_EQ(answer.status, 202) << answer.body;
  ASSERT_EQ(Body(answer)["jobs"].size(), 1u);
  auto job = Body(Call("GET", "/api/v1/jobs/" + Body(answer)["jobs"][0].get<std::string>()));
  EXPECT_EQ(job["request"]["name"], "other");
  EXPECT_EQ(job["request"]["tag"], "v1");
}

TEST_F(ApiEventsTest, ANarrowedSyncCanBeAskedForDirectly) {
  auto ok = Call("POST", "/api/v1/sync",
                 R"({"name": "mirror", "registry": "src.example:5000", "repository": "team/x",
                     "tag": "v1"})");
  EXPECT_EQ(ok.status, 202) << ok.body;
  auto partial = Call("POST", "/api/v1/sync", R"({"name": "mirror", "tag": "v1"})");
  EXPECT_EQ(partial.status, 400);
  auto unmirrored = Call("POST", "/api/v1/sync",
                         R"({"name": "mirror", "registry": "src.example:5000",
                             "repository": "team/x", "tag": "v1-rc1"})");
  EXPECT_EQ(unmirrored.status, 400);
  EXPECT_NE(Body(unmirrored)["error"]["message"].get<std::string>().find("does not mirror"),
            std::string::npos);
}

}  // namespace
}  // namespace freightliner::server
