#include "registry/manifest.hpp"

#include <gtest/gtest.h>

#include "common/sha256.hpp"

namespace freightliner::registry {
namespace {

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');
const std::string kD3 = "sha256:" + std::string(64, '3');

std::string ImageManifest(std::string_view media_type_field) {
  return R"({
  "schemaVersion": 2,)" +
         std::string(media_type_field) + R"(
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ")" +
         kD1 + R"(", "size": 7},
  "layers": [
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ")" +
         kD2 +
         R"(", "size": 100},
    {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "digest": ")" +
         kD3 + R"(", "size": 5, "urls": ["https://example.com/l"]}
  ]
})";
}

TEST(ManifestTest, ImageManifestKeepsBytesAndListsBlobsConfigFirst) {
  const std::string bytes = ImageManifest("");
  auto m = ParseManifest(bytes, "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->bytes, bytes);
  EXPECT_EQ(m->digest, Sha256Digest(bytes));
  EXPECT_FALSE(m->is_index);
  ASSERT_EQ(m->Blobs().size(), 3u);
  EXPECT_EQ(m->Blobs()[0].digest, kD1);
  EXPECT_EQ(m->Blobs()[1].size, 100);
  EXPECT_FALSE(m->Blobs()[1].foreign);
  EXPECT_TRUE(m->Blobs()[2].foreign);
}

TEST(ManifestTest, GenericContentTypeFallsBackToTheDocument) {
  auto docker = ParseManifest(
      ImageManifest(R"("mediaType": "application/vnd.docker.distribution.manifest.v2+json",)"),
      "application/json; charset=utf-8");
  ASSERT_TRUE(docker);
  EXPECT_EQ(docker->media_type, media::kDockerManifest);
  auto inferred = ParseManifest(ImageManifest(""), "");
  ASSERT_TRUE(inferred);
  EXPECT_EQ(inferred->media_type, media::kOciManifest);
}

TEST(ManifestTest, IndexWithPlatforms) {
  const std::string bytes =
      R"({"schemaVersion":2,"mediaType":")" + std::string(media::kDockerManifestList) +
      R"(","manifests":[
    {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":")" +
      kD1 + R"(","size":10,"platform":{"os":"linux","architecture":"amd64"}},
    {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":")" +
      kD2 + R"(","size":11,"platform":{"os":"linux","architecture":"arm","variant":"v7"}}]})";
  auto m = ParseManifest(bytes, std::string(media::kDockerManifestList));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->is_index);
  ASSERT_EQ(m->children.size(), 2u);
  EXPECT_EQ(m->children[1].platform->String(), "linux/arm/v7");
  EXPECT_TRUE(m->Blobs().empty());
}

TEST(ManifestTest, RejectsBrokenDocuments) {
  EXPECT_FALSE(ParseManifest("not json", ""));
  EXPECT_FALSE(ParseManifest("[]", ""));
  EXPECT_FALSE(ParseManifest(R"({"schemaVersion":1,"fsLayers":[]})", ""));
  EXPECT_FALSE(ParseManifest(R"({"manifests":[{"digest":"sha256:zz","size":1}]})", ""));
  EXPECT_FALSE(
      ParseManifest(R"({"config":{"digest":")" + kD1 + R"(","size":-1},"layers":[]})", ""));
  auto unknown = ParseManifest(R"({"mediaType":"application/x-foo"})", "");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("application/x-foo"), std::string::npos);
}

TEST(PlatformTest, ParseAndMatch) {
  auto p = ParsePlatform("linux/arm64");
  ASSERT_TRUE(p);
  EXPECT_TRUE((Platform{"linux", "arm64", "v8"}).Matches(*p));
  EXPECT_FALSE((Platform{"linux", "amd64", ""}).Matches(*p));
  auto v7 = ParsePlatform("linux/arm/v7");
  ASSERT_TRUE(v7);
  EXPECT_FALSE((Platform{"linux", "arm", "v6"}).Matches(*v7));
  EXPECT_FALSE(ParsePlatform("linux"));
  EXPECT_FALSE(ParsePlatform("linux//v7"));
  EXPECT_FALSE(ParsePlatform("a/b/c/d"));
}

TEST(MediaTypeTest, AcceptListsAllFour) {
  const std::string accept = ManifestAcceptHeader();
  for (auto t : {media::kDockerManifest, media::kDockerManifestList, media::kOciManifest,
                 media::kOciIndex}) {
    EXPECT_NE(accept.find(t), std::string::npos) << t;
  }
}

// A registry chooses every field's type: nlohmann's value() threw type_error on each of these.
TEST(ManifestTest, FieldsOfTheWrongTypeAreErrorsNotExceptions) {
  const std::string config = R"({"mediaType": "x", "digest": ")" + kD1 + R"(", "size": 7})";
  // mediaType a number: the document's shape decides (an image manifest).
  auto m = ParseManifest(
      R"({"schemaVersion": 2, "mediaType": 5, "config": )" + config + R"(, "layers": []})",
      "application/json");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->media_type, "application/vnd.oci.image.manifest.v1+json");
  // schemaVersion a string and nothing else to go by: unsupported, not a throw.
  EXPECT_FALSE(ParseManifest(R"({"schemaVersion": "1"})", ""));
  // A digest that is a number, a size that is a float or beyond int64.
  EXPECT_FALSE(
      ParseManifest(R"({"config": {"mediaType": "x", "digest": 5, "size": 7}, "layers": []})", ""));
  EXPECT_FALSE(ParseManifest(
      R"({"config": {"mediaType": "x", "digest": ")" + kD1 + R"(", "size": 1e300}, "layers": []})",
      ""));
  EXPECT_FALSE(ParseManifest(R"({"config": {"mediaType": "x", "digest": ")" + kD1 +
                                 R"(", "size": 18446744073709551615}, "layers": []})",
                             ""));
  // An index whose platform fields are not strings.
  auto index = ParseManifest(R"({"manifests": [{"mediaType": "x", "digest": ")" + kD2 +
                                 R"(", "size": 3, "platform": {"os": 5, "architecture": []}}]})",
                             "application/vnd.oci.image.index.v1+json");
  ASSERT_TRUE(index) << index.error().message;
  ASSERT_EQ(index->children.size(), 1u);
  EXPECT_EQ(index->children[0].platform->os, "");
}

TEST(ManifestTest, AHugeDigestIsRefusedAndQuotedShort) {
  const std::string digest = "sha256:" + std::string(200000, 'a') + "\n\x1b[31m";
  auto m = ParseManifest(
      R"({"config": {"mediaType": "x", "digest": ")" + digest + R"(", "size": 1}, "layers": []})",
      "");
  ASSERT_FALSE(m);
  EXPECT_LT(m.error().message.size(), 1000u);
  EXPECT_EQ(m.error().message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace freightliner::registry
