// `freightliner serve` as an attacker would try it: open by default, cross-origin writes, a
// confused deputy told to copy to or from anywhere, unbounded job records and lists, a corrupt
// store, a store that cannot be written. serve runs on loopback against real registries.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "fixtures/fault_proxy.hpp"
#include "fixtures/http.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/process.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "integration/cli.hpp"
#include "integration/serve.hpp"

namespace freightliner::testing {
namespace {

using nlohmann::json;

class ServeSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-serve-security");
    src_ = new Registry();
    OciLayout layout(dir_->Sub("oci"));
    layout.AddImage("app", {.layers = {{.size = 3000, .seed = 1201}}});
    SkopeoCopy(layout.Ref("app"), "docker://" + src_->host() + "/team/app:v1");
  }
  static void TearDownTestSuite() {
    delete src_;
    delete dir_;
  }

  static std::string Src(const std::string& ref) { return src_->host() + "/" + ref; }
  // API jobs may use the suite's registry only.
  static std::string Allowed(const std::string& extra = "") {
    return "allowed_registries: [\"" + src_->host() + "\"]\n" + extra;
  }
  // The sqlite3 CLI on the server's database; fails the test when it fails.
  static std::string Sql(const Serve& serve, const std::string& sql) {
    CommandResult r = RunCommand({"sqlite3", serve.database(), sql});
    EXPECT_EQ(r.exit_code, 0) << sql << ": " << r.err;
    return r.out;
  }
  static json Body(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

  static TempDir* dir_;
  static Registry* src_;
  TempDir state_{"freightliner-serve-security-state"};
};
TempDir* ServeSecurityTest::dir_ = nullptr;
Registry* ServeSecurityTest::src_ = nullptr;

TEST_F(ServeSecurityTest, NoKeyOffLoopbackRefusesToStartUnlessToldSo) {
  CommandResult refused = RunCommand(
      {FreightlinerBinary(), "serve", "--api-addr", "0.0.0.0:" + std::to_string(FreePort()),
       "--metrics-addr", "127.0.0.1:" + std::to_string(FreePort()), "--state-dir",
       state_.path() + "/refused"},
      "", std::chrono::seconds(20));
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("not a loopback address"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("FREIGHTLINER_API_KEY"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--allow-unauthenticated"), std::string::npos) << refused.err;

  {
    Serve open(state_, {.api_host = "0.0.0.0", .args = {"--allow-unauthenticated"}});
    EXPECT_EQ(HttpCall("GET", open.api() + "/api/v1/jobs").status, 200);
    EXPECT_NE(open.Log().find("API authentication: OFF"), std::string::npos) << open.Log();
    EXPECT_EQ(open.Stop(), 0);
  }
  {
    TempDir other("freightliner-serve-security-keyed");
    Serve keyed(other,
                {.env = {{"FREIGHTLINER_API_KEY", "s3cret-for-tests"}}, .api_host = "0.0.0.0"});
    EXPECT_EQ(HttpCall("GET", keyed.api() + "/api/v1/jobs").status, 401);
    EXPECT_EQ(HttpCall("GET", keyed.metrics_url()).status, 200) << "/metrics stays open";
    EXPECT_NE(keyed.Log().find("API authentication: on (1 key(s))"), std::string::npos)
        << keyed.Log();
  }
  TempDir loopback_dir("freightliner-serve-security-loopback");
  Serve loopback(loopback_dir);
  EXPECT_NE(loopback.Log().find("API authentication: OFF (no API key); reachable from this host"),
            std::string::npos)
      << loopback.Log();
}

TEST_F(ServeSecurityTest, WritesMustBeJson) {
  Serve serve(state_, {.config_yaml = Allowed()});
  const std::string body = json{
      {"source", Src("team/app:v1")},
      {"destination", Src("copy/app:v1")},
      {"dry_run", true}}.dump();
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded",
                           "multipart/form-data; boundary=x", "", "application/jsonx", "+json"}) {
    HttpResponse r = serve.Call("POST", "/api/v1/replicate", body, true, {{"Content-Type", type}});
    EXPECT_EQ(r.status, 415) << "Content-Type: " << type << ": " << r.body;
    EXPECT_EQ(Body(r)["error"]["code"], "unsupported_media_type") << r.body;
  }
  for (const char* type : {"application/json", "application/json; charset=utf-8",
                           "Application/JSON", "application/vnd.registry.event+json"}) {
    HttpResponse r = serve.Call("POST", "/api/v1/replicate", body, true, {{"Content-Type", type}});
    EXPECT_EQ(r.status, 202) << "Content-Type: " << type << ": " << r.body;
  }
  json listed = Body(serve.Call("GET", "/api/v1/jobs"));
  EXPECT_EQ(listed["jobs"].size(), 4u) << listed.dump();
  // A caller's method never becomes a label value of its own.
  HttpCall("FROBNICATE", serve.api() + "/api/v1/jobs");
  const std::string m = serve.Scrape();
  EXPECT_EQ(m.find("FROBNICATE"), std::string::npos);
  EXPECT_EQ(MetricValue(m, "freightliner_http_requests_total",
                        {{"method", "POST"}, {"path", "/api/v1/replicate"}, {"status", "415"}}),
            6);
}

TEST_F(ServeSecurityTest, RegistriesOutsideTheAllowListAreRefusedAlikeAndNeverContacted) {
  Registry outside;  // real, reachable, and not allowed
  FaultProxy watched(outside.host());
  const std::string closed = "127.0.0.1:" + std::to_string(FreePort());  // nothing listens
  Serve serve(state_, {.config_yaml = Allowed()});
  std::set<std::string> bodies;
  for (const std::string& host : {watched.host(), closed}) {
    for (const auto& [path, request] : std::vector<std::pair<std::string, json>>{
             {"/api/v1/replicate",
              {{"source", host + "/team/app:v1"}, {"destination", Src("stolen/app:v1")}}},
             {"/api/v1/replicate-tree",
              {{"source", host + "/team"}, {"destination", Src("stolen")}}}}) {
      HttpResponse r = serve.Call("POST", path, request.dump());
      EXPECT_EQ(r.status, 403) << path << " " << host << ": " << r.body;
      EXPECT_EQ(Body(r)["error"]["code"], "forbidden") << r.body;
      EXPECT_NE(r.body.find("source registry is not in the server's allowed_registries"),
                std::string::npos)
          << r.body;
      bodies.insert(path + " " + r.body);
    }
    // As a destination: the server's credentials must not write anywhere a caller says.
    HttpResponse r = serve.Call(
        "POST", "/api/v1/replicate",
        json{{"source", Src("team/app:v1")}, {"destination", host + "/x/app:v1"}}.dump());
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_NE(r.body.find("destination registry"), std::string::npos) << r.body;
    bodies.insert(r.body);
  }
  // The same three answers for the reachable registry and the closed port.
  EXPECT_EQ(bodies.size(), 3u);
  EXPECT_EQ(watched.Log().size(), 0u) << "the refused registry was contacted";
  EXPECT_TRUE(Body(serve.Call("GET", "/api/v1/jobs"))["jobs"].empty());
  const std::string m = serve.Scrape();
  EXPECT_EQ(m.find(watched.host()), std::string::npos) << "a refused registry became a label";
  EXPECT_EQ(m.find(closed), std::string::npos);
}

TEST_F(ServeSecurityTest, AnEmptyAllowListRefusesEveryApiJobButNamedSyncsRun) {
  WriteFile(state_.path() + "/s.yaml", "mappings:\n  - source: " + Src("team/app") +
                                           "\n    destination: " + Src("synced/app") +
                                           "\n    tags:\n      list: [v1]\n");
  Serve serve(state_,
              {.config_yaml = "allowed_registries: []\nsyncs:\n  - name: s\n    file: s.yaml\n"});
  HttpResponse r =
      serve.Call("POST", "/api/v1/replicate",
                 json{{"source", Src("team/app:v1")}, {"destination", Src("copy/app:v1")}}.dump());
  EXPECT_EQ(r.status, 403) << r.body;
  json job = serve.WaitForJob(serve.Submit("/api/v1/sync", {{"name", "s"}}));
  EXPECT_EQ(job["status"], "succeeded") << job.dump();
}

TEST_F(ServeSecurityTest, TheListPagesWithACursorAndSeesEveryJobOnce) {
  Serve serve(state_, {.config_yaml = Allowed()});
  std::set<std::string> submitted;
  for (int i = 0; i < 5; ++i) {
    submitted.insert(
        serve.Submit("/api/v1/replicate", {{"source", Src("team/app:v1")},
                                           {"destination", Src("page/app:v" + std::to_string(i))},
                                           {"dry_run", true}}));
  }
  std::multiset<std::string> seen;
  std::string path = "/api/v1/jobs?limit=2";
  int pages = 0;
  for (; pages < 10; ++pages) {
    HttpResponse r = serve.Call("GET", path);
    ASSERT_EQ(r.status, 200) << r.body;
    json page = Body(r);
    EXPECT_LE(page["jobs"].size(), 2u);
    for (const json& job : page["jobs"])
      seen.insert(job["id"].get<std::string>());
    ASSERT_TRUE(page.contains("next_cursor")) << page.dump();
    if (page["next_cursor"].is_null()) break;
    path = "/api/v1/jobs?limit=2&cursor=" + page["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(pages, 2) << "5 jobs in pages of 2: three pages";
  EXPECT_EQ(seen, std::multiset<std::string>(submitted.begin(), submitted.end()));
  json all = Body(serve.Call("GET", "/api/v1/jobs"));
  EXPECT_EQ(all["jobs"].size(), 5u);
  EXPECT_TRUE(all["next_cursor"].is_null());
  for (const char* bad : {"limit=0", "limit=1001", "limit=two", "limit=-1", "cursor=garbage",
                          "cursor=1.%2F..%2Fjob", "cursor=99999999999999999999999.job-1"}) {
    HttpResponse r = serve.Call("GET", std::string("/api/v1/jobs?") + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  EXPECT_EQ(serve.Call("GET", "/api/v1/jobs?limit=1000").status, 200);
}

TEST_F(ServeSecurityTest, TheStoredRequestHoldsOnlyTheCheckedFields) {
  Serve serve(state_, {.config_yaml = Allowed()});
  // 800 kB of whitespace and a duplicate key around a valid request.
  const std::string padding(400 * 1024, ' ');
  const std::string body = "{" + padding + R"("source": "ignored", "source": ")" +
                           Src("team/app:v1") + R"(", "destination": ")" + Src("stored/app:v1") +
                           R"(", "dry_run": true)" + padding + "}";
  HttpResponse r = serve.Call("POST", "/api/v1/replicate", body);
  ASSERT_EQ(r.status, 202) << r.body.substr(0, 500);
  const std::string id = Body(r)["job_id"];
  serve.WaitForJob(id);
  const std::string doc = Sql(serve, "SELECT doc FROM jobs WHERE id = '" + id + "'");
  EXPECT_LT(doc.size(), 4096u);
  json stored = json::parse(doc, nullptr, false);
  ASSERT_FALSE(stored.is_discarded()) << doc;
  EXPECT_EQ(stored["request"], (json{{"source", Src("team/app:v1")},
                                     {"destination", Src("stored/app:v1")},
                                     {"dry_run", true}}));
  // A field longer than any reference is refused, not stored.
  HttpResponse long_field = serve.Call(
      "POST", "/api/v1/replicate",
      json{{"source", Src("team/app:" + std::string(5000, 'a'))}, {"destination", Src("x/y")}}
          .dump());
  EXPECT_EQ(long_field.status, 400) << long_field.body.substr(0, 300);
}

TEST_F(ServeSecurityTest, RetentionPurgesOldEndedJobsAndTheirCheckpoints) {
  auto serve = std::make_unique<Serve>(state_, ServeOptions{.config_yaml = Allowed()});
  const auto submit = [&](const std::string& tag) {
    const std::string id =
        serve->Submit("/api/v1/replicate",
                      {{"source", Src("team/app:v1")}, {"destination", Src("kept/app:" + tag)}});
    return serve->WaitForJob(id);
  };
  const json old_job = submit("old");
  const json recent = submit("recent");
  const json newest = submit("newest");
  ASSERT_EQ(old_job["status"], "succeeded") << old_job.dump();
  const std::string old_run = old_job["run_id"];
  ASSERT_FALSE(old_run.empty());
  EXPECT_EQ(serve->Stop(), 0);
  // Eight days ago: past the default retention of seven.
  Sql(*serve, "UPDATE jobs SET created_at = created_at - 8*86400*1000 WHERE id = '" +
                  old_job["id"].get<std::string>() + "'");
  serve->Start();
  EXPECT_EQ(serve->Call("GET", "/api/v1/jobs/" + old_job["id"].get<std::string>()).status, 404);
  EXPECT_EQ(serve->Call("GET", "/api/v1/jobs/" + recent["id"].get<std::string>()).status, 200);
  EXPECT_EQ(Sql(*serve, "SELECT count(*) FROM runs WHERE id = '" + old_run + "'"), "0\n");
  EXPECT_EQ(Sql(*serve, "SELECT count(*) FROM runs WHERE id = '" +
                            recent["run_id"].get<std::string>() + "'"),
            "1\n");
  EXPECT_EQ(serve->Stop(), 0);

  // Beyond max_jobs, the oldest ended jobs go.
  WriteFile(state_.path() + "/server.yaml", Allowed("max_jobs: 1\n"));
  serve->Start();
  json listed = json::parse(serve->Call("GET", "/api/v1/jobs").body);
  ASSERT_EQ(listed["jobs"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["jobs"][0]["id"], newest["id"]);
}

TEST_F(ServeSecurityTest, ACorruptJobRowIsQuarantinedNeverACrash) {
  auto serve = std::make_unique<Serve>(state_, ServeOptions{.config_yaml = Allowed()});
  const std::string good = serve->WaitForJob(
      serve->Submit("/api/v1/replicate",
                    {{"source", Src("team/app:v1")}, {"destination", Src("ok/app:v1")}}))["id"];
  EXPECT_EQ(serve->Stop(), 0);
  // Queued and running rows are taken up at start: a runner reads them first.
  Sql(*serve,
      "INSERT INTO jobs(id, type, status, created_at, doc) VALUES "
      "('job-bad-json', 'replicate', 'queued', strftime('%s','now')*1000, 'SECRET{not json'),"
      "('job-bad-shape', 'sync', 'running', strftime('%s','now')*1000, '{\"id\": 5}'),"
      "('job-bad-utf8', 'replicate', 'failed', strftime('%s','now')*1000, "
      "CAST(X'7b226964223a226a6f622d6261642d75746638222c2278223a22ff227d' AS TEXT)),"
      "('job-bad-type', 'bogus', 'succeeded', strftime('%s','now')*1000, 'null')");
  serve->Start();
  HttpResponse list = serve->Call("GET", "/api/v1/jobs");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find("SECRET"), std::string::npos) << "the raw row reached the API";
  std::map<std::string, json> by_id;
  const json listed = Body(list);
  for (const json& job : listed["jobs"])
    by_id[job["id"].get<std::string>()] = job;
  for (const char* id : {"job-bad-json", "job-bad-shape", "job-bad-utf8", "job-bad-type"}) {
    ASSERT_TRUE(by_id.count(id)) << id << " missing: " << list.body;
    EXPECT_EQ(by_id[id]["status"], "failed") << id;
    EXPECT_EQ(by_id[id]["error"], (json{{"code", "internal"}, {"message", "corrupt record"}}))
        << id;
    HttpResponse one = serve->Call("GET", std::string("/api/v1/jobs/") + id);
    EXPECT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(Body(one)["error"]["message"], "corrupt record");
    EXPECT_EQ(serve->Call("DELETE", std::string("/api/v1/jobs/") + id).status, 409);
  }
  EXPECT_EQ(by_id[good]["status"], "succeeded");
  // Quarantined in the store too: the next start does not run them.
  EXPECT_EQ(Sql(*serve, "SELECT status FROM jobs WHERE id = 'job-bad-json'"), "failed\n");
  const std::string m = serve->Scrape();
  EXPECT_EQ(MetricValue(m, "freightliner_panics_total", {{"component", "worker"}}), 0);
  EXPECT_EQ(MetricValue(m, "freightliner_panics_total", {{"component", "api"}}), 0);
  EXPECT_EQ(MetricValue(m, "freightliner_jobs_active"), 0);
  EXPECT_EQ(serve->Stop(), 0);
}

TEST_F(ServeSecurityTest, AStoreThatCannotBeWrittenIsNotReadyAndSaysSo) {
  Serve serve(state_, {.config_yaml = Allowed()});
  const json request = {{"source", Src("team/app:v1")}, {"destination", Src("w/app:v1")}};
  // Another process holds the write lock (as a full disk or a read-only volume would refuse
  // writes); reads still work. Released after 25 s.
  ChildProcess locker(
      {"sh", "-c",
       "(echo '.timeout 10000'; echo 'BEGIN IMMEDIATE;'; echo 'UPDATE jobs SET status = status;'; "
       "sleep 25; "
       "echo 'ROLLBACK;') | sqlite3 " +
           serve.database()},
      state_.path() + "/locker.log");
  bool unready = false;
  for (int i = 0; i < 150 && !unready; ++i) {
    unready = HttpCall("GET", serve.api() + "/ready").status == 503;
    if (!unready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(unready) << "/ready stayed 200 while the store could not be written";
  EXPECT_EQ(HttpCall("GET", serve.api() + "/health").status, 200);
  HttpResponse refused = serve.Call("POST", "/api/v1/replicate", request.dump());
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("job store cannot be written"), std::string::npos) << refused.body;
  std::string m = serve.Scrape();
  EXPECT_GE(MetricValue(m, "freightliner_store_errors_total", {{"operation", "probe"}}) +
                MetricValue(m, "freightliner_store_errors_total", {{"operation", "insert"}}),
            2);
  // Writable again: ready again, and jobs run.
  locker.Wait(std::chrono::seconds(40));
  bool ready = false;
  for (int i = 0; i < 150 && !ready; ++i) {
    ready = HttpCall("GET", serve.api() + "/ready").status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(ready) << serve.Log();
  json job = serve.WaitForJob(serve.Submit("/api/v1/replicate", request));
  EXPECT_EQ(job["status"], "succeeded") << job.dump();
}

TEST_F(ServeSecurityTest, AnErrorThatIsNotUtf8FailsTheJobAndNeverThrows) {
  // A sync file read again when its job runs, by then holding a byte that is not UTF-8 in a key
  // its error message names (as a registry's header or tag would be).
  const std::string sync = state_.path() + "/u.yaml";
  WriteFile(sync, "mappings:\n  - source: " + Src("team/app") +
                      "\n    destination: " + Src("u/app") + "\n    tags:\n      list: [v1]\n");
  FaultProxy slow(src_->host());
  slow.SetDelay(std::chrono::milliseconds(1000));
  Serve serve(state_, {.config_yaml = "max_concurrent_jobs: 1\nallowed_registries: [\"" +
                                      slow.host() + "\", \"" + src_->host() +
                                      "\"]\nsyncs:\n  - name: u\n    file: u.yaml\n"});
  // One runner, kept busy while the sync waits its turn.
  const std::string busy = serve.Submit(
      "/api/v1/replicate-tree", {{"source", slow.host() + "/team"}, {"destination", Src("busy")}});
  const std::string id = serve.Submit("/api/v1/sync", {{"name", "u"}});
  WriteFile(sync, "mappings:\n  - source: " + Src("team/app") +
                      "\n    destination: " + Src("u/app") + "\n    t\xffgs: 1\n");
  EXPECT_EQ(serve.Call("DELETE", "/api/v1/jobs/" + busy).status, 202);
  json job = serve.WaitForJob(id);
  EXPECT_EQ(job["status"], "failed") << job.dump();
  EXPECT_EQ(job["error"]["code"], "invalid_argument") << job.dump();
  EXPECT_NE(job["error"]["message"].get<std::string>().find("t\xef\xbf\xbdgs"), std::string::npos)
      << job.dump();
  HttpResponse list = serve.Call("GET", "/api/v1/jobs");
  EXPECT_EQ(list.status, 200);
  EXPECT_FALSE(Body(list).is_discarded()) << list.body;
  // The API's own error messages, too.
  HttpResponse refused = serve.Call("POST", "/api/v1/sync", json{{"name", "u"}}.dump());
  EXPECT_EQ(refused.status, 400);
  EXPECT_FALSE(Body(refused).is_discarded()) << refused.body;
  const std::string m = serve.Scrape();
  EXPECT_EQ(MetricValue(m, "freightliner_jobs_active"), 0);
  EXPECT_EQ(MetricValue(m, "freightliner_panics_total", {{"component", "worker"}}), 0);
  EXPECT_EQ(MetricValue(m, "freightliner_jobs_total", {{"type", "sync"}, {"status", "failed"}}), 1);
}

TEST_F(ServeSecurityTest, CorruptPagesInTheMiddleOfTheStoreMakeItUnready) {
  auto serve = std::make_unique<Serve>(state_, ServeOptions{.config_yaml = Allowed()});
  json job = serve->WaitForJob(serve->Submit(
      "/api/v1/replicate", {{"source", Src("team/app:v1")}, {"destination", Src("c/app:v1")}}));
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(serve->Stop(), 0);
  Sql(*serve, "PRAGMA wal_checkpoint(TRUNCATE)");
  // The pages of a checkpoint table that starting does not read: jobs would fail on them one by
  // one while the heartbeat still writes.
  const int page_size = std::stoi(Sql(*serve, "PRAGMA page_size"));
  std::istringstream pages(
      Sql(*serve, "SELECT pageno FROM dbstat WHERE name = 'destination_tags'"));
  int corrupted = 0;
  {
    std::fstream db(serve->database(), std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(static_cast<size_t>(page_size), '\x5a');
    for (int page; pages >> page; ++corrupted) {
      db.seekp(static_cast<std::streamoff>(page - 1) * page_size);
      db.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
  }
  ASSERT_GT(corrupted, 0);
  ServeOptions options{.config_yaml = Allowed(), .wait_ready = false};
  serve.reset();
  Serve corrupt(state_, options);
  HttpResponse ready = HttpCall("GET", corrupt.api() + "/ready");
  for (int i = 0; i < 50 && ready.status != 503; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ready = HttpCall("GET", corrupt.api() + "/ready");
  }
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(Body(ready)["status"], "store_corrupt") << ready.body;
  EXPECT_EQ(HttpCall("GET", corrupt.api() + "/health").status, 200);
  EXPECT_GE(
      MetricValue(corrupt.Scrape(), "freightliner_store_errors_total", {{"operation", "check"}}),
      1);
  EXPECT_NE(corrupt.Log().find("the database is corrupt"), std::string::npos) << corrupt.Log();
}

}  // namespace
}  // namespace freightliner::testing
