// Fleet copies (replicate-tree, sync) against real registries: paging, filters of every kind,
// keep-going and fail-fast, per-registry limits, blob deduplication, and resume after SIGKILL.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
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

// The source holds: team/app {v1.0.0, v1.2.0, v1.3.0-rc.1, v2.0.0, latest}, team/tools {1.0},
// team/x/y {stable}, team/app-test {v1}, other/z {v1}.
class FleetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-fleet");
    src_ = new Registry({.catalog_max_entries = 2});
    OciLayout layout(dir_->Sub("oci"));
    int seed = 500;
    for (const auto& [repo, tags] : Corpus()) {
      for (const std::string& tag : tags) {
        const std::string name = repo + "-" + tag;
        // A shared base layer and one of its own: the dedup tests rely on the base.
        layout.AddImage(name, {.layers = {{.size = 50000, .seed = 1},
                                          {.size = 3000, .seed = static_cast<uint64_t>(++seed)}}});
        SkopeoCopy(layout.Ref(name), "docker://" + src_->host() + "/" + repo + ":" + tag);
      }
    }
  }
  static void TearDownTestSuite() {
    delete src_;
    delete dir_;
  }
  static std::map<std::string, std::vector<std::string>> Corpus() {
    return {{"team/app", {"v1.0.0", "v1.2.0", "v1.3.0-rc.1", "v2.0.0", "latest"}},
            {"team/tools", {"1.0"}},
            {"team/x/y", {"stable"}},
            {"team/app-test", {"v1"}},
            {"other/z", {"v1"}}};
  }

  // Every tag of every repository at `reg`/`prefix`, as "repo:tag" relative to the prefix.
  static std::set<std::string> Copied(const Registry& reg, const std::string& prefix) {
    std::set<std::string> out;
    for (const auto& [repo, tags] : Corpus()) {
      const std::string rel = repo.rfind("team/", 0) == 0 ? repo.substr(5) : repo;
      for (const std::string& t : ListTags(reg.host() + "/" + prefix + "/" + rel)) {
        out.insert(rel + ":" + t);
      }
    }
    return out;
  }

  json RunJson(const std::vector<std::string>& args, int expected_exit = 0) {
    std::vector<std::string> full = {"-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    CliResult r = Freightliner(full);
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    last_err_ = r.err;
    const size_t start = r.out.find('{');
    return start == std::string::npos ? json::object() : json::parse(r.out.substr(start));
  }

  std::string StateDir() { return state_.path(); }

  static TempDir* dir_;
  static Registry* src_;
  TempDir state_{"freightliner-state"};
  std::string last_err_;
};
TempDir* FleetTest::dir_ = nullptr;
Registry* FleetTest::src_ = nullptr;

TEST_F(FleetTest, TreeCopiesEveryRepositoryUnderThePrefixAcrossCatalogPages) {
  Registry dst;
  FaultProxy src_proxy(src_->host());
  json s = RunJson({"replicate-tree", "--state-dir", StateDir(), "--page-size", "2",
                    src_proxy.host() + "/team", dst.host() + "/mirror"});
  EXPECT_EQ(s["tags_total"], 8);
  EXPECT_EQ(s["copied"], 8);
  EXPECT_EQ(s["failed"], 0);
  EXPECT_GE(src_proxy.Count("GET", "/v2/_catalog"), 3);  // 5 repositories, 2 per page
  const std::set<std::string> expected = {"app:v1.0.0", "app:v1.2.0", "app:v1.3.0-rc.1",
                                          "app:v2.0.0", "app:latest", "tools:1.0",
                                          "x/y:stable", "app-test:v1"};
  EXPECT_EQ(Copied(dst, "mirror"), expected);
  EXPECT_EQ(RawDigest(dst.host() + "/mirror/x/y:stable"),
            RawDigest(src_->host() + "/team/x/y:stable"));
  EXPECT_EQ(RawDigest(dst.host() + "/mirror/app:v2.0.0"),
            RawDigest(src_->host() + "/team/app:v2.0.0"));

  // Again: nothing to copy, and no manifest GET anywhere (HEADs only).
  src_proxy.ResetStats();
  json again = RunJson({"replicate-tree", "--state-dir", StateDir(), src_proxy.host() + "/team",
                        dst.host() + "/mirror"});
  EXPECT_EQ(again["up_to_date"], 8);
  EXPECT_EQ(again["bytes"], 0);
  EXPECT_EQ(src_proxy.Count("GET", "/manifests/"), 0);
  EXPECT_EQ(src_proxy.Count("GET", "/blobs/"), 0);
}

TEST_F(FleetTest, RepositoryAndTagFiltersSelect) {
  Registry dst;
  json s = RunJson({"replicate-tree", "--state-dir", StateDir(), "--include-repo", "app*",
                    "--exclude-repo", "*-test", "--include-tag", "v*", "--exclude-tag", "*-rc*",
                    src_->host() + "/team", dst.host() + "/f"});
  EXPECT_EQ(s["copied"], 3);
  EXPECT_EQ(Copied(dst, "f"), (std::set<std::string>{"app:v1.0.0", "app:v1.2.0", "app:v2.0.0"}));
}

TEST_F(FleetTest, TagGlobsAndRegexesMatchTheWholeTag) {
  Registry dst;
  // The README's example: 'v*' keeps the tags that start with v, and only those.
  json readme = RunJson({"replicate-tree", "--state-dir", StateDir(), "--include-tag", "v*",
                         "--exclude-tag", "*-rc*", src_->host() + "/team", dst.host() + "/g"});
  EXPECT_EQ(readme["copied"], 4);
  EXPECT_EQ(Copied(dst, "g"),
            (std::set<std::string>{"app:v1.0.0", "app:v1.2.0", "app:v2.0.0", "app-test:v1"}));

  json regex =
      RunJson({"replicate-tree", "--state-dir", StateDir(), "--include-tag-regex", "v1\\..*",
               "--exclude-tag-regex", ".*-rc.*", src_->host() + "/team", dst.host() + "/r"});
  EXPECT_EQ(Copied(dst, "r"), (std::set<std::string>{"app:v1.0.0", "app:v1.2.0"}));
  // A regex without wildcards is the tag itself, not a substring of it.
  json whole = RunJson({"replicate-tree", "--state-dir", StateDir(), "--include-tag-regex", "v1",
                        src_->host() + "/team", dst.host() + "/w"});
  EXPECT_EQ(Copied(dst, "w"), (std::set<std::string>{"app-test:v1"}));
}

TEST_F(FleetTest, SubstringOnlyPatternsAreRefusedWithTheFix) {
  Registry dst;
  CliResult glob = Freightliner({"replicate-tree", "--state-dir", StateDir(), "--exclude-tag=-rc",
                                 src_->host() + "/team", dst.host() + "/x"});
  EXPECT_EQ(glob.exit_code, 2);
  EXPECT_EQ(glob.ErrorLines(),
            std::vector<std::string>{
                "error: invalid_argument: invalid exclude-tag glob \"-rc\": globs match the whole "
                "tag and no tag starts with \"-\"; for tags containing it write \"*-rc*\""});
  CliResult anchored =
      Freightliner({"replicate-tree", "--state-dir", StateDir(), "--include-tag-regex", "^v",
                    src_->host() + "/team", dst.host() + "/x"});
  EXPECT_EQ(anchored.exit_code, 2);
  EXPECT_EQ(anchored.ErrorLines(),
            std::vector<std::string>{
                "error: invalid_argument: invalid include-tag regex \"^v\": patterns match the "
                "whole tag, so an anchor at one end only is left from substring search; for tags "
                "starting with it write \"v.*\""});

  const std::string file = state_.path() + "/substring.yaml";
  WriteFile(file, "mappings:\n  - source: " + src_->host() + "/team/app\n    destination: " +
                      dst.host() + "/x/app\n    tags:\n      exclude: [-rc]\n");
  CliResult sync = Freightliner({"sync", "--config", file, "--state-dir", StateDir()});
  EXPECT_EQ(sync.exit_code, 2);
  ASSERT_EQ(sync.ErrorLines().size(), 1u) << sync.err;
  EXPECT_EQ(sync.ErrorLines()[0],
            "error: invalid_argument: " + file +
                ":5:7: mappings[0].tags: invalid exclude-tag regex \"-rc\": patterns match the "
                "whole tag and this one matches no tag (a tag starts with a letter, digit or _); "
                "for tags containing it write \".*-rc.*\"");
  EXPECT_TRUE(ListTags(dst.host() + "/x/app").empty());
}

TEST_F(FleetTest, NothingSelectedIsAnErrorUnlessAllowed) {
  Registry dst;
  const std::string hint =
      " (--allow-empty, or allow_empty: true in a sync file, accepts an empty selection)";
  CliResult typo = Freightliner({"replicate-tree", "--state-dir", StateDir(),
                                 src_->host() + "/nosuchprefix", dst.host() + "/m"});
  EXPECT_EQ(typo.exit_code, 4);
  EXPECT_EQ(typo.ErrorLines(),
            std::vector<std::string>{"error: not_found: " + src_->host() +
                                     "/nosuchprefix: no repository selected: the registry lists "
                                     "5, none under nosuchprefix: other/z, team/app, "
                                     "team/app-test, team/tools, team/x/y" +
                                     hint});
  CliResult dry = Freightliner(
      {"replicate-tree", "--dry-run", src_->host() + "/nosuchprefix", dst.host() + "/m"});
  EXPECT_EQ(dry.exit_code, 4) << dry.err;

  CliResult filtered = Freightliner({"replicate-tree", "--state-dir", StateDir(), "--include-repo",
                                     "nomatch*", src_->host() + "/team", dst.host() + "/m"});
  EXPECT_EQ(filtered.exit_code, 4);
  EXPECT_EQ(filtered.ErrorLines(),
            std::vector<std::string>{
                "error: not_found: " + src_->host() +
                "/team: no repository selected: 4 under the prefix, none matching include_repos "
                "[\"nomatch*\"]: team/app, team/app-test, team/tools, team/x/y" +
                hint});

  CliResult no_tags = Freightliner({"replicate-tree", "--state-dir", StateDir(), "--include-tag",
                                    "nomatch*", src_->host() + "/team/app", dst.host() + "/m"});
  EXPECT_EQ(no_tags.exit_code, 4);
  EXPECT_EQ(no_tags.ErrorLines(),
            std::vector<std::string>{
                "error: not_found: " + src_->host() +
                "/team/app: no tag selected: 5 listed in 1 repository, none kept by "
                "include-tag glob [\"nomatch*\"]: latest, v1.0.0, v1.2.0, v1.3.0-rc.1, v2.0.0" +
                hint});

  json allowed = RunJson({"replicate-tree", "--state-dir", StateDir(), "--allow-empty",
                          src_->host() + "/nosuchprefix", dst.host() + "/m"});
  EXPECT_EQ(allowed["tags_total"], 0);
  json allowed_tags =
      RunJson({"replicate-tree", "--state-dir", StateDir(), "--allow-empty", "--include-tag",
               "nomatch*", src_->host() + "/team/app", dst.host() + "/m"});
  EXPECT_EQ(allowed_tags["tags_total"], 0);

  // A sync: each mapping on its own; the file's allow_empty or the flag accepts it.
  const std::string file = state_.path() + "/empty.yaml";
  const std::string mapping = "mappings:\n  - source: " + src_->host() +
                              "/nosuchprefix\n    destination: " + dst.host() +
                              "/m\n    recursive: true\n";
  WriteFile(file, mapping);
  CliResult sync = Freightliner({"sync", "--config", file, "--state-dir", StateDir()});
  EXPECT_EQ(sync.exit_code, 4) << sync.err;
  ASSERT_EQ(sync.ErrorLines().size(), 1u) << sync.err;
  EXPECT_NE(sync.ErrorLines()[0].find("/nosuchprefix: no repository selected"), std::string::npos)
      << sync.err;
  CliResult flag =
      Freightliner({"sync", "--allow-empty", "--config", file, "--state-dir", StateDir()});
  EXPECT_EQ(flag.exit_code, 0) << flag.err;
  WriteFile(file, mapping + "    allow_empty: true\n");
  CliResult key = Freightliner({"sync", "--config", file, "--state-dir", StateDir()});
  EXPECT_EQ(key.exit_code, 0) << key.err;
}

TEST_F(FleetTest, SyncFileSelectsBySemverLatestAndList) {
  Registry dst;
  const std::string file = state_.path() + "/sync.yaml";
  WriteFile(file,
            "workers: 3\nmappings:\n"
            "  - source: " +
                src_->host() +
                "/team/app\n"
                "    destination: " +
                dst.host() +
                "/s/app\n"
                "    tags: {semver: '>=1.0 <3', latest: 2}\n"
                "  - source: ${SRC_HOST}/team\n"
                "    destination: " +
                dst.host() +
                "/s\n"
                "    recursive: true\n"
                "    include_repos: ['x/*', tools]\n"
                "    tags: {list: [stable, '1.0']}\n");
  CliResult r = Freightliner({"-o", "json", "sync", "--config", file, "--state-dir", StateDir()},
                             {{"SRC_HOST", src_->host()}});
  ASSERT_EQ(r.exit_code, 1) << r.err;  // x/y has no 1.0 and tools has no stable: listed, missing
  json s = json::parse(r.out);
  EXPECT_EQ(s["copied"], 4) << r.out << r.err;
  EXPECT_EQ(s["failed"], 2);
  for (const auto& f : s["failures"])
    EXPECT_EQ(f["error_type"], "not_found") << f.dump();
  EXPECT_EQ(Copied(dst, "s"),
            (std::set<std::string>{"app:v2.0.0", "app:v1.2.0", "tools:1.0", "x/y:stable"}));
}

TEST_F(FleetTest, BadSyncFilesNameTheLineAndCopyNothing) {
  Registry dst;
  const std::string file = state_.path() + "/bad.yaml";
  WriteFile(file, "mappings:\n  - source: " + src_->host() + "/team/app\n    destination: " +
                      dst.host() + "/b/app\n    tags:\n      semver: '>=one'\n");
  CliResult r = Freightliner({"sync", "--config", file, "--state-dir", StateDir()});
  EXPECT_EQ(r.exit_code, 2);
  ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
  EXPECT_NE(r.ErrorLines()[0].find(file + ":5:"), std::string::npos) << r.ErrorLines()[0];
  EXPECT_TRUE(ListTags(dst.host() + "/b/app").empty());

  WriteFile(file, "mappings:\n  - source: a.io/x\n    destination: b.io/y\n    tagz: {}\n");
  r = Freightliner({"sync", "--config", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(":4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tagz"), std::string::npos) << r.err;

  const std::string example = std::string(FREIGHTLINER_SOURCE_DIR) + "/examples/sync.yaml";
  CliResult ok = Freightliner({"sync", "--dry-run", "--config", example},
                              {{"SOURCE_REGISTRY", src_->host()}, {"MIRROR_REGISTRY", dst.host()}});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;  // the documented example is valid and runs
}

TEST_F(FleetTest, KeepGoingIsTheDefaultAndFailFastStops) {
  Registry dst;
  FaultProxy src_proxy(src_->host());
  // One tag's manifest always fails: the rest still copy.
  src_proxy.FailNext("GET", "/team/app/manifests/v1.2.0$", 1000, 400);
  json s = RunJson({"replicate-tree", "--state-dir", StateDir(), "--workers", "1",
                    src_proxy.host() + "/team", dst.host() + "/k"},
                   1);
  EXPECT_EQ(s["failed"], 1);
  EXPECT_EQ(s["copied"], 7);
  ASSERT_EQ(s["failures"].size(), 1u);
  EXPECT_NE(s["failures"][0]["source"].get<std::string>().find("v1.2.0"), std::string::npos);
  EXPECT_NE(last_err_.find("resume with: freightliner replicate-tree --resume"), std::string::npos);

  Registry dst2;
  json ff = RunJson({"replicate-tree", "--state-dir", StateDir(), "--workers", "1", "--fail-fast",
                     src_proxy.host() + "/team", dst2.host() + "/k"},
                    1);
  EXPECT_EQ(ff["failed"], 1);
  EXPECT_GT(ff["not_run"].get<int>(), 0);
}

TEST_F(FleetTest, PerRegistryConcurrencyLimitHolds) {
  Registry dst;
  FaultProxy src_proxy(src_->host());
  src_proxy.SetDelay(
      std::chrono::milliseconds(30));  // keep requests in flight long enough to overlap
  const std::string file = state_.path() + "/limits.yaml";
  WriteFile(file, "registries:\n  - host: " + src_proxy.host() +
                      "\n    concurrency: 2\n"
                      "mappings:\n  - source: " +
                      src_proxy.host() + "/team\n    destination: " + dst.host() +
                      "/l\n    recursive: true\n");
  json s = RunJson({"sync", "--config", file, "--workers", "8", "--state-dir", StateDir()});
  EXPECT_EQ(s["copied"], 8);
  EXPECT_LE(src_proxy.max_in_flight(), 2);
  EXPECT_EQ(src_proxy.max_in_flight(), 2);  // and the limit was actually reached
}

TEST_F(FleetTest, SharedBlobsCrossOnceAndAreMountedElsewhere) {
  Registry dst;
  FaultProxy src_proxy(src_->host());
  FaultProxy dst_proxy(dst.host());
  json s = RunJson({"replicate-tree", "--state-dir", StateDir(), "--workers", "8",
                    src_proxy.host() + "/team", dst_proxy.host() + "/d"});
  EXPECT_EQ(s["copied"], 8);
  // 8 images share one base layer: it is uploaded once, and mounted once into each other
  // repository (app, tools, x/y, app-test), however many of its tags need it at once.
  const std::string base =
      json::parse(RawManifest(src_->host() + "/team/app:v1.0.0"))["layers"][0]["digest"];
  int uploads = 0;
  std::map<std::string, int> mounts;  // "POST target up to &from=" -> how often
  for (const auto& e : dst_proxy.Log()) {
    // The digest travels URL-encoded (sha256%3A...): match its hex part.
    if (e.method == "PUT" && e.target.find(base.substr(7)) != std::string::npos) {
      ++uploads;
    }
    if (e.method == "POST" && e.target.find("mount=") != std::string::npos) {
      ++mounts[e.target.substr(0, e.target.find("&from="))];
    }
  }
  EXPECT_EQ(uploads, 1);
  int base_mounts = 0;
  for (const auto& [target, n] : mounts) {
    EXPECT_EQ(n, 1) << target << " mounted " << n << " times";
    base_mounts += target.find(base.substr(7)) != std::string::npos;
  }
  EXPECT_EQ(base_mounts, 3);
  // Every destination repository is new, which the tag listing told: nothing to ask of it.
  EXPECT_EQ(dst_proxy.Count("HEAD", "/blobs/"), 0);
  EXPECT_EQ(dst_proxy.Count("HEAD", "/manifests/"), 0);
  // Each source manifest is read once, by a GET that is checked against its digest: no HEAD.
  EXPECT_EQ(src_proxy.Count("HEAD", "/manifests/"), 0);
}

TEST_F(FleetTest, ALaterRunMountsWhatAnEarlierRunPushedAndUploadsWhatIsGone) {
  Registry dst;
  FaultProxy dst_proxy(dst.host());
  const std::string state = StateDir();
  const std::string base =
      json::parse(RawManifest(src_->host() + "/team/app:v1.0.0"))["layers"][0]["digest"];
  const std::string hex = base.substr(7);
  auto count = [&](const std::string& method, const std::string& what) {
    int n = 0;
    for (const auto& e : dst_proxy.Log())
      n += e.method == method && e.target.find(what) != std::string::npos;
    return n;
  };
  json first = RunJson({"replicate-tree", "--state-dir", state, "--include-repo", "app",
                        src_->host() + "/team", dst_proxy.host() + "/one"});
  ASSERT_EQ(first["copied"], 5);
  ASSERT_EQ(count("PUT", hex), 1);

  // Another process, another repository: the base layer is mounted from where run 1 put it.
  json second = RunJson({"replicate-tree", "--state-dir", state, "--include-repo", "tools",
                         src_->host() + "/team", dst_proxy.host() + "/two"});
  EXPECT_EQ(second["copied"], 1);
  EXPECT_EQ(count("PUT", hex), 1);
  EXPECT_EQ(count("POST", "mount=sha256%3A" + hex + "&from=one%2Fapp"), 1);
  EXPECT_EQ(RawDigest(dst.host() + "/two/tools:1.0"), RawDigest(src_->host() + "/team/tools:1.0"));

  // Gone behind our back: the registry refuses the mount, the blob is uploaded, and the
  // memory forgets the repository it named.
  for (const char* repo : {"one/app", "two/tools"}) {
    ASSERT_EQ(
        HttpCall("DELETE", "http://" + dst.host() + "/v2/" + std::string(repo) + "/blobs/" + base)
            .status,
        202);
  }
  json third = RunJson({"replicate-tree", "--state-dir", state, "--include-repo", "x/y",
                        src_->host() + "/team", dst_proxy.host() + "/three"});
  EXPECT_EQ(third["copied"], 1);
  EXPECT_EQ(count("PUT", hex), 2);
  EXPECT_EQ(RawDigest(dst.host() + "/three/x/y:stable"),
            RawDigest(src_->host() + "/team/x/y:stable"));
}

TEST_F(FleetTest, AssumeDestinationUnchangedAsksOnlyTheSource) {
  Registry src2;
  Registry dst;
  FaultProxy dst_proxy(dst.host());
  auto put = [&](const std::string& from_tag, const std::string& to) {
    CliResult r = Freightliner(
        {"replicate", "--force", src_->host() + "/team/app:" + from_tag, src2.host() + "/t/" + to});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  put("v1.0.0", "a:1");
  put("v2.0.0", "b:1");
  const std::string state = StateDir();
  const std::vector<std::string> run = {
      "replicate-tree",   "--state-dir",          state, "--assume-destination-unchanged",
      src2.host() + "/t", dst_proxy.host() + "/m"};
  json first = RunJson(run);  // nothing remembered yet: a normal copy
  ASSERT_EQ(first["copied"], 2);
  const int heads = dst_proxy.Count("HEAD", "/manifests/");

  json again = RunJson(run);
  EXPECT_EQ(again["up_to_date"], 2);
  EXPECT_EQ(dst_proxy.Count("HEAD", "/manifests/"), heads);  // the destination was not asked

  put("v1.2.0", "a:1");  // the source moves: noticed, copied
  json moved = RunJson(run);
  EXPECT_EQ(moved["copied"], 1);
  EXPECT_EQ(moved["up_to_date"], 1);
  EXPECT_EQ(RawDigest(dst.host() + "/m/a:1"), RawDigest(src2.host() + "/t/a:1"));
  EXPECT_EQ(RawDigest(dst.host() + "/m/a:1"), RawDigest(src_->host() + "/team/app:v1.2.0"));
}

TEST_F(FleetTest, ResumesAfterSigkillAndEndsIdentical) {
  Registry dst;
  FaultProxy src_proxy(src_->host());
  src_proxy.SetDelay(std::chrono::milliseconds(150));  // slow enough to kill it midway
  const std::string state = StateDir();
  ChildProcess run({FreightlinerBinary(), "replicate-tree", "--state-dir", state, "--workers", "1",
                    src_proxy.host() + "/team", dst.host() + "/r"},
                   state + "/run.log");
  // Wait until the plan is whole ("running": copying starts while planning) and some tags are
  // done, but not all; then kill it without warning.
  std::string id;
  for (int i = 0; i < 400; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CliResult list = Freightliner({"-o", "json", "checkpoint", "list", "--state-dir", state});
    auto runs = json::parse(list.out.empty() ? "[]" : list.out);
    if (!runs.empty() && runs[0]["status"] == "running" && runs[0]["tags_done"].get<int>() >= 2) {
      id = runs[0]["id"];
      break;
    }
  }
  ASSERT_FALSE(id.empty()) << ReadFile(state + "/run.log");
  run.Signal(SIGKILL);
  run.Wait(std::chrono::seconds(10));
  CliResult shown = Freightliner({"-o", "json", "checkpoint", "show", id, "--state-dir", state});
  int done_before = 0;
  const json shown_json = json::parse(shown.out);
  for (const auto& t : shown_json["tasks"])
    done_before += t["state"] == "done";
  ASSERT_LT(done_before, 8) << "the run finished before it was killed";

  src_proxy.SetDelay(std::chrono::milliseconds(0));
  json s = RunJson({"replicate-tree", "--resume", id, "--state-dir", state});
  EXPECT_EQ(s["tags_total"].get<int>(), 8 - done_before);  // only what was left
  EXPECT_EQ(s["failed"], 0);
  for (const auto& [repo, tags] : Corpus()) {
    if (repo.rfind("team/", 0) != 0) continue;
    for (const std::string& tag : tags) {
      EXPECT_EQ(RawDigest(dst.host() + "/r/" + repo.substr(5) + ":" + tag),
                RawDigest(src_->host() + "/" + repo + ":" + tag));
    }
  }
  CliResult final_list =
      Freightliner({"-o", "json", "checkpoint", "show", id, "--state-dir", state});
  EXPECT_EQ(json::parse(final_list.out)["status"], "completed");
}

TEST_F(FleetTest, APlanCutShortIsPlannedAgainOnResume) {
  Registry dst;
  FaultProxy src_proxy(src_->host());
  // One at a time, in catalog order: app, app-test and tools are listed and start copying;
  // listing x/y, the last, fails (every retry, for seconds), which stops the run before its
  // plan is whole.
  src_proxy.FailNext("GET", "/team/x/y/tags/list", 5, 500);
  const std::string state = StateDir();
  CliResult first = Freightliner({"-o", "json", "replicate-tree", "--state-dir", state, "--workers",
                                  "1", src_proxy.host() + "/team", dst.host() + "/p"});
  EXPECT_EQ(first.exit_code, 1) << first.err;
  EXPECT_NE(first.err.find("team/x/y"), std::string::npos) << first.err;
  CliResult list = Freightliner({"-o", "json", "checkpoint", "list", "--state-dir", state});
  const json run = json::parse(list.out)[0];
  EXPECT_EQ(run["status"], "failed");
  EXPECT_EQ(run["plan_complete"], false);
  EXPECT_LT(run["tags_total"].get<int>(), 8);  // x/y:stable was never planned
  const int done_before = run["tags_done"];
  EXPECT_GT(done_before, 0);  // copying began while x/y was still being listed

  json s = RunJson({"replicate-tree", "--resume", run["id"], "--state-dir", state});
  EXPECT_EQ(s["tags_total"], 8);  // planned again, whole
  EXPECT_EQ(s["up_to_date"], done_before);
  EXPECT_EQ(s["copied"].get<int>(), 8 - done_before);
  EXPECT_EQ(Copied(dst, "p").size(), 8u);
  EXPECT_EQ(RawDigest(dst.host() + "/p/x/y:stable"), RawDigest(src_->host() + "/team/x/y:stable"));
  CliResult shown = Freightliner(
      {"-o", "json", "checkpoint", "show", run["id"].get<std::string>(), "--state-dir", state});
  EXPECT_EQ(json::parse(shown.out)["status"], "completed");
}

TEST_F(FleetTest, InterruptStopsCleanlyAndSaysHowToResume) {
  Registry dst;
  FaultProxy src_proxy(src_->host());
  src_proxy.SetDelay(std::chrono::milliseconds(200));
  const std::string state = StateDir();
  ChildProcess run({FreightlinerBinary(), "replicate-tree", "--state-dir", state, "--workers", "1",
                    src_proxy.host() + "/team", dst.host() + "/i"},
                   state + "/run.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  run.Signal(SIGINT);
  auto code = run.Wait(std::chrono::seconds(20));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 130);
  const std::string log = ReadFile(state + "/run.log");
  EXPECT_NE(log.find("resume with: freightliner replicate-tree --resume"), std::string::npos)
      << log;
  CliResult list = Freightliner({"-o", "json", "checkpoint", "list", "--state-dir", state});
  EXPECT_EQ(json::parse(list.out)[0]["status"], "interrupted");
}

TEST_F(FleetTest, CheckpointCommands) {
  CliResult missing = Freightliner({"checkpoint", "show", "nope", "--state-dir", StateDir()});
  EXPECT_EQ(missing.exit_code, 4);
  CliResult resume =
      Freightliner({"replicate-tree", "--resume", "nope", "--state-dir", StateDir()});
  EXPECT_EQ(resume.exit_code, 4);
  Registry dst;
  json s = RunJson(
      {"replicate-tree", "--state-dir", StateDir(), src_->host() + "/other", dst.host() + "/o"});
  const std::string id = s["run_id"];
  CliResult del = Freightliner({"checkpoint", "delete", id, "--state-dir", StateDir()});
  EXPECT_EQ(del.exit_code, 0);
  CliResult gone = Freightliner({"checkpoint", "show", id, "--state-dir", StateDir()});
  EXPECT_EQ(gone.exit_code, 4);
}

}  // namespace
}  // namespace freightliner::testing
