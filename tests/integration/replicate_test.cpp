// `freightliner replicate` between real registries: every kind of image copies with the same
// digest, resyncs cost HEADs only, same-registry copies mount, and options change what happens.

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "fixtures/fault_proxy.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "integration/cli.hpp"

namespace freightliner::testing {
namespace {

using nlohmann::json;

class ReplicateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-replicate");
    src_ = new Registry();
    dst_ = new Registry();
    layout_ = new OciLayout(dir_->Sub("oci"));
  }
  static void TearDownTestSuite() {
    delete layout_;
    delete dst_;
    delete src_;
    delete dir_;
  }

  // Seeds src with an image built from `spec` under repo:tag; returns the source reference.
  static std::string Seed(const std::string& repo_tag, const ImageSpec& spec,
                          const std::vector<std::string>& skopeo_flags = {}) {
    layout_->AddImage(repo_tag, spec);
    SkopeoCopy(layout_->Ref(repo_tag), "docker://" + src_->host() + "/" + repo_tag, skopeo_flags);
    return src_->host() + "/" + repo_tag;
  }

  static json Replicate(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"-o", "json", "replicate"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = Freightliner(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json::object();
  }

  static TempDir* dir_;
  static Registry* src_;
  static Registry* dst_;
  static OciLayout* layout_;
};
TempDir* ReplicateTest::dir_ = nullptr;
Registry* ReplicateTest::src_ = nullptr;
Registry* ReplicateTest::dst_ = nullptr;
OciLayout* ReplicateTest::layout_ = nullptr;

TEST_F(ReplicateTest, OciImageKeepsItsDigestAndEveryBlob) {
  const ImageSpec spec{.layers = {{.size = 300000, .seed = 11}, {.size = 5000, .seed = 12}}};
  const std::string src = Seed("oci/app:v1", spec);
  const std::string dst = dst_->host() + "/mirror/app:v1";
  json report = Replicate({src, dst});
  const std::string digest = RawDigest(src);
  EXPECT_EQ(RawDigest(dst), digest);
  EXPECT_EQ(RawManifest(dst), RawManifest(src));  // byte for byte, whitespace included
  EXPECT_EQ(report["digest"], digest);
  EXPECT_EQ(report["media_type"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(report["blobs_uploaded"], 3);  // config + 2 layers
  EXPECT_EQ(report["layers_transferred"], 2);
  EXPECT_EQ(report["manifests_pushed"], 1);
  // Bytes moved are the blobs' sizes, as the manifest declares them.
  const json manifest = json::parse(RawManifest(src));
  uint64_t expected = manifest["config"]["size"].get<uint64_t>();
  for (const auto& l : manifest["layers"])
    expected += l["size"].get<uint64_t>();
  EXPECT_EQ(report["bytes_transferred"].get<uint64_t>(), expected);
}

TEST_F(ReplicateTest, DockerSchema2KeepsItsMediaTypeAndDigest) {
  const std::string src =
      Seed("docker/app:v2", {.layers = {{.size = 40000, .seed = 21}}}, {"--format", "v2s2"});
  const std::string dst = dst_->host() + "/mirror/docker-app:v2";
  json report = Replicate({src, dst});
  EXPECT_EQ(report["media_type"], "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(RawDigest(dst), RawDigest(src));
}

TEST_F(ReplicateTest, MultiArchIndexCopiesEveryPlatformThenTheIndex) {
  const std::vector<ImageSpec> platforms = {
      {.architecture = "amd64",
       .layers = {{.size = 20000, .seed = 31}, {.size = 7000, .seed = 30}}},
      {.architecture = "arm64",
       .variant = "v8",
       .layers = {{.size = 21000, .seed = 32}, {.size = 7000, .seed = 30}}},
      {.architecture = "arm", .variant = "v7", .layers = {{.size = 22000, .seed = 33}}}};
  BuiltIndex built = layout_->AddIndex("multi", platforms);
  SkopeoCopy(layout_->Ref("multi"), "docker://" + src_->host() + "/multi/app:1.0");
  const std::string src = src_->host() + "/multi/app:1.0";
  const std::string dst = dst_->host() + "/mirror/multi:1.0";
  json report = Replicate({src, dst});
  EXPECT_EQ(RawDigest(dst), RawDigest(src));
  EXPECT_EQ(report["manifests_pushed"], 4);  // 3 platforms + the index
  // The layer shared by two platforms crossed once.
  EXPECT_EQ(report["layers_transferred"], 4);
  const json index = json::parse(RawManifest(dst));
  ASSERT_EQ(index["manifests"].size(), 3u);
  for (const auto& child : index["manifests"]) {
    const std::string at_dst = dst_->host() + "/mirror/multi@" + child["digest"].get<std::string>();
    EXPECT_EQ(RawDigest(at_dst), child["digest"]) << at_dst;
  }
  (void)built;
}

TEST_F(ReplicateTest, PlatformFlagCopiesThatPlatformsManifest) {
  layout_->AddIndex("multi2", {{.architecture = "amd64", .layers = {{.size = 9000, .seed = 41}}},
                               {.architecture = "arm64", .layers = {{.size = 9100, .seed = 42}}}});
  SkopeoCopy(layout_->Ref("multi2"), "docker://" + src_->host() + "/multi/two:1.0");
  const std::string src = src_->host() + "/multi/two:1.0";
  std::string arm64_digest;
  const json index = json::parse(RawManifest(src));  // named: a temporary would dangle
  for (const auto& child : index["manifests"]) {
    if (child["platform"]["architecture"] == "arm64") arm64_digest = child["digest"];
  }
  ASSERT_FALSE(arm64_digest.empty());
  json report = Replicate({"--platform", "linux/arm64", src, dst_->host() + "/mirror/two-arm"});
  EXPECT_EQ(report["digest"], arm64_digest);
  // Without a destination tag, the source's tag is used.
  EXPECT_EQ(RawDigest(dst_->host() + "/mirror/two-arm:1.0"), arm64_digest);

  CliResult missing = Freightliner(
      {"replicate", "--platform", "linux/s390x", src, dst_->host() + "/mirror/two-s390x:1.0"});
  EXPECT_EQ(missing.exit_code, 4);
  ASSERT_EQ(missing.ErrorLines().size(), 1u) << missing.err;
  EXPECT_NE(missing.ErrorLines()[0].find("linux/amd64"), std::string::npos);  // says what exists
}

TEST_F(ReplicateTest, HundredMegabyteLayerStreamsThrough) {
  const std::string src = Seed("big/app:v1", {.layers = {{.size = 100u << 20, .seed = 51}}});
  const std::string dst = dst_->host() + "/mirror/big:v1";
  json report = Replicate({src, dst});
  EXPECT_EQ(RawDigest(dst), RawDigest(src));
  EXPECT_GT(report["bytes_transferred"].get<uint64_t>(), 100u << 20);
}

TEST_F(ReplicateTest, SharedLayersCrossOnceAndResyncCostsOnlyHeads) {
  const LayerSpec base{.size = 200000, .seed = 61};
  const std::string v1 = Seed("shared/app:v1", {.layers = {base, {.size = 1000, .seed = 62}}});
  const std::string v2 = Seed("shared/app:v2", {.layers = {base, {.size = 1000, .seed = 63}}});
  FaultProxy dst_proxy(dst_->host());
  json first = Replicate({v1, dst_proxy.host() + "/mirror/shared:v1"});
  json second = Replicate({v2, dst_proxy.host() + "/mirror/shared:v2"});
  EXPECT_EQ(first["blobs_uploaded"], 3);
  EXPECT_EQ(second["blobs_existing"], 1);  // the base layer is already in the repository
  EXPECT_EQ(second["blobs_uploaded"], 2);

  dst_proxy.ResetStats();
  json again = Replicate({v2, dst_proxy.host() + "/mirror/shared:v2"});
  EXPECT_EQ(again["up_to_date"], true);
  EXPECT_EQ(again["bytes_transferred"], 0);
  // Up to date after HEAD requests only: nothing else reached the destination.
  for (const ProxyLogEntry& e : dst_proxy.Log()) {
    EXPECT_TRUE(e.method == "HEAD" || e.target == "/v2/") << e.method << " " << e.target;
  }
  EXPECT_EQ(dst_proxy.Count("HEAD", "/manifests/v2$"), 1);

  // --force copies anyway: the manifest is pushed again (blobs are still found present).
  dst_proxy.ResetStats();
  json forced = Replicate({"--force", v2, dst_proxy.host() + "/mirror/shared:v2"});
  EXPECT_EQ(forced["up_to_date"], false);
  EXPECT_EQ(forced["manifests_pushed"], 1);
  EXPECT_EQ(dst_proxy.Count("PUT", "/manifests/v2$"), 1);
}

TEST_F(ReplicateTest, SameRegistryCopyMountsInsteadOfUploading) {
  const std::string src = Seed("mount/app:v1", {.layers = {{.size = 150000, .seed = 71}}});
  FaultProxy proxy(src_->host());
  const std::string via_proxy = proxy.host() + "/mount/app:v1";
  json report = Replicate({via_proxy, proxy.host() + "/mount/copy:v1"});
  EXPECT_EQ(report["blobs_mounted"], 2);
  EXPECT_EQ(report["blobs_uploaded"], 0);
  EXPECT_EQ(report["bytes_transferred"], 0);
  EXPECT_EQ(proxy.Count("POST", "/v2/mount/copy/blobs/uploads/"), 2);
  EXPECT_EQ(proxy.Count("", "mount=sha256"), 2);
  EXPECT_EQ(proxy.Count("PUT", "/blobs/"), 0);
  EXPECT_EQ(proxy.Count("PATCH", "/blobs/"), 0);
  EXPECT_EQ(RawDigest(src_->host() + "/mount/copy:v1"), RawDigest(src));
}

TEST_F(ReplicateTest, DryRunChecksButWritesNothing) {
  const std::string src = Seed("dry/app:v1", {.layers = {{.size = 3000, .seed = 81}}});
  FaultProxy dst_proxy(dst_->host());
  CliResult r = Freightliner({"replicate", "--dry-run", src, dst_proxy.host() + "/mirror/dry:v1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("would copy blob"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would push manifest"), std::string::npos) << r.out;
  EXPECT_EQ(dst_proxy.Count("POST", ""), 0);
  EXPECT_EQ(dst_proxy.Count("PUT", ""), 0);
  EXPECT_GT(dst_proxy.Count("HEAD", "/blobs/"), 0);  // it really checked
  EXPECT_FALSE(TagExists(dst_->host() + "/mirror/dry:v1"));
}

TEST_F(ReplicateTest, ChunkedUploadWhenTheRegistryRefusesOnePut) {
  const std::string src = Seed("chunk/app:v1", {.layers = {{.size = 3u << 20, .seed = 91}}});
  FaultProxy dst_proxy(dst_->host());
  dst_proxy.RefuseLargePuts(1u << 20);
  json report = Replicate({src, dst_proxy.host() + "/mirror/chunk:v1"});
  EXPECT_EQ(RawDigest(dst_->host() + "/mirror/chunk:v1"), RawDigest(src));
  EXPECT_EQ(dst_proxy.Count("PUT", "/blobs/uploads/"), 3);  // refused once, then 2 completions
  EXPECT_GE(dst_proxy.Count("PATCH", "/blobs/uploads/"), 1);
  bool refused = false;
  for (const auto& e : dst_proxy.Log())
    refused = refused || e.status == 413;
  EXPECT_TRUE(refused);

  // --chunk-size forces chunks from the start.
  dst_proxy.ResetStats();
  json forced = Replicate({"--chunk-size", "1000000", src, dst_->host() + "/mirror/chunk2:v1"});
  EXPECT_EQ(RawDigest(dst_->host() + "/mirror/chunk2:v1"), RawDigest(src));
  EXPECT_EQ(forced["blobs_uploaded"], 2);
}

TEST_F(ReplicateTest, InspectAndListTags) {
  const std::string src = Seed("inspect/app:v1", {.layers = {{.size = 4096, .seed = 101}}});
  CliResult r = Freightliner({"inspect", src});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(RawDigest(src)), std::string::npos);
  EXPECT_NE(r.out.find("application/vnd.oci.image.manifest.v1+json"), std::string::npos);
  CliResult raw = Freightliner({"inspect", "--raw", src});
  EXPECT_EQ(raw.out, RawManifest(src));
  CliResult tags = Freightliner({"list-tags", src_->host() + "/inspect/app"});
  EXPECT_EQ(tags.out, "v1\n");
}

TEST_F(ReplicateTest, VersionPrintsVersionAndRevision) {
  CliResult r = Freightliner({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("freightliner 0.1.0 (revision ", 0), 0u) << r.out;
}

}  // namespace
}  // namespace freightliner::testing
