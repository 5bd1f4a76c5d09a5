// `freightliner serve` against real registries: jobs through the API (replicate, tree, sync,
// cancel, every option), bad input, API keys, schedules, restart mid-job, SIGTERM, and the
// metrics that all of it must produce, scraped from the real endpoint.

#include "integration/serve.hpp"

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <signal.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "fixtures/fault_proxy.hpp"
#include "fixtures/http.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "integration/cli.hpp"

namespace freightliner::testing {
namespace {

using nlohmann::json;

// The label names in a sample's {...} text.
std::set<std::string> LabelNames(const std::string& text) {
  std::set<std::string> names;
  re2::StringPiece input(text);
  std::string name;
  while (RE2::FindAndConsume(&input, R"(([a-z_]+)=")", &name))
    names.insert(name);
  return names;
}

// The label text ("" without labels) of the first sample of `series` in an exposition.
std::optional<std::string> FirstSampleLabels(const std::string& exposition,
                                             const std::string& series) {
  std::string labels;
  if (!RE2::PartialMatch(exposition, "(?m)^" + RE2::QuoteMeta(series) + R"((?:\{([^}]*)\})? )",
                         &labels)) {
    return std::nullopt;
  }
  return labels;
}

constexpr const char* kKey = "k3y-for-tests-only-5f1a";

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-serve");
    src_ = new Registry();
    OciLayout layout(dir_->Sub("oci"));
    app_v1_ = new BuiltImage(layout.AddImage(
        "app-v1", {.layers = {{.size = 300000, .seed = 901}, {.size = 2000, .seed = 902}}}));
    SkopeoCopy(layout.Ref("app-v1"), "docker://" + src_->host() + "/team/app:v1");
    layout.AddImage("app-v2",
                    {.layers = {{.size = 300000, .seed = 901}, {.size = 2100, .seed = 903}}});
    SkopeoCopy(layout.Ref("app-v2"), "docker://" + src_->host() + "/team/app:v2");
    for (int i = 0; i < 6; ++i) {
      const std::string tag = "t" + std::to_string(i);
      layout.AddImage("lib-" + tag,
                      {.layers = {{.size = 4000, .seed = 950u + static_cast<uint64_t>(i)}}});
      SkopeoCopy(layout.Ref("lib-" + tag), "docker://" + src_->host() + "/team/lib:" + tag);
    }
    layout.AddIndex("multi", {{.architecture = "amd64", .layers = {{.size = 5000, .seed = 971}}},
                              {.architecture = "arm64", .layers = {{.size = 5100, .seed = 972}}}});
    SkopeoCopy(layout.Ref("multi"), "docker://" + src_->host() + "/team/multi:v1");
  }
  static void TearDownTestSuite() {
    delete app_v1_;
    delete src_;
    delete dir_;
  }

  void SetUp() override { dst_ = std::make_unique<Registry>(); }

  static std::string Src(const std::string& ref) { return src_->host() + "/" + ref; }
  // The labels of this suite's registry pair, plus `extra`.
  std::map<std::string, std::string> Pair(std::map<std::string, std::string> extra = {}) const {
    extra["source_registry"] = src_->host();
    extra["dest_registry"] = dst_->host();
    return extra;
  }
  std::string Dst(const std::string& ref) const { return dst_->host() + "/" + ref; }
  // A config allowing API jobs on this suite's registries and `more`, then `extra`.
  std::string Allowed(const std::vector<std::string>& more = {},
                      const std::string& extra = "") const {
    std::string list = "\"" + src_->host() + "\", \"" + dst_->host() + "\"";
    for (const std::string& host : more)
      list += ", \"" + host + "\"";
    return "allowed_registries: [" + list + "]\n" + extra;
  }

  static TempDir* dir_;
  static Registry* src_;
  static BuiltImage* app_v1_;
  std::unique_ptr<Registry> dst_;
  TempDir state_{"freightliner-serve-state"};
};
TempDir* ServeTest::dir_ = nullptr;
Registry* ServeTest::src_ = nullptr;
BuiltImage* ServeTest::app_v1_ = nullptr;

TEST_F(ServeTest, ReplicateJobCopiesTheImageAndTheMetricsSayWhatHappened) {
  Serve serve(state_,
              {.config_yaml = Allowed(), .env = {{"FREIGHTLINER_API_KEY", kKey}}, .api_key = kKey});
  // Without the key: refused and counted.
  HttpResponse refused = serve.Call("POST", "/api/v1/replicate", "{}", /*with_key=*/false);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_EQ(HttpCall("GET", serve.api() + "/api/v1/jobs", "", {{"X-API-Key", "wrong"}}).status,
            401);

  const std::string id = serve.Submit(
      "/api/v1/replicate", {{"source", Src("team/app:v1")}, {"destination", Dst("copy/app:v1")}});
  json job = serve.WaitForJob(id);
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(job["type"], "replicate");
  EXPECT_EQ(job["progress"]["tags_total"], 1);
  EXPECT_EQ(job["progress"]["tags_done"], 1);
  EXPECT_EQ(job["progress"]["bytes"], app_v1_->BlobBytes());
  EXPECT_EQ(RawDigest(Dst("copy/app:v1")), app_v1_->manifest.digest);

  const std::string m = serve.Scrape();
  const std::map<std::string, std::string> pair = Pair();
  const auto with = [&](std::map<std::string, std::string> extra) { return Pair(extra); };
  EXPECT_EQ(MetricValue(m, "freightliner_replications_total", with({{"status", "success"}})), 1);
  EXPECT_EQ(MetricValue(m, "freightliner_replications_total", with({{"status", "failed"}})), 0);
  EXPECT_EQ(MetricValue(m, "freightliner_replication_bytes_total", pair),
            static_cast<double>(app_v1_->BlobBytes()));
  EXPECT_EQ(MetricValue(m, "freightliner_replication_layers_total", pair), 2);
  EXPECT_EQ(MetricValue(m, "freightliner_replication_duration_seconds_count", pair), 1);
  EXPECT_EQ(
      MetricValue(m, "freightliner_replication_errors_total", with({{"error_type", "not_found"}})),
      0);
  EXPECT_EQ(
      MetricValue(m, "freightliner_jobs_total", {{"type", "replicate"}, {"status", "succeeded"}}),
      1);
  EXPECT_EQ(MetricValue(m, "freightliner_jobs_total", {{"type", "sync"}, {"status", "failed"}}), 0);
  EXPECT_EQ(MetricValue(m, "freightliner_job_duration_seconds_count", {{"type", "replicate"}}), 1);
  EXPECT_EQ(MetricValue(m, "freightliner_jobs_active"), 0);
  EXPECT_EQ(MetricValue(m, "freightliner_auth_failures_total", {{"type", "api_key"}}), 2);
  EXPECT_EQ(MetricValue(m, "freightliner_auth_failures_total", {{"type", "registry"}}), 0);
  EXPECT_EQ(MetricValue(m, "freightliner_http_requests_total",
                        {{"method", "POST"}, {"path", "/api/v1/replicate"}, {"status", "202"}}),
            1);
  EXPECT_EQ(MetricValue(m, "freightliner_http_requests_total",
                        {{"method", "POST"}, {"path", "/api/v1/replicate"}, {"status", "401"}}),
            1);
  EXPECT_GE(MetricValue(m, "freightliner_http_requests_total",
                        {{"method", "GET"}, {"path", "/api/v1/jobs/{id}"}, {"status", "200"}}),
            1);
  EXPECT_EQ(m.find("path=\"/api/v1/jobs/job-"), std::string::npos) << "raw paths leak into labels";
  EXPECT_EQ(MetricValue(m, "freightliner_http_requests_total",
                        {{"method", "DELETE"}, {"path", "/api/v1/jobs/{id}"}, {"status", "500"}}),
            0);
  EXPECT_EQ(MetricValue(m, "freightliner_panics_total", {{"component", "api"}}), 0);
  EXPECT_EQ(MetricValue(m, "freightliner_worker_pool_size"), 8);
  EXPECT_GT(MetricValue(m, "freightliner_memory_usage_bytes"), 1e6);
  EXPECT_GT(MetricValue(m, "freightliner_goroutines_count"), 2);
  EXPECT_GT(MetricValue(m, "process_start_time_seconds"), 1.7e9);
  EXPECT_EQ(MetricValue(m, "freightliner_build_info"), 1);

  EXPECT_EQ(serve.Stop(), 0);
  EXPECT_EQ(serve.Log().find(kKey), std::string::npos) << "the API key reached the log";
}

TEST_F(ServeTest, AFailedCopyIsCountedUnderItsErrorType) {
  Serve serve(state_, {.config_yaml = Allowed()});
  const std::string id = serve.Submit(
      "/api/v1/replicate", {{"source", Src("team/app:nope")}, {"destination", Dst("f/app:x")}});
  json job = serve.WaitForJob(id);
  ASSERT_EQ(job["status"], "failed") << job.dump();
  ASSERT_EQ(job["errors"].size(), 1u) << job.dump();
  EXPECT_EQ(job["errors"][0]["error_type"], "not_found");
  EXPECT_NE(job["errors"][0]["message"].get<std::string>().find("team/app:nope"),
            std::string::npos);
  const std::string m = serve.Scrape();
  const std::map<std::string, std::string> pair = Pair();
  const auto with = [&](std::map<std::string, std::string> extra) { return Pair(extra); };
  EXPECT_EQ(
      MetricValue(m, "freightliner_replication_errors_total", with({{"error_type", "not_found"}})),
      1);
  EXPECT_EQ(
      MetricValue(m, "freightliner_replication_errors_total", with({{"error_type", "network"}})),
      0);
  EXPECT_EQ(MetricValue(m, "freightliner_replications_total", with({{"status", "failed"}})), 1);
  EXPECT_EQ(MetricValue(m, "freightliner_replications_total", with({{"status", "success"}})), 0);
  EXPECT_EQ(
      MetricValue(m, "freightliner_jobs_total", {{"type", "replicate"}, {"status", "failed"}}), 1);
  EXPECT_FALSE(TagExists(Dst("f/app:x")));
}

TEST_F(ServeTest, TreeJobHonoursEveryFilter) {
  Serve serve(state_, {.config_yaml = Allowed()});
  const std::string id = serve.Submit("/api/v1/replicate-tree", {{"source", Src("team")},
                                                                 {"destination", Dst("tree")},
                                                                 {"include_repos", {"app", "lib"}},
                                                                 {"exclude_repos", {"lib"}},
                                                                 {"include_tags", {"v.*"}},
                                                                 {"exclude_tags", {"v2"}}});
  json job = serve.WaitForJob(id);
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(job["progress"]["tags_total"], 1);
  EXPECT_EQ(ListTags(Dst("tree/app")), std::vector<std::string>{"v1"});
  EXPECT_TRUE(ListTags(Dst("tree/lib")).empty());
  EXPECT_EQ(RawDigest(Dst("tree/app:v1")), app_v1_->manifest.digest);

  // Every tag of a repository when there is no filter.
  const std::string all = serve.Submit(
      "/api/v1/replicate-tree", {{"source", Src("team/lib")}, {"destination", Dst("all/lib")}});
  job = serve.WaitForJob(all);
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(ListTags(Dst("all/lib")).size(), 6u);
}

TEST_F(ServeTest, RequestsTakeTheDockerTransportPrefixAndRefuseOthers) {
  Serve serve(state_, {.config_yaml = Allowed()});
  const std::string id =
      serve.Submit("/api/v1/replicate", {{"source", "docker://" + Src("team/app:v1")},
                                         {"destination", "docker://" + Dst("dock/app:v1")}});
  json job = serve.WaitForJob(id);
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(RawDigest(Dst("dock/app:v1")), app_v1_->manifest.digest);

  HttpResponse bad = serve.Call(
      "POST", "/api/v1/replicate",
      json{{"source", "containers-storage:" + Src("team/app:v1")}, {"destination", Dst("x/y:1")}}
          .dump());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("transport containers-storage: is not supported; freightliner copies "
                          "between registries: use docker://HOST/REPO:TAG or HOST/REPO:TAG"),
            std::string::npos)
      << bad.body;
}

TEST_F(ServeTest, DryRunForceAndPlatformsChangeWhatHappens) {
  FaultProxy dst_proxy(dst_->host());
  Serve serve(state_, {.config_yaml = Allowed({dst_proxy.host()})});
  const std::string to = dst_proxy.host() + "/opts/app:v1";
  json job = serve.WaitForJob(
      serve.Submit("/api/v1/replicate",
                   {{"source", Src("team/app:v1")}, {"destination", to}, {"dry_run", true}}));
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_FALSE(job["plan"].empty()) << job.dump();
  EXPECT_FALSE(TagExists(Dst("opts/app:v1")));
  EXPECT_EQ(dst_proxy.Count("PUT", "/manifests/"), 0);
  const json would = job["progress"];

  job = serve.WaitForJob(
      serve.Submit("/api/v1/replicate", {{"source", Src("team/app:v1")}, {"destination", to}}));
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  // The dry run counted what the real run then moved.
  EXPECT_GT(would["bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(would["bytes"], job["progress"]["bytes"]);
  EXPECT_EQ(would["layers"], job["progress"]["layers"]);
  EXPECT_EQ(dst_proxy.Count("PUT", "/manifests/"), 1);
  // Up to date: nothing pushed again, unless forced.
  job = serve.WaitForJob(
      serve.Submit("/api/v1/replicate", {{"source", Src("team/app:v1")}, {"destination", to}}));
  EXPECT_EQ(dst_proxy.Count("PUT", "/manifests/"), 1);
  job = serve.WaitForJob(serve.Submit(
      "/api/v1/replicate", {{"source", Src("team/app:v1")}, {"destination", to}, {"force", true}}));
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(dst_proxy.Count("PUT", "/manifests/"), 2);

  std::string arm64;
  const json index = json::parse(RawManifest(Src("team/multi:v1")));
  for (const auto& child : index["manifests"]) {
    if (child["platform"]["architecture"] == "arm64") arm64 = child["digest"];
  }
  job = serve.WaitForJob(serve.Submit("/api/v1/replicate", {{"source", Src("team/multi:v1")},
                                                            {"destination", Dst("opts/multi")},
                                                            {"platforms", {"linux/arm64"}}}));
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(RawDigest(Dst("opts/multi:v1")), arm64);
}

TEST_F(ServeTest, CancelStopsARunningJobPromptly) {
  FaultProxy slow_src(src_->host());
  slow_src.SetDelay(std::chrono::milliseconds(400));
  Serve serve(state_, {.config_yaml = Allowed({slow_src.host()})});
  const std::string id =
      serve.Submit("/api/v1/replicate-tree",
                   {{"source", slow_src.host() + "/team/lib"}, {"destination", Dst("cancel/lib")}});
  for (int i = 0; i < 100; ++i) {
    if (json::parse(serve.Call("GET", "/api/v1/jobs/" + id).body)["status"] == "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto asked = std::chrono::steady_clock::now();
  HttpResponse cancel = serve.Call("DELETE", "/api/v1/jobs/" + id);
  EXPECT_EQ(cancel.status, 202) << cancel.body;
  json job = serve.WaitForJob(id, 30);
  EXPECT_EQ(job["status"], "canceled") << job.dump();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(10));
  EXPECT_LT(ListTags(Dst("cancel/lib")).size(), 6u);
  HttpResponse again = serve.Call("DELETE", "/api/v1/jobs/" + id);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(MetricValue(serve.Scrape(), "freightliner_jobs_total",
                        {{"type", "replicate-tree"}, {"status", "canceled"}}),
            1);
  // The list filters by status and type.
  json listed =
      json::parse(serve.Call("GET", "/api/v1/jobs?status=canceled&type=replicate-tree").body);
  ASSERT_EQ(listed["jobs"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["jobs"][0]["id"], id);
  listed = json::parse(serve.Call("GET", "/api/v1/jobs?status=succeeded").body);
  EXPECT_TRUE(listed["jobs"].empty()) << listed.dump();
}

TEST_F(ServeTest, BadInputGetsAClearErrorAndTheServerKeepsServing) {
  Serve serve(state_, {.config_yaml = Allowed()});
  struct Case {
    std::string method, path, body;
    long status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/v1/replicate", "{not json", 400, "not valid JSON"},
      {"POST", "/api/v1/replicate", "[]", 400, "JSON object"},
      {"POST", "/api/v1/replicate", R"({"source":"a/b:1","destination":"c/d:1","tagz":1})", 400,
       "tagz"},
      {"POST", "/api/v1/replicate", R"({"source":5,"destination":"c/d:1"})", 400,
       "\"source\" must be a string"},
      {"POST", "/api/v1/replicate", R"({"source":"a/b:1","destination":"c/d:1","force":"yes"})",
       400, "true or false"},
      {"POST", "/api/v1/replicate", R"({"destination":"c/d:1"})", 400, "\"source\" is required"},
      {"POST", "/api/v1/replicate", R"({"source":"Bad Ref!","destination":"c/d:1"})", 400,
       "Bad Ref!"},
      {"POST", "/api/v1/replicate-tree",
       R"({"source":"x/y","destination":"z","include_tags":"v1"})", 400, "list of strings"},
      {"POST", "/api/v1/sync", R"({"name":"nope"})", 400, "no sync named"},
      {"POST", "/api/v1/replicate", std::string(2 << 20, ' '), 413, "larger than"},
      {"GET", "/api/v1/jobs/job-0000000000000000", "", 404, "no job"},
      {"GET", "/api/v1/jobs?status=bogus", "", 400, "unknown status"},
      {"PUT", "/api/v1/jobs", "", 405, "not allowed"},
      {"GET", "/api/v2/nothing", "", 404, "no route"},
  };
  for (const Case& c : cases) {
    HttpResponse r = serve.Call(c.method, c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << ": " << r.body;
    json body = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << r.body;
    EXPECT_NE(body["error"]["message"].get<std::string>().find(c.says), std::string::npos)
        << c.path << ": " << r.body;
    EXPECT_TRUE(body["error"]["code"].is_string());
  }
  EXPECT_EQ(HttpCall("GET", serve.api() + "/health").status, 200);
  json listed = json::parse(serve.Call("GET", "/api/v1/jobs").body);
  EXPECT_TRUE(listed["jobs"].empty()) << "bad requests created jobs: " << listed.dump();
  EXPECT_EQ(MetricValue(serve.Scrape(), "freightliner_panics_total", {{"component", "api"}}), 0);
}

TEST_F(ServeTest, ExpositionHasEverySpecFamilyWithItsLabels) {
  Serve serve(state_, {.config_yaml = Allowed()});
  serve.WaitForJob(serve.Submit(
      "/api/v1/replicate", {{"source", Src("team/app:v1")}, {"destination", Dst("e/app:v1")}}));
  const std::string m = serve.Scrape();
  // name -> type and label names (histograms: of the _count series).
  const std::map<std::string, std::pair<std::string, std::set<std::string>>> spec = {
      {"freightliner_replications_total",
       {"counter", {"source_registry", "dest_registry", "status"}}},
      {"freightliner_replication_duration_seconds",
       {"histogram", {"source_registry", "dest_registry"}}},
      {"freightliner_replication_bytes_total", {"counter", {"source_registry", "dest_registry"}}},
      {"freightliner_replication_layers_total", {"counter", {"source_registry", "dest_registry"}}},
      {"freightliner_replication_errors_total",
       {"counter", {"source_registry", "dest_registry", "error_type"}}},
      {"freightliner_http_requests_total", {"counter", {"method", "path", "status"}}},
      {"freightliner_http_request_duration_seconds", {"histogram", {"method", "path", "status"}}},
      {"freightliner_http_requests_in_flight", {"gauge", {}}},
      {"freightliner_worker_pool_size", {"gauge", {}}},
      {"freightliner_worker_pool_active", {"gauge", {}}},
      {"freightliner_worker_pool_queued", {"gauge", {}}},
      {"freightliner_memory_usage_bytes", {"gauge", {}}},
      {"freightliner_goroutines_count", {"gauge", {}}},
      {"freightliner_panics_total", {"counter", {"component"}}},
      {"freightliner_jobs_total", {"counter", {"type", "status"}}},
      {"freightliner_job_duration_seconds", {"histogram", {"type"}}},
      {"freightliner_jobs_active", {"gauge", {}}},
      {"freightliner_auth_failures_total", {"counter", {"type"}}},
      {"freightliner_build_info", {"gauge", {"version", "revision"}}},
      {"process_resident_memory_bytes", {"gauge", {}}},
      {"process_cpu_seconds_total", {"counter", {}}},
      {"process_open_fds", {"gauge", {}}},
      {"process_start_time_seconds", {"gauge", {}}},
  };
  for (const auto& [name, expected] : spec) {
    const auto& [type, labels] = expected;
    // prometheus-cpp names a counter's family without _total in TYPE lines only when asked to;
    // accept the exact name.
    EXPECT_NE(m.find("# TYPE " + name + " " + type), std::string::npos) << name;
    const std::string series = type == "histogram" ? name + "_count" : name;
    const auto label_text = FirstSampleLabels(m, series);
    ASSERT_TRUE(label_text) << series << " has no sample";
    EXPECT_EQ(LabelNames(*label_text), labels) << series;
  }
  // The spec's 60 s and 300 s thresholds are bucket bounds; 5 s for HTTP.
  EXPECT_NE(m.find("freightliner_replication_duration_seconds_bucket{dest_registry=\"" +
                   dst_->host() + "\",source_registry=\"" + src_->host() + "\",le=\"60\"}"),
            std::string::npos);
  EXPECT_NE(m.find("le=\"300\""), std::string::npos);
  EXPECT_NE(m.find("freightliner_http_request_duration_seconds_bucket"), std::string::npos);

  // promtool's lint finds nothing but the name the spec forces.
  const std::string file = state_.path() + "/exposition.txt";
  WriteFile(file, m);
  CommandResult lint = RunCommand({"sh", "-c", "promtool check metrics < " + file});
  std::istringstream findings(lint.out + lint.err);
  std::string finding;
  while (std::getline(findings, finding)) {
    if (finding.empty()) continue;
    EXPECT_NE(finding.find("freightliner_goroutines_count"), std::string::npos) << finding;
  }
}

TEST_F(ServeTest, MetricsDocMatchesTheLiveExposition) {
  // A scheduled sync: the per-sync gauges exist only for configured syncs.
  WriteFile(state_.path() + "/doc.yaml", "mappings:\n  - source: " + Src("team/app") +
                                             "\n    destination: " + Dst("docsync/app") +
                                             "\n    tags:\n      list: [v1]\n");
  Serve serve(state_, {.config_yaml = Allowed({},
                                              "syncs:\n  - name: doc\n    file: doc.yaml\n"
                                              "schedules:\n  - sync: doc\n    every: 1h\n")});
  serve.WaitForJob(serve.Submit(
      "/api/v1/replicate", {{"source", Src("team/app:v1")}, {"destination", Dst("d/app:v1")}}));
  const std::string m = serve.Scrape();
  std::set<std::string> documented;
  std::istringstream doc(ReadFile(std::string(FREIGHTLINER_SOURCE_DIR) + "/docs/METRICS.md"));
  std::string row;
  const RE2 table_row(R"(^\| ([a-z_]+) \| (counter|gauge|histogram|summary) \| ?([a-z_, ]*?) ?\|)");
  std::string name, type, labels;
  while (std::getline(doc, row)) {
    if (!RE2::PartialMatch(row, table_row, &name, &type, &labels)) continue;
    documented.insert(name);
    EXPECT_NE(m.find("# TYPE " + name + " " + type + "\n"), std::string::npos)
        << name << " " << type;
    std::set<std::string> want;
    std::istringstream parts(labels);
    for (std::string label; std::getline(parts, label, ',');) {
      label.erase(0, label.find_first_not_of(' '));
      label.erase(label.find_last_not_of(' ') + 1);
      if (!label.empty()) want.insert(label);
    }
    const std::string series = type == "histogram" || type == "summary" ? name + "_count" : name;
    const auto sample_labels = FirstSampleLabels(m, series);
    ASSERT_TRUE(sample_labels) << series;
    EXPECT_EQ(LabelNames(*sample_labels), want) << name;
  }
  // And nothing exported is missing from the doc.
  re2::StringPiece exposition(m);
  std::string exported;
  while (RE2::FindAndConsume(&exposition, R"(# TYPE ([a-z_]+) )", &exported)) {
    EXPECT_TRUE(documented.count(exported)) << exported << " is not in docs/METRICS.md";
  }
  EXPECT_GE(documented.size(), 25u);
}

TEST_F(ServeTest, ARestartMidJobResumesAndTheDestinationIsComplete) {
  FaultProxy slow_src(src_->host());
  slow_src.SetDelay(std::chrono::milliseconds(250));
  // One worker: tags go one after the other, so the stop lands between the first and the last.
  auto serve = std::make_unique<Serve>(
      state_, ServeOptions{.config_yaml = Allowed({slow_src.host()}, "workers: 1\n")});
  const std::string id = serve->Submit(
      "/api/v1/replicate-tree",
      {{"source", slow_src.host() + "/team/lib"}, {"destination", Dst("restart/lib")}});
  for (int i = 0; i < 400; ++i) {
    json job = json::parse(serve->Call("GET", "/api/v1/jobs/" + id).body);
    if (job["progress"]["tags_done"].get<int>() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(serve->Stop(), 0);  // SIGTERM: checkpoint, stop, exit 0
  const size_t before = ListTags(Dst("restart/lib")).size();
  EXPECT_LT(before, 6u) << "the job ended before the restart; the test proves nothing";
  slow_src.SetDelay(std::chrono::milliseconds(0));
  serve->Start();
  json job = serve->WaitForJob(id);
  ASSERT_EQ(job["status"], "succeeded") << job.dump() << serve->Log();
  EXPECT_EQ(job["progress"]["tags_total"], 6);
  for (int i = 0; i < 6; ++i) {
    const std::string tag = "t" + std::to_string(i);
    EXPECT_EQ(RawDigest(Dst("restart/lib:" + tag)), RawDigest(Src("team/lib:" + tag))) << tag;
  }
}

TEST_F(ServeTest, ScheduledSyncRunsAndNamedSyncsRunOnRequest) {
  WriteFile(state_.path() + "/nightly.yaml", "mappings:\n  - source: " + Src("team/app") +
                                                 "\n    destination: " + Dst("sched/app") +
                                                 "\n    tags:\n      list: [v1]\n");
  Serve serve(state_, {.config_yaml = "syncs:\n  - name: nightly\n    file: nightly.yaml\n"
                                      "schedules:\n  - sync: nightly\n    every: 1h\n"});
  json listed;
  for (int i = 0; i < 200; ++i) {
    listed = json::parse(serve.Call("GET", "/api/v1/jobs?type=sync").body);
    if (!listed["jobs"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(listed["jobs"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["jobs"][0]["trigger"], "schedule");
  json job = serve.WaitForJob(listed["jobs"][0]["id"]);
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(ListTags(Dst("sched/app")), std::vector<std::string>{"v1"});

  job = serve.WaitForJob(serve.Submit("/api/v1/sync", {{"name", "nightly"}}));
  EXPECT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(job["trigger"], "api");
}

// The last successful sync job of `name` as the API lists it (fails the test without one).
json SucceededSyncJob(const Serve& serve, const std::string& name) {
  const json listed =
      json::parse(serve.Call("GET", "/api/v1/jobs?type=sync&status=succeeded").body);
  for (const json& job : listed["jobs"]) {
    if (job["request"]["name"] == name) return job;
  }
  ADD_FAILURE() << "no succeeded job of sync " << name << ": " << listed.dump();
  return json::object();
}

TEST_F(ServeTest, SyncGaugesSayWhenEachConfiguredSyncLastStartedAndSucceeded) {
  for (const char* name : {"nightly", "manual"}) {
    WriteFile(state_.path() + "/" + name + ".yaml",
              "mappings:\n  - source: " + Src("team/app") + "\n    destination: " +
                  Dst(std::string("gauge-") + name + "/app") + "\n    tags:\n      list: [v1]\n");
  }
  const std::string config =
      "syncs:\n  - name: nightly\n    file: nightly.yaml\n  - name: manual\n    file: manual.yaml\n"
      "schedules:\n  - sync: nightly\n    every: 1h\n  - sync: nightly\n    every: 2h\n";
  auto serve = std::make_unique<Serve>(state_, ServeOptions{.config_yaml = config});
  const double before_start = static_cast<double>(std::time(nullptr)) - 1;
  std::string m = serve->Scrape();
  // The unscheduled sync: no interval, never started, and (a fresh install) its grace period
  // counts from the server's start.
  EXPECT_EQ(MetricValue(m, "freightliner_sync_interval_seconds", {{"sync", "manual"}}), -1);
  EXPECT_EQ(MetricValue(m, "freightliner_sync_last_start_timestamp_seconds", {{"sync", "manual"}}),
            0);
  const double manual_grace =
      MetricValue(m, "freightliner_sync_last_success_timestamp_seconds", {{"sync", "manual"}});
  EXPECT_GT(manual_grace, 1.7e9);
  EXPECT_LE(manual_grace, static_cast<double>(std::time(nullptr)) + 1);

  // The scheduled one runs at start.
  json listed;
  for (int i = 0; i < 400; ++i) {
    listed = json::parse(serve->Call("GET", "/api/v1/jobs?type=sync").body);
    if (!listed["jobs"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(listed["jobs"].size(), 1u) << listed.dump();
  const json job = serve->WaitForJob(listed["jobs"][0]["id"]);
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  m = serve->Scrape();
  // The shortest of its schedules.
  EXPECT_EQ(MetricValue(m, "freightliner_sync_interval_seconds", {{"sync", "nightly"}}), 3600);
  const double started =
      MetricValue(m, "freightliner_sync_last_start_timestamp_seconds", {{"sync", "nightly"}});
  const double succeeded =
      MetricValue(m, "freightliner_sync_last_success_timestamp_seconds", {{"sync", "nightly"}});
  EXPECT_GT(started, 0);
  EXPECT_GE(succeeded, started);
  EXPECT_NEAR(started, job["started_at"].get<double>(), 0.01);
  EXPECT_NEAR(succeeded, job["finished_at"].get<double>(), 0.01);
  EXPECT_GE(started, before_start - 60);  // this run's, not a stale value

  // On request: the same gauges. After a restart they come from the job store.
  const json manual = serve->WaitForJob(serve->Submit("/api/v1/sync", {{"name", "manual"}}));
  ASSERT_EQ(manual["status"], "succeeded") << manual.dump();
  EXPECT_EQ(serve->Stop(), 0);
  serve->Start();
  m = serve->Scrape();
  const json stored = SucceededSyncJob(*serve, "manual");
  EXPECT_NEAR(
      MetricValue(m, "freightliner_sync_last_success_timestamp_seconds", {{"sync", "manual"}}),
      stored["finished_at"].get<double>(), 0.01);
  EXPECT_NEAR(
      MetricValue(m, "freightliner_sync_last_start_timestamp_seconds", {{"sync", "manual"}}),
      stored["started_at"].get<double>(), 0.01);
  EXPECT_EQ(MetricValue(m, "freightliner_sync_interval_seconds", {{"sync", "manual"}}), -1);

  // A dry run is not a run of the sync (the destinations stay as they were): it moves neither
  // gauge, while it runs or from the store after a restart.
  const json dry =
      serve->WaitForJob(serve->Submit("/api/v1/sync", {{"name", "manual"}, {"dry_run", true}}));
  ASSERT_EQ(dry["status"], "succeeded") << dry.dump();
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      EXPECT_EQ(serve->Stop(), 0);
      serve->Start();
    }
    m = serve->Scrape();
    EXPECT_NEAR(
        MetricValue(m, "freightliner_sync_last_success_timestamp_seconds", {{"sync", "manual"}}),
        stored["finished_at"].get<double>(), 0.01)
        << "pass " << pass;
    EXPECT_NEAR(
        MetricValue(m, "freightliner_sync_last_start_timestamp_seconds", {{"sync", "manual"}}),
        stored["started_at"].get<double>(), 0.01)
        << "pass " << pass;
  }
}

TEST_F(ServeTest, AResyncOfAnUpToDateTagIsCountedUpToDateAndNotTimed) {
  Serve serve(state_, {.config_yaml = Allowed()});
  const json request = {{"source", Src("team/app:v1")}, {"destination", Dst("noop/app:v1")}};
  ASSERT_EQ(serve.WaitForJob(serve.Submit("/api/v1/replicate", request))["status"], "succeeded");
  std::string m = serve.Scrape();
  const auto with = [&](std::map<std::string, std::string> extra) { return Pair(extra); };
  EXPECT_EQ(MetricValue(m, "freightliner_replications_total", with({{"status", "up_to_date"}})), 0);
  EXPECT_EQ(MetricValue(m, "freightliner_replication_duration_seconds_count", Pair()), 1);
  const double bytes = MetricValue(m, "freightliner_replication_bytes_total", Pair());
  EXPECT_EQ(bytes, static_cast<double>(app_v1_->BlobBytes()));

  const json again = serve.WaitForJob(serve.Submit("/api/v1/replicate", request));
  ASSERT_EQ(again["status"], "succeeded") << again.dump();
  m = serve.Scrape();
  EXPECT_EQ(MetricValue(m, "freightliner_replications_total", with({{"status", "up_to_date"}})), 1);
  EXPECT_EQ(MetricValue(m, "freightliner_replications_total", with({{"status", "success"}})), 1);
  EXPECT_EQ(MetricValue(m, "freightliner_replication_duration_seconds_count", Pair()), 1);
  EXPECT_EQ(MetricValue(m, "freightliner_replication_bytes_total", Pair()), bytes);
}

TEST_F(ServeTest, BytesOfACopyCutMidBlobAreCountedThoughTheTagFailed) {
  FaultProxy src(src_->host());
  const Blob big = *std::max_element(app_v1_->layers.begin(), app_v1_->layers.end(),
                                     [](const Blob& a, const Blob& b) { return a.size < b.size; });
  constexpr uint64_t kCut = 100000;
  ASSERT_GT(big.size, 2 * kCut);
  src.CutAfter("/blobs/" + big.digest, kCut, /*times=*/-1);
  // One attempt per blob: the cut is final, and the tag fails.
  Serve serve(state_, {.config_yaml = Allowed({src.host()}), .args = {"--retry-times", "0"}});
  const json job =
      serve.WaitForJob(serve.Submit("/api/v1/replicate", {{"source", src.host() + "/team/app:v1"},
                                                          {"destination", Dst("cut/app:v1")}}));
  ASSERT_EQ(job["status"], "failed") << job.dump();
  const std::map<std::string, std::string> pair = {{"source_registry", src.host()},
                                                   {"dest_registry", dst_->host()}};
  const std::string m = serve.Scrape();
  auto failed = pair;
  failed["status"] = "failed";
  EXPECT_EQ(MetricValue(m, "freightliner_replications_total", failed), 1);
  // What crossed the wire before the cut counts, whatever else streamed meanwhile; the big blob
  // never completed, so less than the image.
  const double bytes = MetricValue(m, "freightliner_replication_bytes_total", pair);
  EXPECT_GE(bytes, static_cast<double>(kCut));
  EXPECT_LT(bytes, static_cast<double>(app_v1_->BlobBytes()));
  EXPECT_EQ(job["progress"]["bytes"].get<double>(), bytes);
}

TEST_F(ServeTest, ARetriedRequestIsCountedForItsRegistryAndReason) {
  FaultProxy src(src_->host());
  src.FailNext("GET", "/v2/team/app/manifests/", 1, 503);
  Serve serve(state_, {.config_yaml = Allowed({src.host()})});
  const json job =
      serve.WaitForJob(serve.Submit("/api/v1/replicate", {{"source", src.host() + "/team/app:v1"},
                                                          {"destination", Dst("retry/app:v1")}}));
  ASSERT_EQ(job["status"], "succeeded") << job.dump();
  ASSERT_GE(src.Count("GET", "/manifests/"), 2) << "the 503 was not retried";
  const std::string m = serve.Scrape();
  const auto retries = [&](const std::string& registry, const std::string& reason) {
    return MetricValue(m, "freightliner_registry_retries_total",
                       {{"registry", registry}, {"reason", reason}});
  };
  EXPECT_EQ(retries(src.host(), "server_error"), 1);
  for (const char* reason : {"rate_limited", "network", "timeout"})
    EXPECT_EQ(retries(src.host(), reason), 0) << reason;  // created at 0 with the pair
  EXPECT_EQ(retries(dst_->host(), "server_error"), 0);
}

TEST_F(ServeTest, OnSigtermReadyFailsFirstWhileJobsAreStillTakenThenTheServerExits) {
  // A short delay ends by itself.
  {
    Serve serve(state_, {.config_yaml = Allowed(), .args = {"--drain-delay", "1s"}});
    serve.Signal(SIGTERM);
    EXPECT_EQ(serve.Wait(), 0) << serve.Log();
    EXPECT_NE(serve.Log().find("jobs are still taken for 1s"), std::string::npos) << serve.Log();
  }
  // A long one (so that nothing below races it) is cut short by a second signal.
  Serve serve(state_, {.config_yaml = Allowed(), .args = {"--drain-delay", "10m"}});
  serve.Signal(SIGTERM);
  HttpResponse ready;
  for (int i = 0; i < 400; ++i) {
    ready = HttpCall("GET", serve.api() + "/ready");
    if (ready.status == 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(ready.status, 503) << ready.body << serve.Log();
  const json body = json::parse(ready.body);
  EXPECT_EQ(body["status"], "draining");
  EXPECT_EQ(body["reason"], "the server is stopping: jobs are still taken until drain_delay ends");
  EXPECT_EQ(HttpCall("GET", serve.api() + "/health").status, 200);
  // Everything but /ready goes on: a job is accepted (Submit asserts 202) and runs.
  const std::string id = serve.Submit(
      "/api/v1/replicate", {{"source", Src("team/app:v1")}, {"destination", Dst("drain/app:v1")}});
  EXPECT_EQ(serve.WaitForJob(id)["status"], "succeeded");
  EXPECT_EQ(RawDigest(Dst("drain/app:v1")), app_v1_->manifest.digest);
  EXPECT_EQ(HttpCall("GET", serve.api() + "/ready").status, 503);
  serve.Signal(SIGTERM);  // skips the rest of the delay; the usual stop follows
  EXPECT_EQ(serve.Wait(), 0) << serve.Log();
  EXPECT_NE(serve.Log().find("stopping: no new jobs"), std::string::npos) << serve.Log();
}

TEST_F(ServeTest, CorsHeadersOnlyForConfiguredOrigins) {
  Serve serve(state_, {.config_yaml = "cors_origins: [https://console.example]\n"});
  const auto headers = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"curl", "-s", "-D", "-", "-o", "/dev/null"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv).out;
  };
  const std::string preflight =
      headers({"-X", "OPTIONS", "-H", "Origin: https://console.example", "-H",
               "Access-Control-Request-Method: POST", serve.api() + "/api/v1/replicate"});
  EXPECT_NE(preflight.find("204"), std::string::npos) << preflight;
  EXPECT_NE(preflight.find("Access-Control-Allow-Origin: https://console.example"),
            std::string::npos)
      << preflight;
  EXPECT_NE(preflight.find("Access-Control-Allow-Headers: Authorization, X-API-Key"),
            std::string::npos)
      << preflight;
  const std::string listed =
      headers({"-H", "Origin: https://console.example", serve.api() + "/api/v1/jobs"});
  EXPECT_NE(listed.find("Access-Control-Allow-Origin: https://console.example"), std::string::npos)
      << listed;
  const std::string other =
      headers({"-H", "Origin: https://evil.example", serve.api() + "/api/v1/jobs"});
  EXPECT_NE(other.find("200"), std::string::npos) << other;
  EXPECT_EQ(other.find("Access-Control-Allow-Origin"), std::string::npos) << other;
}

TEST_F(ServeTest, NoCorsHeadersUnlessConfigured) {
  Serve serve(state_);
  CommandResult r = RunCommand({"curl", "-s", "-D", "-", "-o", "/dev/null", "-H",
                                "Origin: https://console.example", serve.api() + "/api/v1/jobs"});
  EXPECT_NE(r.out.find("200"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Access-Control"), std::string::npos) << r.out;
  // Not even to a preflight (civetweb on its own would allow every origin).
  r = RunCommand({"curl", "-s", "-D", "-", "-o", "/dev/null", "-X", "OPTIONS", "-H",
                  "Origin: https://console.example", "-H", "Access-Control-Request-Method: POST",
                  serve.api() + "/api/v1/replicate"});
  EXPECT_EQ(r.out.find("Access-Control"), std::string::npos) << r.out;
}

TEST_F(ServeTest, ABadConfigFailsAtStartWithItsLine) {
  WriteFile(state_.path() + "/bad.yaml", "api_addr: 127.0.0.1:0\nworkerz: 3\n");
  CliResult r = Freightliner({"serve", "--config", state_.path() + "/bad.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
  EXPECT_NE(r.ErrorLines()[0].find("bad.yaml:2:1"), std::string::npos) << r.err;
  EXPECT_NE(r.ErrorLines()[0].find("workerz"), std::string::npos) << r.err;

  WriteFile(state_.path() + "/sched.yaml", "schedules:\n  - sync: ghost\n    every: 5m\n");
  r = Freightliner({"serve", "--config", state_.path() + "/sched.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("unknown sync \"ghost\""), std::string::npos) << r.err;
}

// Distribution sends a push's event before it writes the tag: the job the event queues waits
// (bounded) for the tag to be at the pushed digest instead of failing not_found. Here the event
// comes 1.5 s ahead of the tag.
TEST_F(ServeTest, AnEventsJobWaitsForTheRegistryToWriteThePushedTag) {
  WriteFile(state_.path() + "/events.yaml", "mappings:\n  - source: " + Src("team/app") +
                                                "\n    destination: " + Dst("evmirror/app") + "\n");
  Serve serve(state_,
              {.config_yaml = Allowed({}, "syncs:\n  - name: events\n    file: events.yaml\n")});
  const std::string tag = "late" + std::to_string(getpid());
  const std::string digest = RawDigest(Src("team/app:v1"));
  const json envelope = {{"events",
                          {{{"id", "e1"},
                            {"timestamp", "2026-12-01T00:00:00Z"},
                            {"action", "push"},
                            {"target",
                             {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                              {"repository", "team/app"},
                              {"tag", tag},
                              {"digest", digest}}}}}}};
  HttpResponse posted =
      serve.Call("POST", "/api/v1/events/distribution", envelope.dump(), true,
                 {{"Content-Type", "application/vnd.docker.distribution.events.v1+json"}});
  ASSERT_EQ(posted.status, 202) << posted.body;
  const json answer = json::parse(posted.body, nullptr, false);
  ASSERT_EQ(answer["jobs"].size(), 1u) << posted.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  TagManifest(src_->host(), "team/app", "v1", "team/app", tag);

  const json job = serve.WaitForJob(answer["jobs"][0].get<std::string>(), 60);
  EXPECT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(RawDigest(Dst("evmirror/app:" + tag)), digest);
}

// propagate_deletes: a tag deleted at the source (distribution's delete event of a tag: no digest,
// no media type) is deleted at the destinations whose mapping says so, and only there; a delete
// event for a tag the source still has deletes nothing.
TEST_F(ServeTest, ATagDeletedAtTheSourceIsDeletedWhereTheSyncPropagatesDeletes) {
  WriteFile(state_.path() + "/deletes.yaml",
            "mappings:\n  - source: " + Src("team/app") +
                "\n    destination: " + Dst("pruned/app") +
                "\n    propagate_deletes: true\n  - source: " + Src("team/app") +
                "\n    destination: " + Dst("kept/app") + "\n  - source: " + Src("team/lib") +
                "\n    destination: " + Dst("lib") + "\n");
  Serve serve(state_,
              {.config_yaml = Allowed({}, "syncs:\n  - name: deletes\n    file: deletes.yaml\n")});
  OciLayout layout(dir_->Sub("oci-delete"));
  layout.AddImage("doomed", {.layers = {{.size = 1500, .seed = 990}}});
  const std::string tag = "doomed" + std::to_string(getpid());
  SkopeoCopy(layout.Ref("doomed"), "docker://" + Src("team/app:" + tag));
  const std::string digest = RawDigest(Src("team/app:" + tag));
  const auto post = [&](const std::string& action, const std::string& event_tag,
                        const std::string& repository = "team/app") {
    json target = {{"repository", repository}, {"tag", event_tag}};
    if (action == "push") {
      target["digest"] = digest;
      target["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
    }
    const json envelope = {{"events",
                            {{{"id", action + event_tag},
                              {"timestamp", "2026-12-01T00:00:00Z"},
                              {"action", action},
                              {"target", target}}}}};
    HttpResponse posted =
        serve.Call("POST", "/api/v1/events/distribution", envelope.dump(), true,
                   {{"Content-Type", "application/vnd.docker.distribution.events.v1+json"}});
    EXPECT_EQ(posted.status, 202) << posted.body;
    return json::parse(posted.body, nullptr, false);
  };
  const auto run = [&](const json& answer) {
    EXPECT_EQ(answer["jobs"].size(), 1u) << answer.dump();
    if (answer["jobs"].size() != 1u) return json();
    return serve.WaitForJob(answer["jobs"][0].get<std::string>(), 60);
  };

  json pushed = run(post("push", tag));
  ASSERT_EQ(pushed["status"], "succeeded") << pushed.dump();
  ASSERT_EQ(RawDigest(Dst("pruned/app:" + tag)), digest);
  ASSERT_EQ(RawDigest(Dst("kept/app:" + tag)), digest);

  // A delete event while the source still has the tag: kept everywhere.
  json early = run(post("delete", tag));
  EXPECT_EQ(early["status"], "succeeded") << early.dump();
  ASSERT_EQ(early["plan"].size(), 1u) << early.dump();
  EXPECT_EQ(early["plan"][0],
            "kept " + Dst("pruned/app:" + tag) + ": the tag is at the source again");
  EXPECT_EQ(RawDigest(Dst("pruned/app:" + tag)), digest);

  // Deleted at the source (by digest: distribution 2.8 deletes no tag alone).
  ASSERT_EQ(HttpCall("DELETE", "http://" + Src("v2/team/app/manifests/" + digest)).status, 202);
  json deleted = run(post("delete", tag));
  EXPECT_EQ(deleted["status"], "succeeded") << deleted.dump();
  EXPECT_EQ(deleted["type"], "sync");
  EXPECT_EQ(deleted["request"]["delete"], true) << deleted.dump();
  ASSERT_EQ(deleted["plan"].size(), 1u) << deleted.dump();
  EXPECT_EQ(deleted["plan"][0], "deleted " + Dst("pruned/app:" + tag) + " (" + digest + ")");
  const auto status = [&](const std::string& repo) {
    return HttpCall("HEAD", "http://" + Dst("v2/" + repo + "/manifests/" + tag), "",
                    {{"Accept", "application/vnd.oci.image.manifest.v1+json"}})
        .status;
  };
  EXPECT_EQ(status("pruned/app"), 404);
  EXPECT_EQ(status("kept/app"), 200);  // its mapping does not propagate deletes

  // No mapping of team/lib propagates deletes: its delete events queue nothing.
  json ignored = post("delete", "t0", "team/lib");
  EXPECT_EQ(ignored["jobs"], json::array()) << ignored.dump();
  EXPECT_EQ(ignored["ignored"], 1) << ignored.dump();
}

}  // namespace
}  // namespace freightliner::testing
