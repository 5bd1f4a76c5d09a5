// Names from a hostile registry and references from a hostile caller (issue 9, points 1, 2, 11):
// a source that lists `../` repositories, tags that are URL paths, fragments, newlines, ANSI
// escapes or 100,000 characters long, a CLI or API reference of 50,000+ characters, and a tag
// pattern that backtracks exponentially. Nothing may land outside the destination prefix, no
// existing tag may be overwritten, no raw control character may reach the output, and the rest
// of the run goes on.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "fixtures/hostile_registry.hpp"
#include "fixtures/http.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/process.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "fixtures/temp_dir.hpp"
#include "integration/cli.hpp"
#include "integration/serve.hpp"
#include "replication/checkpoint_store.hpp"

namespace freightliner::testing {
namespace {

using nlohmann::json;

const std::string kNewlineTag = "v1\nerror: forged log line";
const std::string kAnsiTag = "\x1b[31mred\x1b[0m";
const std::string kPathTag = "../../../victim2/app/manifests/latest";
const std::string kFragmentTag = "v2#frag";
const std::string kHugeTag(100000, 'a');

// The repositories a registry's catalog lists.
std::set<std::string> Catalog(const Registry& reg) {
  HttpResponse r = HttpCall("GET", "http://" + reg.host() + "/v2/_catalog?n=1000");
  EXPECT_EQ(r.status, 200) << r.body;
  std::set<std::string> out;
  for (const auto& name : json::parse(r.body).value("repositories", json::array())) {
    out.insert(name.get<std::string>());
  }
  return out;
}

// No byte a terminal would act on, and not the registry's text verbatim.
void ExpectNoRawRegistryText(const std::string& output) {
  EXPECT_EQ(output.find('\x1b'), std::string::npos) << output;
  EXPECT_EQ(output.find("\nerror: forged"), std::string::npos) << output;
  EXPECT_EQ(output.find(std::string(1000, 'a')), std::string::npos) << "the huge tag is echoed";
}

// The source `evil/app` has v1 (and, under the names curl would collapse them to, images that an
// unchecked client would copy); its catalog and tag list are hostile. The destination already
// holds mirror/app:v2, which `v2#frag` must not overwrite.
class HostileNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_.AddImage("evil/app", "v1");
    src_.AddImage("evil/app", "v2");         // what `v2#frag` becomes once curl drops the fragment
    src_.AddImage("victim/app", "latest");   // what `evil/../victim/app` collapses to
    src_.AddImage("victim2/app", "latest");  // what the `../../../victim2/...` tag collapses to
    src_.SetTags("victim/app", {"latest"});
    src_.SetTags("victim2/app", {"latest"});
    src_.SetCatalog({"evil/app", "evil/../victim/app"});
    src_.SetTags("evil/app", {"v1", kPathTag, kFragmentTag, kNewlineTag, kAnsiTag, kHugeTag});

    OciLayout layout(dir_.Sub("oci"));
    dst_v2_ = layout.AddImage("dst-v2", {.layers = {{.size = 3000, .seed = 7701}}});
    SkopeoCopy(layout.Ref("dst-v2"), "docker://" + dst_.host() + "/mirror/app:v2");
  }

  std::string Dst(const std::string& ref) const { return dst_.host() + "/" + ref; }

  // What every run against this source must leave at the destination.
  void ExpectOnlyTheValidTagCopied() {
    EXPECT_EQ(RawDigest(Dst("mirror/app:v1")), RawDigest(src_.host() + "/evil/app:v1"));
    EXPECT_EQ(RawDigest(Dst("mirror/app:v2")), dst_v2_.manifest.digest) << "v2#frag overwrote v2";
    EXPECT_EQ(Catalog(dst_), (std::set<std::string>{"mirror/app"}));
    EXPECT_EQ(ListTags(Dst("mirror/app")), (std::vector<std::string>{"v1", "v2"}));
    for (const std::string& request : src_.Requests()) {
      EXPECT_EQ(request.find("victim"), std::string::npos) << request;
    }
  }

  TempDir dir_{"freightliner-hostile"};
  TempDir state_{"freightliner-hostile-state"};
  HostileRegistry src_;
  Registry dst_;
  BuiltImage dst_v2_;
};

TEST_F(HostileNamesTest, ReplicateTreeSkipsInvalidNamesAndStaysInsideItsPrefix) {
  CliResult r = Freightliner({"-o", "json", "replicate-tree", src_.host() + "/evil", Dst("mirror"),
                              "--state-dir", state_.path()});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // partial
  ExpectOnlyTheValidTagCopied();
  ExpectNoRawRegistryText(r.err);
  ExpectNoRawRegistryText(r.out);

  const json summary = json::parse(r.out.substr(r.out.find('{')));
  EXPECT_EQ(summary["copied"], 1) << summary.dump();
  EXPECT_EQ(summary["failed"], 6) << summary.dump();  // 1 repository, 5 tags
  std::string failed_sources;
  for (const json& f : summary["failures"]) {
    EXPECT_EQ(f["error_type"], "invalid_name") << f.dump();
    failed_sources += f["source"].get<std::string>() + "\n";
  }
  // Each skipped name is named, escaped, in the summary and in the warnings.
  for (const std::string& shown :
       {std::string("\"evil/../victim/app\""), std::string("\"v2#frag\""),
        std::string("\"v1\\nerror: forged log line\""), std::string("\"\\x1b[31mred\\x1b[0m\""),
        std::string("\"") + kPathTag + "\"", std::string("\"") + std::string(128, 'a') + "\"..."}) {
    EXPECT_NE(failed_sources.find(shown), std::string::npos) << shown << " in\n" << failed_sources;
    EXPECT_NE(r.err.find(shown), std::string::npos) << shown << " in\n" << r.err;
  }

  // The skipped names are not in the checkpoint: the resume has nothing left and completes.
  const std::string hint = "--resume ";
  const size_t at = r.err.find(hint);
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string run_id = r.err.substr(
      at + hint.size(), r.err.find_first_of(" \n", at + hint.size()) - (at + hint.size()));
  CliResult resumed =
      Freightliner({"replicate-tree", "--resume", run_id, "--state-dir", state_.path()});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  ExpectNoRawRegistryText(resumed.err);
  ExpectOnlyTheValidTagCopied();
  CliResult shown = Freightliner({"checkpoint", "show", run_id, "--state-dir", state_.path()});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  ExpectNoRawRegistryText(shown.out);
}

TEST_F(HostileNamesTest, DryRunReportsTheInvalidNamesAsFailures) {
  CliResult r = Freightliner({"replicate-tree", src_.host() + "/evil", Dst("mirror"), "--dry-run",
                              "--state-dir", state_.path()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("1 would copy, 0 up to date, 6 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("invalid_name"), std::string::npos) << r.out;
  ExpectNoRawRegistryText(r.out);
  ExpectNoRawRegistryText(r.err);
  EXPECT_EQ(Catalog(dst_), (std::set<std::string>{"mirror/app"}));
  EXPECT_FALSE(TagExists(Dst("mirror/app:v1")));
}

// A checkpoint written by an older version, which stored what the registry listed: the poisoned
// row fails alone (invalid_name), the others are copied, and nothing shows it raw.
TEST_F(HostileNamesTest, APoisonedCheckpointRowFailsAloneOnResume) {
  std::string run_id;
  {
    auto store = replication::SqliteCheckpointStore::Open(state_.path());
    ASSERT_TRUE(store) << store.error().message;
    const json spec = {{"source", src_.host() + "/evil"}, {"destination", Dst("mirror")}};
    auto id = (*store)->CreateRun("replicate-tree", spec.dump());
    ASSERT_TRUE(id);
    run_id = *id;
    ASSERT_TRUE((*store)->SavePlan(
        run_id,
        {{.seq = 0, .source = src_.host() + "/evil/app:v1", .destination = Dst("mirror/app:v1")},
         {.seq = 1,
          .source = src_.host() + "/evil/app:" + kPathTag,
          .destination = Dst("mirror/app:" + kPathTag)},
         {.seq = 2,
          .source = src_.host() + "/evil/app:" + kAnsiTag + "\xff",
          .destination = Dst("mirror/app:" + kNewlineTag)}}));
  }
  CliResult r = Freightliner({"replicate-tree", "--resume", run_id, "--state-dir", state_.path()});
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_NE(r.out.find("1 copied, 0 up to date, 2 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("invalid_name"), std::string::npos) << r.out;
  ExpectNoRawRegistryText(r.out);
  ExpectNoRawRegistryText(r.err);
  EXPECT_EQ(RawDigest(Dst("mirror/app:v1")), RawDigest(src_.host() + "/evil/app:v1"));
  EXPECT_EQ(Catalog(dst_), (std::set<std::string>{"mirror/app"}));

  CliResult shown = Freightliner({"checkpoint", "show", run_id, "--state-dir", state_.path()});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  ExpectNoRawRegistryText(shown.out);
  EXPECT_NE(shown.out.find("\\x1b[31m"), std::string::npos) << shown.out;
  CliResult as_json =
      Freightliner({"-o", "json", "checkpoint", "show", run_id, "--state-dir", state_.path()});
  EXPECT_EQ(as_json.exit_code, 0) << as_json.err;
  EXPECT_TRUE(json::accept(as_json.out)) << as_json.out;
}

TEST_F(HostileNamesTest, ListTagsPrintsOnlyValidTags) {
  CliResult r = Freightliner({"list-tags", src_.host() + "/evil/app"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "v1\n");
  ExpectNoRawRegistryText(r.err);
  ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
  EXPECT_EQ(
      r.ErrorLines()[0].rfind("error: invalid_name: list-tags " + src_.host() + "/evil/app: ", 0),
      0u)
      << r.err;
  CliResult j = Freightliner({"-o", "json", "list-tags", src_.host() + "/evil/app"});
  EXPECT_EQ(j.exit_code, 1) << j.err;
  EXPECT_EQ(json::parse(j.out)["tags"], json::array({"v1"}));
}

TEST_F(HostileNamesTest, ServeCountsInvalidNamesAndRestartsCleanly) {
  TempDir serve_dir("freightliner-hostile-serve");
  Serve serve(serve_dir, {.config_yaml = "registries:\n  - host: " + src_.host() +
                                         "\n  - host: " + dst_.host() + "\n"});
  const std::string id = serve.Submit("/api/v1/replicate-tree", {{"source", src_.host() + "/evil"},
                                                                 {"destination", Dst("mirror")}});
  json job = serve.WaitForJob(id);
  EXPECT_EQ(job["status"], "failed") << job.dump();
  ExpectOnlyTheValidTagCopied();
  ExpectNoRawRegistryText(job.dump());
  const std::string metrics = serve.Scrape();
  EXPECT_EQ(MetricValue(metrics, "freightliner_replication_errors_total",
                        {{"source_registry", src_.host()},
                         {"dest_registry", dst_.host()},
                         {"error_type", "invalid_name"}}),
            6)
      << metrics;
  ExpectNoRawRegistryText(serve.Log());

  // Nothing poisoned was stored: serve starts again, and the job reads the same.
  EXPECT_EQ(serve.Stop(), 0) << serve.Log();
  serve.Start();
  HttpResponse again = serve.Call("GET", "/api/v1/jobs/" + id);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["status"], "failed");
  EXPECT_EQ(serve.Call("GET", "/health").status, 200);
}

// `^(a+)+$` against "aaa...ab" takes exponential time in a backtracking engine (libstdc++'s:
// hours for 42 characters); RE2 is linear. The bound is the process wait, not a timing assertion.
TEST(HostileRegexTest, CatastrophicIncludePatternFinishes) {
  HostileRegistry src;
  Registry dst;
  const std::string matching(42, 'a');
  src.AddImage("evil/app", matching);
  src.SetCatalog({"evil/app"});
  src.SetTags("evil/app", {matching, matching + "b", matching + "!"});
  CommandResult r;
  ASSERT_NO_THROW(r = RunCommand({FreightlinerBinary(), "replicate-tree", src.host() + "/evil",
                                  dst.host() + "/mirror", "--include-tag-regex", "^(a+)+$",
                                  "--state-dir", TempDir("freightliner-redos").path()},
                                 "", std::chrono::seconds(120)));
  EXPECT_EQ(r.exit_code, 1) << r.err;  // "aaa...a!" is not a tag: skipped, counted
  EXPECT_EQ(ListTags(dst.host() + "/mirror/app"), std::vector<std::string>{matching});
}

TEST(HostileRegexTest, SyncFileWithAPatternRe2RefusesIsALoadError) {
  TempDir dir("freightliner-sync-pattern");
  WriteFile(dir.path() + "/sync.yaml",
            "mappings:\n  - source: 127.0.0.1:1/a\n    destination: 127.0.0.1:1/b\n"
            "    tags:\n      include: ['^(?!v)']\n");
  CliResult r = Freightliner(
      {"sync", "--config", dir.path() + "/sync.yaml", "--state-dir", dir.path() + "/state"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("sync.yaml:5:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("include-tag regex \"^(?!v)\""), std::string::npos) << r.err;

  CliResult flag =
      Freightliner({"replicate-tree", "127.0.0.1:1/a", "127.0.0.1:1/b", "--exclude-tag-regex",
                    "(?<=x)", "--state-dir", dir.path() + "/state"});
  EXPECT_EQ(flag.exit_code, 2) << flag.err;
  ASSERT_EQ(flag.ErrorLines().size(), 1u) << flag.err;
  EXPECT_NE(flag.err.find("exclude-tag regex \"(?<=x)\""), std::string::npos) << flag.err;
}

TEST(HostileReferenceTest, HugeCliReferenceIsAShortUsageError) {
  const std::string huge = "127.0.0.1:1/" + std::string(50000, 'a') + ":v1";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"replicate", huge, "127.0.0.1:1/x:v1"},
        std::vector<std::string>{"replicate", "127.0.0.1:1/x:v1", huge},
        std::vector<std::string>{"list-tags", huge}, std::vector<std::string>{"inspect", huge},
        std::vector<std::string>{"replicate-tree", huge, "127.0.0.1:1/mirror"}}) {
    CliResult r = Freightliner(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err.substr(0, 500);
    ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err.substr(0, 500);
    EXPECT_LT(r.err.size(), 1000u) << r.err.substr(0, 500);
    EXPECT_NE(r.err.find("longer than 4096 bytes"), std::string::npos) << r.err.substr(0, 500);
  }
}

TEST(HostileReferenceTest, ServeRefusesAHugeSourceAndKeepsServing) {
  TempDir dir("freightliner-hostile-api");
  Serve serve(dir);
  const std::string huge = "127.0.0.1:1/" + std::string(60000, 'a') + ":v1";
  for (const auto& [path, request] :
       {std::pair<std::string, json>{"/api/v1/replicate",
                                     {{"source", huge}, {"destination", "127.0.0.1:1/x:v1"}}},
        std::pair<std::string, json>{"/api/v1/replicate-tree",
                                     {{"source", huge}, {"destination", "127.0.0.1:1/mirror"}}},
        std::pair<std::string, json>{"/api/v1/replicate-tree",
                                     {{"source", "127.0.0.1:1/a"},
                                      {"destination", "127.0.0.1:1/b"},
                                      {"include_tags", {std::string(5000, '(')}}}}}) {
    HttpResponse r = serve.Call("POST", path, request.dump());
    EXPECT_EQ(r.status, 400) << path << ": " << r.body.substr(0, 500);
    EXPECT_LT(r.body.size(), 2000u) << r.body.substr(0, 500);
    EXPECT_EQ(serve.Call("GET", "/health").status, 200) << serve.Log();
  }
  EXPECT_EQ(serve.Stop(), 0);
}

}  // namespace
}  // namespace freightliner::testing
