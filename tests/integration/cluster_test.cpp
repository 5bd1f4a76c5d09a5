// Cluster mode: three `serve` replicas sharing one real PostgreSQL (state: postgresql://...).
// Jobs submitted to any replica run once, on one of them; a replica killed mid-job loses its
// jobs to the others when its leases expire; a cancel reaches the replica running the job; a
// schedule runs once per interval, not once per replica.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "fixtures/fault_proxy.hpp"
#include "fixtures/http.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/postgres.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "fixtures/temp_dir.hpp"
#include "integration/serve.hpp"

namespace freightliner::testing {
namespace {

using nlohmann::json;

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-cluster");
    src_ = new Registry();
    OciLayout layout(dir_->Sub("oci"));
    layout.AddImage("app",
                    {.layers = {{.size = 20000, .seed = 1201}, {.size = 900, .seed = 1202}}});
    SkopeoCopy(layout.Ref("app"), "docker://" + src_->host() + "/team/app:v1");
  }
  static void TearDownTestSuite() {
    delete src_;
    delete dir_;
  }

  // The config every replica shares: the database, a short lease, API jobs on these registries.
  std::string Config(const std::vector<std::string>& registries, const std::string& extra = "") {
    std::string list = "\"" + src_->host() + "\"";
    for (const std::string& host : registries)
      list += ", \"" + host + "\"";
    return "state: " + pg_.dsn() + "\njob_lease: 3s\nmax_concurrent_jobs: 2\n" +
           "allowed_registries: [" + list + "]\n" + extra;
  }
  // Three replicas with the config, each with its own directory holding `files` (name, text).
  void StartReplicas(const std::string& config,
                     const std::map<std::string, std::string>& files = {}) {
    for (int i = 0; i < 3; ++i) {
      dirs_.push_back(std::make_unique<TempDir>("freightliner-replica"));
      for (const auto& [name, text] : files)
        WriteFile(dirs_.back()->path() + "/" + name, text);
      replicas_.push_back(
          std::make_unique<Serve>(*dirs_.back(), ServeOptions{.config_yaml = config}));
    }
  }
  std::vector<json> JobsOfType(const Serve& replica, const std::string& type) {
    HttpResponse r = replica.Call("GET", "/api/v1/jobs?limit=1000&type=" + type);
    EXPECT_EQ(r.status, 200) << r.body;
    json page = json::parse(r.body, nullptr, false);
    std::vector<json> jobs;
    if (page.is_object() && page["jobs"].is_array()) {
      for (const json& job : page["jobs"])
        jobs.push_back(job);
    }
    return jobs;
  }

  static TempDir* dir_;
  static Registry* src_;
  PostgresServer pg_;
  std::vector<std::unique_ptr<TempDir>> dirs_;
  std::vector<std::unique_ptr<Serve>> replicas_;
};
TempDir* ClusterTest::dir_ = nullptr;
Registry* ClusterTest::src_ = nullptr;

// 30 jobs submitted round robin; one replica SIGKILLed while it runs some. Every job succeeds,
// seen alike from every live replica; every destination holds the source's digest; and each
// destination tag got exactly one manifest PUT (counted at a proxy in front of the destination):
// no tag was copied by two replicas, the killed one's unfinished copies were finished once.
TEST_F(ClusterTest, JobsRunOnceAcrossReplicasAndAKilledReplicasJobsFinishElsewhere) {
  Registry dst;
  FaultProxy proxy(dst.host());
  proxy.SetDelay(std::chrono::milliseconds(150));  // jobs last long enough to be cut short
  StartReplicas(Config({proxy.host()}));
  constexpr int kJobs = 30;
  std::vector<std::string> ids;
  for (int i = 0; i < kJobs; ++i) {
    const Serve& to = *replicas_[static_cast<size_t>(i % 3)];
    ids.push_back(to.Submit("/api/v1/replicate", {{"source", src_->host() + "/team/app:v1"},
                                                  {"destination", proxy.host() + "/copy/n" +
                                                                      std::to_string(i) + ":v1"}}));
  }
  // Kill the third replica while it holds jobs.
  bool busy = false;
  for (int i = 0; i < 100 && !busy; ++i) {
    busy = replicas_[2]->Scrape().find("freightliner_jobs_active 0") == std::string::npos;
    if (!busy) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(busy) << "the third replica never ran a job";
  replicas_[2]->Signal(SIGKILL);
  replicas_[2]->Wait();

  const std::string digest = RawDigest(src_->host() + "/team/app:v1");
  for (int i = 0; i < kJobs; ++i) {
    json job = replicas_[0]->WaitForJob(ids[static_cast<size_t>(i)], 180);
    EXPECT_EQ(job["status"], "succeeded") << job.dump();
    json seen =
        json::parse(replicas_[1]->Call("GET", "/api/v1/jobs/" + ids[static_cast<size_t>(i)]).body,
                    nullptr, false);
    EXPECT_EQ(seen["status"], job["status"]) << seen.dump();
    const std::string repo = "copy/n" + std::to_string(i);
    EXPECT_EQ(RawDigest(dst.host() + "/" + repo + ":v1"), digest) << repo;
    EXPECT_EQ(proxy.Count("PUT", "^/v2/" + repo + "/manifests/v1$"), 1) << repo;
  }
  std::string resumed;
  for (int i = 0; i < 2; ++i) {
    if (replicas_[static_cast<size_t>(i)]->Log().find("resumed from its checkpoint") !=
        std::string::npos) {
      resumed = "yes";
    }
  }
  EXPECT_EQ(resumed, "yes") << "no live replica took over a job of the killed one";
  // Taken over, and counted so; nobody wrote with a lost lease (the killed one wrote nothing).
  double takeovers = 0;
  for (int i = 0; i < 2; ++i) {
    const std::string m = replicas_[static_cast<size_t>(i)]->Scrape();
    takeovers += MetricValue(m, "freightliner_job_lease_takeovers_total", {});
    EXPECT_EQ(MetricValue(m, "freightliner_job_fencing_rejections_total", {}), 0);
  }
  EXPECT_GE(takeovers, 1);
}

// A sync of 8 tags runs on one replica, which is SIGKILLed after a few tags: another replica
// takes the job over and resumes from the checkpoint in the shared store. Tags done before the
// kill are not looked at again (planning anew would HEAD each at the destination), and every
// tag got exactly one manifest PUT.
TEST_F(ClusterTest, ATakenOverSyncResumesFromTheSharedCheckpoint) {
  constexpr int kTags = 8;
  const auto tag = [](int i) { return "t" + std::to_string(i); };
  TagManifest(src_->host(), "team/app", "v1", "team/tree", tag(0));
  for (int i = 1; i < kTags; ++i)
    TagManifest(src_->host(), "team/tree", tag(0), "team/tree", tag(i));
  Registry dst;
  FaultProxy proxy(dst.host());
  proxy.SetDelay(std::chrono::milliseconds(150));
  const std::string sync = "mappings:\n  - source: " + src_->host() +
                           "/team/tree\n    destination: " + proxy.host() + "/mirror/tree\n";
  StartReplicas(Config({proxy.host()}, "workers: 1\nsyncs:\n  - name: tree\n    file: tree.yaml\n"),
                {{"tree.yaml", sync}});
  const std::string id = replicas_[0]->Submit("/api/v1/sync", {{"name", "tree"}});

  const auto puts = [&](int i) {
    return proxy.Count("PUT", "^/v2/mirror/tree/manifests/" + tag(i) + "$");
  };
  const auto heads = [&](int i) {
    return proxy.Count("HEAD", "^/v2/mirror/tree/manifests/" + tag(i) + "$");
  };
  int done_before = 0;
  for (int i = 0; i < 400 && done_before < 3; ++i) {
    done_before = 0;
    for (int t = 0; t < kTags; ++t)
      done_before += puts(t);
    if (done_before < 3) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_GE(done_before, 3) << "the sync never got going";
  size_t holder = replicas_.size();
  for (size_t r = 0; r < replicas_.size(); ++r) {
    if (replicas_[r]->Scrape().find("freightliner_jobs_active 1") != std::string::npos) holder = r;
  }
  ASSERT_LT(holder, replicas_.size()) << "no replica runs the sync";
  const auto runner_pid = [&](const json& job) {
    const std::string runner = job.value("runner", "");
    return runner.substr(runner.rfind(':') + 1);
  };
  const json running = json::parse(
      replicas_[(holder + 1) % replicas_.size()]->Call("GET", "/api/v1/jobs/" + id).body, nullptr,
      false);
  EXPECT_EQ(runner_pid(running), std::to_string(replicas_[holder]->pid())) << running.dump();
  const pid_t killed = replicas_[holder]->pid();
  replicas_[holder]->Signal(SIGKILL);
  replicas_[holder]->Wait();
  std::vector<int> heads_at_kill;
  std::vector<int> puts_at_kill;
  for (int t = 0; t < kTags; ++t) {
    heads_at_kill.push_back(heads(t));
    puts_at_kill.push_back(puts(t));
  }
  ASSERT_LT(std::count(puts_at_kill.begin(), puts_at_kill.end(), 1), kTags)
      << "the sync ended before the kill";

  const Serve& survivor = *replicas_[(holder + 1) % replicas_.size()];
  const json job = survivor.WaitForJob(id, 180);
  EXPECT_EQ(job["status"], "succeeded") << job.dump();
  EXPECT_EQ(job["progress"]["tags_total"], kTags) << job.dump();
  EXPECT_EQ(job["progress"]["tags_done"], kTags) << job.dump();
  EXPECT_NE(runner_pid(job), std::to_string(killed)) << job.dump();  // who finished it
  const std::string digest = RawDigest(src_->host() + "/team/tree:" + tag(0));
  int looked_at_again = 0;
  for (int t = 0; t < kTags; ++t) {
    EXPECT_EQ(RawDigest(dst.host() + "/mirror/tree:" + tag(t)), digest) << tag(t);
    EXPECT_EQ(puts(t), 1) << tag(t);
    if (puts_at_kill[static_cast<size_t>(t)] == 1 &&
        heads(t) > heads_at_kill[static_cast<size_t>(t)]) {
      ++looked_at_again;
    }
  }
  // One worker: at most the tag whose PUT was in flight, not yet recorded, when the kill came.
  EXPECT_LE(looked_at_again, 1) << "the tags done before the kill were planned again";
  std::string logs;
  for (size_t r = 0; r < replicas_.size(); ++r) {
    if (r != holder) logs += replicas_[r]->Log();
  }
  EXPECT_NE(logs.find("resumed from its checkpoint"), std::string::npos);
  EXPECT_EQ(logs.find("planning anew"), std::string::npos);
}

// A job submitted to one replica is listed by another, and canceled there: the replica running
// it finds the job ended at its next lease renewal and stops.
TEST_F(ClusterTest, AJobIsSeenAndCanceledFromAnyReplica) {
  Registry dst;
  FaultProxy slow(dst.host());
  slow.SetDelay(std::chrono::milliseconds(1500));
  StartReplicas(Config({slow.host()}));
  const std::string id = replicas_[0]->Submit(
      "/api/v1/replicate",
      {{"source", src_->host() + "/team/app:v1"}, {"destination", slow.host() + "/slow/app:v1"}});
  json running;
  for (int i = 0; i < 100; ++i) {
    running = json::parse(replicas_[1]->Call("GET", "/api/v1/jobs/" + id).body, nullptr, false);
    if (running["status"] == "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(running["status"], "running") << running.dump();
  HttpResponse canceled = replicas_[2]->Call("DELETE", "/api/v1/jobs/" + id);
  EXPECT_EQ(canceled.status, 202) << canceled.body;
  json job = replicas_[0]->WaitForJob(id, 30);
  EXPECT_EQ(job["status"], "canceled") << job.dump();
  // The runner stopped: no replica still counts it as active.
  bool idle = false;
  for (int i = 0; i < 100 && !idle; ++i) {
    idle = true;
    for (const auto& r : replicas_)
      idle = idle && r->Scrape().find("freightliner_jobs_active 0") != std::string::npos;
    if (!idle) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(idle);
  HttpResponse again = replicas_[1]->Call("DELETE", "/api/v1/jobs/" + id);
  EXPECT_EQ(again.status, 409) << again.body;
}

// A schedule every 2 s on three replicas for about 9 s: about 4 runs in all, not 12.
TEST_F(ClusterTest, AScheduleRunsOncePerIntervalAcrossReplicas) {
  Registry dst;
  const std::string sync_file = dir_->path() + "/mirror.yaml";
  WriteFile(sync_file, "mappings:\n  - source: " + src_->host() +
                           "/team/app\n    destination: " + dst.host() + "/mirror/app\n");
  StartReplicas(Config({dst.host()}, "syncs:\n  - name: mirror\n    file: " + sync_file +
                                         "\nschedules:\n  - sync: mirror\n    every: 2s\n"));
  const auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(9));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::vector<json> runs = JobsOfType(*replicas_[0], "sync");
  int scheduled = 0;
  for (const json& job : runs)
    scheduled += job["trigger"] == "schedule" ? 1 : 0;
  const int intervals = static_cast<int>(seconds / 2);
  EXPECT_GE(scheduled, intervals - 1) << seconds << " s";
  EXPECT_LE(scheduled, intervals + 2) << seconds << " s";
  EXPECT_EQ(TagExists(dst.host() + "/mirror/app:v1"), true);
}

}  // namespace
}  // namespace freightliner::testing
