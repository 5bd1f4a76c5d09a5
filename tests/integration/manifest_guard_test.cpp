// The check before each manifest PUT (cluster mode asks whether the job's lease is still held
// there): against real registries, a refused check keeps the tag off the destination, and an
// allowed one is asked once per manifest pushed, an index's children included.

#include <gtest/gtest.h>

#include <atomic>

#include "fixtures/http.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "fixtures/temp_dir.hpp"
#include "http/transport.hpp"
#include "registry/client_pool.hpp"
#include "replication/copier.hpp"

namespace freightliner::testing {
namespace {

class ManifestGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OciLayout layout(dir_.Sub("oci"));
    layout.AddImage("single", {.layers = {{.size = 3000, .seed = 71}}});
    layout.AddIndex(
        "multi",
        {{.layers = {{.size = 2000, .seed = 72}}},
         {.os = "linux", .architecture = "arm64", .layers = {{.size = 2100, .seed = 73}}}});
    SkopeoCopy(layout.Ref("single"), "docker://" + src_.host() + "/team/app:single");
    SkopeoCopy(layout.Ref("multi"), "docker://" + src_.host() + "/team/app:multi", {"--all"});
  }

  Result<replication::CopyReport> Copy(const std::string& tag,
                                       std::function<Status()> before_manifest_put) {
    auto src = clients_.Get(src_.host(), registry::Role::kSource);
    auto dst = clients_.Get(dst_.host(), registry::Role::kDestination);
    if (!src || !dst) return tl::unexpected(src ? dst.error() : src.error());
    replication::Copier copier(**src, **dst,
                               {.before_manifest_put = std::move(before_manifest_put)});
    auto source = registry::ParseReference(src_.host() + "/team/app:" + tag);
    auto destination = registry::ParseReference(dst_.host() + "/mirror/app:" + tag);
    return copier.Copy(*source, *destination, std::stop_token());
  }
  long DestinationStatus(const std::string& tag) {
    return HttpCall("HEAD", "http://" + dst_.host() + "/v2/mirror/app/manifests/" + tag, "",
                    {{"Accept",
                      "application/vnd.oci.image.manifest.v1+json, "
                      "application/vnd.oci.image.index.v1+json"}})
        .status;
  }

  TempDir dir_{"freightliner-guard"};
  Registry src_;
  Registry dst_;
  std::shared_ptr<http::Transport> transport_ =
      std::make_shared<http::Transport>(http::TransportOptions{});
  registry::ClientPool clients_{
      {.insecure_hosts = {src_.host(), dst_.host()}, .read_credentials_from_env = false},
      transport_};
};

TEST_F(ManifestGuardTest, ARefusedCheckKeepsTheTagOffTheDestination) {
  std::atomic<int> asked{0};
  auto copied = Copy("single", [&]() -> Status {
    ++asked;
    return MakeError(ErrorCode::kCanceled, "lease lost");
  });
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error().code, ErrorCode::kCanceled);
  EXPECT_EQ(copied.error().message, "lease lost");
  EXPECT_EQ(asked.load(), 1);
  EXPECT_EQ(DestinationStatus("single"), 404);
}

TEST_F(ManifestGuardTest, AnAllowedCheckIsAskedOncePerManifestPushed) {
  std::atomic<int> asked{0};
  auto copied = Copy("multi", [&]() -> Status {
    ++asked;
    return Ok();
  });
  ASSERT_TRUE(copied) << copied.error().ToString();
  EXPECT_EQ(asked.load(), 3);  // two platform manifests, then the index
  EXPECT_EQ(DestinationStatus("multi"), 200);
  EXPECT_EQ(RawDigest(dst_.host() + "/mirror/app:multi"),
            RawDigest(src_.host() + "/team/app:multi"));
  // Up to date now: nothing is pushed, nothing is asked.
  asked = 0;
  ASSERT_TRUE(Copy("multi", [&]() -> Status {
    ++asked;
    return Ok();
  }));
  EXPECT_EQ(asked.load(), 0);
}

}  // namespace
}  // namespace freightliner::testing
