// A tag deleted at the source, deleted at the destination (propagate_deletes), against real
// registries: distribution 2.8 deletes only by digest, so the cases where that would take other
// tags along are real here.

#include "replication/tag_delete.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "fixtures/http.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "fixtures/temp_dir.hpp"
#include "http/transport.hpp"
#include "registry/client_pool.hpp"

namespace freightliner::testing {
namespace {

using replication::PropagateTagDelete;
using replication::TagDelete;
using Kind = replication::TagDeleteOutcome::Kind;

class TagDeleteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OciLayout layout(dir_.Sub("oci"));
    layout.AddImage("shared", {.layers = {{.size = 2000, .seed = 81}}});
    layout.AddImage("solo", {.layers = {{.size = 2100, .seed = 82}}});
    shared_ = layout.Ref("shared");
    solo_ = layout.Ref("solo");
  }

  void Push(const std::string& image, const Registry& registry, const std::string& ref) {
    SkopeoCopy(image, "docker://" + registry.host() + "/" + ref);
  }
  long Status(const Registry& registry, const std::string& repo, const std::string& tag) {
    return HttpCall("HEAD", "http://" + registry.host() + "/v2/" + repo + "/manifests/" + tag, "",
                    {{"Accept", "application/vnd.oci.image.manifest.v1+json"}})
        .status;
  }
  Result<replication::TagDeleteOutcome> Delete(const std::string& tag, TagDelete request = {}) {
    auto src = clients_.Get(src_.host(), registry::Role::kSource);
    auto dst = clients_.Get(dst_.host(), registry::Role::kDestination);
    if (!src || !dst) return tl::unexpected(src ? dst.error() : src.error());
    request.source_repository = "team/app";
    request.destination_repository = "mirror/app";
    request.tag = tag;
    if (!request.mirrored) request.mirrored = [](const std::string&) { return true; };
    return PropagateTagDelete(**src, **dst, request, std::stop_token());
  }

  TempDir dir_{"freightliner-tag-delete"};
  Registry src_;
  Registry dst_;
  std::string shared_, solo_;
  std::shared_ptr<http::Transport> transport_ =
      std::make_shared<http::Transport>(http::TransportOptions{});
  registry::ClientPool clients_{
      {.insecure_hosts = {src_.host(), dst_.host()}, .read_credentials_from_env = false},
      transport_};
};

TEST_F(TagDeleteTest, ATagGoneFromTheSourceGoesFromTheDestination) {
  Push(solo_, src_, "team/app:keep");  // the repository exists at the source; the tag does not
  Push(solo_, dst_, "mirror/app:gone");
  auto deleted = Delete("gone");
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_EQ(deleted->kind, Kind::kDeleted);
  EXPECT_EQ(deleted->digest.rfind("sha256:", 0), 0u);
  EXPECT_TRUE(deleted->also_gone.empty());
  EXPECT_EQ(Status(dst_, "mirror/app", "gone"), 404);
  EXPECT_EQ(replication::DescribeTagDelete("d/mirror/app:gone", *deleted),
            "deleted d/mirror/app:gone (" + deleted->digest + ")");

  // Again (a repeated event): nothing left to delete.
  auto again = Delete("gone");
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->kind, Kind::kAbsent);
}

TEST_F(TagDeleteTest, ATagBackAtTheSourceIsKeptAndTheDestinationNotAsked) {
  Push(solo_, src_, "team/app:back");
  Push(solo_, dst_, "mirror/app:back");
  std::atomic<int> asked{0};
  auto kept = Delete("back", {.before_delete = [&]() -> freightliner::Status {
                       ++asked;
                       return Ok();
                     }});
  ASSERT_TRUE(kept) << kept.error().ToString();
  EXPECT_EQ(kept->kind, Kind::kStillAtSource);
  EXPECT_EQ(asked.load(), 0);
  EXPECT_EQ(Status(dst_, "mirror/app", "back"), 200);
}

TEST_F(TagDeleteTest, ARefusedLeaseCheckDeletesNothing) {
  Push(solo_, dst_, "mirror/app:leased");
  auto refused = Delete("leased", {.before_delete = []() -> freightliner::Status {
                          return MakeError(ErrorCode::kCanceled, "lease lost");
                        }});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kCanceled);
  EXPECT_EQ(Status(dst_, "mirror/app", "leased"), 200);
}

// distribution 2.8 refuses a tag alone (400): the delete goes by digest, which takes every tag at
// that digest. Only tags this sync mirrors and the source deleted too may go with it.
TEST_F(TagDeleteTest, ADeleteByDigestTakesAlongOnlyTagsTheSourceDeletedToo) {
  Push(shared_, dst_, "mirror/app:a");
  Push(shared_, dst_, "mirror/app:b");
  Push(solo_, dst_, "mirror/app:other");  // another digest: never touched
  Push(shared_, src_, "team/app:b");

  auto still_at_source = Delete("a");
  ASSERT_FALSE(still_at_source);
  EXPECT_EQ(still_at_source.error().code, ErrorCode::kClientError);
  EXPECT_NE(still_at_source.error().message.find("also its tag b, still at the source"),
            std::string::npos)
      << still_at_source.error().message;
  EXPECT_EQ(Status(dst_, "mirror/app", "a"), 200);
  EXPECT_EQ(Status(dst_, "mirror/app", "b"), 200);

  // The source deletes b too (by digest: distribution has no other way).
  const std::string digest = RawDigest(src_.host() + "/team/app:b");
  ASSERT_EQ(HttpCall("DELETE", "http://" + src_.host() + "/v2/team/app/manifests/" + digest).status,
            202);
  auto not_mirrored = Delete("a", {.mirrored = [](const std::string& tag) { return tag != "b"; }});
  ASSERT_FALSE(not_mirrored);
  EXPECT_NE(not_mirrored.error().message.find("also its tag b, which this sync does not mirror"),
            std::string::npos)
      << not_mirrored.error().message;
  EXPECT_EQ(Status(dst_, "mirror/app", "a"), 200);

  auto deleted = Delete("a");
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_EQ(deleted->kind, Kind::kDeleted);
  EXPECT_EQ(deleted->digest, digest);
  EXPECT_EQ(deleted->also_gone, (std::vector<std::string>{"b"}));
  EXPECT_EQ(Status(dst_, "mirror/app", "a"), 404);
  EXPECT_EQ(Status(dst_, "mirror/app", "b"), 404);
  EXPECT_EQ(Status(dst_, "mirror/app", "other"), 200);
}

}  // namespace
}  // namespace freightliner::testing
