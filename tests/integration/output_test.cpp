// What commands print, against real registries: dry runs that agree with the real run, progress
// on stderr only, and inspect / digest showing the image config as skopeo and crane do.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/format.hpp"
#include "fixtures/hostile_registry.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "integration/cli.hpp"

namespace freightliner::testing {
namespace {

using nlohmann::json;

class OutputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-output");
    src_ = new Registry();
    layout_ = new OciLayout(dir_->Sub("oci"));
  }
  static void TearDownTestSuite() {
    delete layout_;
    delete src_;
    delete dir_;
  }

  static std::string Seed(const std::string& repo_tag, const ImageSpec& spec) {
    layout_->AddImage(repo_tag, spec);
    SkopeoCopy(layout_->Ref(repo_tag), "docker://" + src_->host() + "/" + repo_tag);
    return src_->host() + "/" + repo_tag;
  }

  static json RunJson(const std::vector<std::string>& args, int expected_exit = 0) {
    std::vector<std::string> full = {"-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    CliResult r = Freightliner(full);
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    json doc = json::parse(r.out, nullptr, false);  // stdout is one document, nothing else
    EXPECT_FALSE(doc.is_discarded()) << r.out;
    return doc;
  }

  // "digest size action" for each blob a report lists, sorted: what a dry run and a real run of
  // the same copy must agree on.
  static std::vector<std::string> BlobActions(const json& blobs) {
    std::vector<std::string> out;
    for (const json& b : blobs) {
      out.push_back(b["digest"].get<std::string>() + " " +
                    std::to_string(b["size"].get<int64_t>()) + " " +
                    b["action"].get<std::string>());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static TempDir* dir_;
  static Registry* src_;
  static OciLayout* layout_;
};
TempDir* OutputTest::dir_ = nullptr;
Registry* OutputTest::src_ = nullptr;
OciLayout* OutputTest::layout_ = nullptr;

const ImageSpec kConfigured = {
    .layers = {{.size = 4096, .seed = 201}, {.size = 1000, .seed = 202}},
    .labels = {{"org.opencontainers.image.version", "1.2.3"}, {"maintainer", "ops@example.com"}},
    .env = {"PATH=/usr/bin:/bin", "MODE=prod"},
    .entrypoint = {"/app", "--serve"},
    .cmd = {"--port", "8080"}};

TEST_F(OutputTest, InspectShowsTheImageConfigAsSkopeoDoes) {
  const std::string ref = Seed("cfg/app:v1", kConfigured);
  const json manifest = json::parse(RawManifest(ref));
  const std::string l0 = manifest["layers"][0]["digest"], l1 = manifest["layers"][1]["digest"];
  const uint64_t s0 = manifest["layers"][0]["size"], s1 = manifest["layers"][1]["size"];

  CliResult text = Freightliner({"inspect", ref});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, "Name:         " + ref + "\n" +                 //
                          "Digest:       " + RawDigest(ref) + "\n" +  //
                          "MediaType:    application/vnd.oci.image.manifest.v1+json\n"
                          "Created:      2026-01-01T00:00:00Z\n"
                          "Architecture: amd64\n"
                          "Os:           linux\n"
                          "Entrypoint:   [\"/app\",\"--serve\"]\n"
                          "Cmd:          [\"--port\",\"8080\"]\n"
                          "Env:\n"
                          "  PATH=/usr/bin:/bin\n"
                          "  MODE=prod\n"
                          "Labels:\n"
                          "  maintainer=ops@example.com\n"
                          "  org.opencontainers.image.version=1.2.3\n"
                          "  seed=0\n"
                          "Config:       " +
                          manifest["config"]["digest"].get<std::string>() + "\n" +
                          "Layers:\n"
                          "  " +
                          l0 + "  " + HumanBytes(s0) + "\n" +         //
                          "  " + l1 + "  " + HumanBytes(s1) + "\n" +  //
                          "Total size:   " + HumanBytes(s0 + s1) + "\n");

  const json doc = RunJson({"inspect", ref});
  EXPECT_EQ(doc["digest"], RawDigest(ref));
  EXPECT_EQ(doc["architecture"], "amd64");
  EXPECT_EQ(doc["os"], "linux");
  EXPECT_EQ(doc["created"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(doc["config"]["digest"], manifest["config"]["digest"]);
  EXPECT_EQ(doc["config"]["Labels"], json({{"org.opencontainers.image.version", "1.2.3"},
                                           {"maintainer", "ops@example.com"},
                                           {"seed", "0"}}));
  EXPECT_EQ(doc["config"]["Env"], json({"PATH=/usr/bin:/bin", "MODE=prod"}));
  EXPECT_EQ(doc["config"]["Entrypoint"], json({"/app", "--serve"}));
  EXPECT_EQ(doc["config"]["Cmd"], json({"--port", "8080"}));
  EXPECT_EQ(doc["layers"][1]["size"], s1);
  EXPECT_EQ(doc["size"], s0 + s1);
}

TEST_F(OutputTest, InspectFormatSelectsFields) {
  const std::string ref = Seed("fmt/app:v1", kConfigured);
  auto format = [&](const std::string& f) {
    CliResult r = Freightliner({"inspect", "--format", f, ref});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(format("{{.Digest}}"), RawDigest(ref) + "\n");
  EXPECT_EQ(format("{{.Os}}/{{.Architecture}}"), "linux/amd64\n");
  EXPECT_EQ(format("{{.Labels.maintainer}}"), "ops@example.com\n");
  EXPECT_EQ(format("{{index .Labels \"org.opencontainers.image.version\"}}"), "1.2.3\n");
  EXPECT_EQ(format("{{json .Env}}"), "[\"PATH=/usr/bin:/bin\",\"MODE=prod\"]\n");
  EXPECT_EQ(format("{{.Entrypoint}}"), "[/app --serve]\n");
  EXPECT_EQ(format(".config.Labels.maintainer"), "ops@example.com\n");
  EXPECT_EQ(format(".config.Cmd"), "[\"--port\",\"8080\"]\n");
  EXPECT_EQ(
      format(".layers[0].size"),
      std::to_string(json::parse(RawManifest(ref))["layers"][0]["size"].get<uint64_t>()) + "\n");

  CliResult bad = Freightliner({"inspect", "--format", "{{.Archtecture}}", ref});
  EXPECT_EQ(bad.exit_code, 2);
  ASSERT_EQ(bad.ErrorLines().size(), 1u) << bad.err;
  EXPECT_NE(bad.ErrorLines()[0].find("no field .Archtecture"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.out, "");
}

TEST_F(OutputTest, InspectEscapesWhatTheConfigSays) {
  const std::string ref = Seed("evil/app:v1", {.layers = {{.size = 100, .seed = 211}},
                                               .labels = {{"note", "a\x1b[31mred\nforged=1"}},
                                               .env = {"X=1\rY"}});
  CliResult r = Freightliner({"inspect", ref});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(r.out.find('\r'), std::string::npos);
  EXPECT_NE(r.out.find("  note=a\\x1b[31mred\\nforged=1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  X=1\\rY\n"), std::string::npos) << r.out;
  CliResult f = Freightliner({"inspect", "--format", "{{.Labels.note}}", ref});
  EXPECT_EQ(f.out, "a\\x1b[31mred\\nforged=1\n");
}

// The config is a blob from the registry: its size is capped and its bytes must hash to its digest.
TEST_F(OutputTest, InspectRefusesAConfigOverTheCapOrNotMatchingItsDigest) {
  HostileRegistry evil;
  evil.AddImage("team/app", "v1");
  json manifest = json::parse(evil.ManifestBytes());
  const std::string config_digest = manifest["config"]["digest"];
  const size_t config_size = manifest["config"]["size"];
  evil.Override("GET", "/v2/team/app/blobs/" + config_digest, [&](const std::string&) {
    return CraftedResponse{.body = std::string(config_size, ' ')};
  });
  CliResult forged = Freightliner({"inspect", evil.host() + "/team/app:v1"});
  EXPECT_EQ(forged.exit_code, 1);
  ASSERT_EQ(forged.ErrorLines().size(), 1u) << forged.err;
  EXPECT_NE(forged.err.find("config blob " + config_digest + " does not match its digest"),
            std::string::npos)
      << forged.err;
  EXPECT_EQ(forged.out, "");

  manifest["config"]["size"] = 5u << 20;
  const std::string huge = manifest.dump();
  evil.Override("GET", "/v2/team/app/manifests/", [&](const std::string&) {
    return CraftedResponse{
        .headers = {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}, .body = huge};
  });
  CliResult capped = Freightliner({"inspect", evil.host() + "/team/app:v1"});
  EXPECT_EQ(capped.exit_code, 1);
  EXPECT_NE(capped.err.find(
                "of 5242880 bytes is larger than the built-in limit max_manifest_bytes (4 MiB)"),
            std::string::npos)
      << capped.err;
  int config_gets = 0;
  for (const std::string& request : evil.Requests())
    config_gets += request == "GET /v2/team/app/blobs/" + config_digest ? 1 : 0;
  EXPECT_EQ(config_gets, 1);  // the forged one only: a capped config is not even asked for
  // `digest` reads no config, so the cap does not concern it.
  CliResult digest = Freightliner({"digest", evil.host() + "/team/app:v1"});
  EXPECT_EQ(digest.exit_code, 0) << digest.err;
}

TEST_F(OutputTest, InspectAndDigestPickAPlatformOfAnIndex) {
  const BuiltIndex index = layout_->AddIndex(
      "multi", {{.layers = {{.size = 500, .seed = 221}}, .labels = {{"arch", "x86"}}},
                {.architecture = "arm64",
                 .variant = "v8",
                 .layers = {{.size = 600, .seed = 222}},
                 .labels = {{"arch", "arm"}}}});
  const std::string ref = src_->host() + "/multi/app:v1";
  SkopeoCopy(layout_->Ref("multi"), "docker://" + ref);
  const json raw = json::parse(RawManifest(ref));
  const std::string amd64 = raw["manifests"][0]["digest"], arm64 = raw["manifests"][1]["digest"];

  // Without --platform an index lists its platforms.
  CliResult text = Freightliner({"inspect", ref});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(
      text.out.find("Platforms:\n  linux/amd64  " + amd64 + "\n  linux/arm64/v8  " + arm64 + "\n"),
      std::string::npos)
      << text.out;
  EXPECT_EQ(text.out.find("Architecture:"), std::string::npos);
  EXPECT_EQ(Freightliner({"inspect", "--format", "{{.Platforms}}", ref}).out,
            "[linux/amd64 linux/arm64/v8]\n");

  const json picked = RunJson({"inspect", "--platform", "linux/arm64", ref});
  EXPECT_EQ(picked["digest"], arm64);
  EXPECT_EQ(picked["index_digest"], RawDigest(ref));
  EXPECT_EQ(picked["platform"], "linux/arm64");
  EXPECT_EQ(picked["architecture"], "arm64");
  EXPECT_EQ(picked["variant"], "v8");
  EXPECT_EQ(picked["config"]["Labels"]["arch"], "arm");

  EXPECT_EQ(Freightliner({"digest", ref}).out, RawDigest(ref) + "\n");
  EXPECT_EQ(Freightliner({"digest", "--platform", "linux/amd64", ref}).out, amd64 + "\n");
  EXPECT_EQ(Freightliner({"digest", "--platform", "linux/arm64/v8", ref}).out, arm64 + "\n");
  CliResult none = Freightliner({"digest", "--platform", "linux/s390x", ref});
  EXPECT_EQ(none.exit_code, 4);
  EXPECT_EQ(none.out, "");
  EXPECT_NE(none.err.find("has no platform linux/s390x (it has: linux/amd64, linux/arm64/v8)"),
            std::string::npos)
      << none.err;

  // A single image answers --platform only for its own platform.
  const std::string single = Seed("single/app:v1", {.layers = {{.size = 300, .seed = 223}}});
  EXPECT_EQ(Freightliner({"digest", "--platform", "linux/amd64", single}).out,
            RawDigest(single) + "\n");
  CliResult other = Freightliner({"inspect", "--platform", "linux/arm64", single});
  EXPECT_EQ(other.exit_code, 4);
  EXPECT_NE(other.err.find("is a single image for \"linux/amd64\", not linux/arm64"),
            std::string::npos)
      << other.err;
}

TEST_F(OutputTest, ReplicateDryRunAgreesWithTheRealRun) {
  Registry dst;
  const std::string src = Seed("agree/app:v1", kConfigured);
  const std::string to = dst.host() + "/mirror/app:v1";
  const json dry = RunJson({"replicate", "--dry-run", src, to});
  EXPECT_EQ(dry["action"], "copy");
  EXPECT_EQ(dry["blobs_uploaded"], 3);
  EXPECT_EQ(dry["manifests_pushed"], 1);
  EXPECT_FALSE(TagExists(to));

  const json real = RunJson({"replicate", src, to});
  EXPECT_EQ(real["action"], "copy");
  for (const char* key : {"bytes_transferred", "layers_transferred", "blobs_uploaded",
                          "blobs_mounted", "blobs_existing", "manifests_pushed"}) {
    EXPECT_EQ(dry[key], real[key]) << key;
  }
  EXPECT_EQ(BlobActions(dry["blobs"]), BlobActions(real["blobs"]));
  EXPECT_EQ(real["bytes_transferred"],
            json::parse(RawManifest(src))["config"]["size"].get<int>() +
                json::parse(RawManifest(src))["layers"][0]["size"].get<int>() +
                json::parse(RawManifest(src))["layers"][1]["size"].get<int>());

  const json again = RunJson({"replicate", "--dry-run", src, to});
  EXPECT_EQ(again["action"], "up to date");
  EXPECT_TRUE(again["blobs"].empty());
  EXPECT_EQ(again["bytes_transferred"], 0);

  // Within one registry blobs would be mounted, and the dry run says so.
  const std::string copy = src_->host() + "/agree/copy:v1";
  CliResult text = Freightliner({"replicate", "--dry-run", src, copy});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("would copy " + src + " -> " + copy + " " + RawDigest(src) +
                          ": 0 blobs to upload (0 B), 3 to mount, 0 already present, 1 manifests "
                          "to push\n"),
            std::string::npos)
      << text.out;
  const json mounted = RunJson({"replicate", src, copy});
  EXPECT_EQ(mounted["blobs_mounted"], 3);
  EXPECT_EQ(mounted["bytes_transferred"], 0);
}

TEST_F(OutputTest, ReplicateProgressGoesToStderrOnly) {
  Registry dst;
  const std::string src = Seed("progress/app:v1", {.layers = {{.size = 20000, .seed = 231}}});
  const json manifest = json::parse(RawManifest(src));
  const uint64_t bytes =
      manifest["config"]["size"].get<uint64_t>() + manifest["layers"][0]["size"].get<uint64_t>();
  CliResult r = Freightliner({"-o", "json", "replicate", src, dst.host() + "/p/app:v1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["bytes_transferred"], bytes);  // stdout: the result alone
  EXPECT_NE(r.err.find("progress: 2 blobs done (2 uploaded, 0 mounted, 0 already present) | " +
                       HumanBytes(bytes) + " at "),
            std::string::npos)
      << r.err;
  // A quieter log level leaves the non-terminal form out.
  CliResult quiet =
      Freightliner({"--log-level", "warn", "replicate", "--force", src, dst.host() + "/p/app:v1"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("progress:"), std::string::npos) << quiet.err;
  EXPECT_EQ(quiet.out.rfind("copied ", 0), 0u) << quiet.out;
}

// Three tags in two repositories sharing a base layer: a real run uploads it once, mounts it
// into the other repository and finds it present for the second tag of the first; the dry run
// must count the same.
TEST_F(OutputTest, FleetDryRunsAgreeWithTheRealRun) {
  int seed = 240;
  for (const std::string name : {"t/a:v1", "t/a:v2", "t/b:v1"}) {
    Seed(name, {.layers = {{.size = 20000, .seed = 1},
                           {.size = 2000, .seed = static_cast<uint64_t>(++seed)}}});
  }
  for (const std::string kind : {"replicate-tree", "sync"}) {
    SCOPED_TRACE(kind);
    Registry dst;
    TempDir state("freightliner-output-state");
    std::vector<std::string> command = {"replicate-tree", src_->host() + "/t", dst.host() + "/m"};
    if (kind == "sync") {
      WriteFile(state.path() + "/sync.yaml", "mappings:\n  - source: " + src_->host() +
                                                 "/t/a\n    destination: " + dst.host() +
                                                 "/m/a\n  - source: " + src_->host() +
                                                 "/t/b\n    destination: " + dst.host() + "/m/b\n");
      command = {"sync", "--config", state.path() + "/sync.yaml"};
    }
    command.insert(command.end(), {"--state-dir", state.path()});
    auto with = [&](std::vector<std::string> extra) {
      extra.insert(extra.begin(), command.begin(), command.end());
      return extra;
    };

    const json dry = RunJson(with({"--dry-run"}));
    EXPECT_EQ(dry["dry_run"], true);
    EXPECT_EQ(dry["copied"], 3);
    EXPECT_EQ(dry["blobs_uploaded"], 7);  // 3 configs, 3 own layers, the base once
    EXPECT_EQ(dry["blobs_mounted"], 1);   // the base into the other repository
    EXPECT_EQ(dry["blobs_existing"], 1);  // the base, for the second tag of its repository
    ASSERT_EQ(dry["tags"].size(), 3u);
    EXPECT_EQ(dry["tags"][0]["source"], src_->host() + "/t/a:v1");
    EXPECT_EQ(dry["tags"][0]["destination"], dst.host() + "/m/a:v1");
    EXPECT_EQ(dry["tags"][0]["action"], "copy");
    EXPECT_EQ(dry["tags"][0]["digest"], RawDigest(src_->host() + "/t/a:v1"));
    EXPECT_EQ(dry["tags"][0]["blobs"].size(), 3u);
    EXPECT_TRUE(ListTags(dst.host() + "/m/a").empty());

    const json real = RunJson(command);
    for (const char* key :
         {"copied", "bytes", "layers", "blobs_uploaded", "blobs_mounted", "blobs_existing"}) {
      EXPECT_EQ(dry[key], real[key]) << key;
    }

    const json again = RunJson(with({"--dry-run"}));
    EXPECT_EQ(again["copied"], 0);
    EXPECT_EQ(again["up_to_date"], 3);
    EXPECT_EQ(again["bytes"], 0);
    EXPECT_EQ(again["blobs_uploaded"], 0);
    for (const json& tag : again["tags"]) {
      EXPECT_EQ(tag["action"], "up to date");
      EXPECT_TRUE(tag["blobs"].empty());
    }
    CliResult text = Freightliner(with({"--dry-run"}));
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find(kind + " (dry run): 3 tags: 0 would copy, 3 up to date, 0 failed; "
                                   "would upload 0 blobs (0 B), mount 0, find 0 present\n"),
              std::string::npos)
        << text.out;
  }
}

// A later run into another prefix of the same destination mounts every blob from where the state
// directory saw it; the dry run counts those mounts too.
TEST_F(OutputTest, FleetDryRunsCountMountsFromEarlierRuns) {
  int seed = 260;
  for (const std::string name : {"u/a:v1", "u/b:v1"}) {
    Seed(name, {.layers = {{.size = 20000, .seed = 2},
                           {.size = 2000, .seed = static_cast<uint64_t>(++seed)}}});
  }
  Registry dst;
  TempDir state("freightliner-output-state");
  auto tree = [&](const std::string& prefix, std::vector<std::string> extra) {
    std::vector<std::string> args = {"replicate-tree", "--state-dir", state.path(),
                                     src_->host() + "/u", dst.host() + "/" + prefix};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunJson(args);
  };
  const json first = tree("one", {});
  EXPECT_EQ(first["blobs_uploaded"], 5);  // 2 configs, 2 own layers, the base once
  EXPECT_EQ(first["blobs_mounted"], 1);

  const json dry = tree("two", {"--dry-run"});
  EXPECT_EQ(dry["blobs_uploaded"], 0);
  EXPECT_EQ(dry["blobs_mounted"], 6);
  EXPECT_EQ(dry["bytes"], 0);
  const json real = tree("two", {});
  for (const char* key :
       {"copied", "bytes", "layers", "blobs_uploaded", "blobs_mounted", "blobs_existing"}) {
    EXPECT_EQ(dry[key], real[key]) << key;
  }
}

}  // namespace
}  // namespace freightliner::testing
