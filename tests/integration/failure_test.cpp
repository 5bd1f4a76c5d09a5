// Failures: each gets one clear line on stderr, a documented exit code, and leaves no new tag.
// Transient failures (500, 429, a cut connection) are absorbed by retries.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures/fault_proxy.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "integration/cli.hpp"

namespace freightliner::testing {
namespace {

using nlohmann::json;

class FailureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-failure");
    src_ = new Registry();
    dst_ = new Registry();
    OciLayout layout(dir_->Sub("oci"));
    layout.AddImage("v1",
                    {.layers = {{.size = 2u << 20, .seed = 201}, {.size = 1000, .seed = 202}}});
    SkopeoCopy(layout.Ref("v1"), "docker://" + src_->host() + "/team/app:v1");
  }
  static void TearDownTestSuite() {
    delete dst_;
    delete src_;
    delete dir_;
  }

  // Asserts the common contract of a failure: exit code, one "error:" line naming the error
  // code, and no tag at the destination.
  static void ExpectCleanFailure(const CliResult& r, int exit_code, const std::string& code,
                                 const std::string& dst_ref) {
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
    EXPECT_EQ(r.ErrorLines()[0].rfind("error: " + code + ":", 0), 0u) << r.ErrorLines()[0];
    if (!dst_ref.empty()) {
      EXPECT_FALSE(TagExists(dst_ref)) << dst_ref;
    }
  }

  static std::string Src() { return src_->host() + "/team/app:v1"; }

  static TempDir* dir_;
  static Registry* src_;
  static Registry* dst_;
};
TempDir* FailureTest::dir_ = nullptr;
Registry* FailureTest::src_ = nullptr;
Registry* FailureTest::dst_ = nullptr;

TEST_F(FailureTest, SourceCutMidBlobFailsWithoutATag) {
  FaultProxy src_proxy(src_->host());
  src_proxy.CutAfter("/blobs/sha256:", 100000, /*times=*/-1);  // every attempt dies mid-body
  const std::string dst = dst_->host() + "/cut/app:v1";
  CliResult r = Freightliner({"replicate", src_proxy.host() + "/team/app:v1", dst});
  ExpectCleanFailure(r, 1, "network", dst);
  // It retried the whole transfer before giving up.
  EXPECT_GE(src_proxy.Count("GET", "/blobs/sha256:"), 5);
}

TEST_F(FailureTest, ACutConnectionIsRetriedAndTheCopyCompletes) {
  FaultProxy src_proxy(src_->host());
  src_proxy.CutAfter("/blobs/sha256:", 50000, /*times=*/1);
  const std::string dst = dst_->host() + "/cut-once/app:v1";
  CliResult r = Freightliner({"replicate", src_proxy.host() + "/team/app:v1", dst});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawDigest(dst), RawDigest(Src()));
}

TEST_F(FailureTest, ServerErrorsAndRateLimitsAreRetried) {
  FaultProxy dst_proxy(dst_->host());
  dst_proxy.FailNext("POST", "/blobs/uploads/", 2, 500);
  dst_proxy.FailNext("HEAD", "/manifests/", 1, 429, "1");
  dst_proxy.FailNext("PUT", "/manifests/", 1, 503);
  CliResult r = Freightliner({"replicate", Src(), dst_proxy.host() + "/retry/app:v1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RawDigest(dst_->host() + "/retry/app:v1"), RawDigest(Src()));
  int injected = 0;
  for (const auto& e : dst_proxy.Log())
    injected += e.status == 500 || e.status == 429 || e.status == 503;
  EXPECT_EQ(injected, 4);
}

TEST_F(FailureTest, PersistentServerErrorsGiveUpWithServerError) {
  FaultProxy dst_proxy(dst_->host());
  dst_proxy.FailNext("POST", "/blobs/uploads/", 1000, 500);
  CliResult r = Freightliner({"replicate", Src(), dst_proxy.host() + "/down/app:v1"});
  ExpectCleanFailure(r, 1, "server_error", dst_->host() + "/down/app:v1");
}

TEST_F(FailureTest, ClientErrorsAreNotRetried) {
  FaultProxy dst_proxy(dst_->host());
  dst_proxy.FailNext("POST", "/blobs/uploads/", 1000, 400);
  CliResult r = Freightliner({"replicate", Src(), dst_proxy.host() + "/refused/app:v1"});
  ExpectCleanFailure(r, 1, "client_error", dst_->host() + "/refused/app:v1");
  // At most one attempt per blob (config and two layers, copied in parallel): a 400 is not
  // retried. Retrying would show five attempts per blob.
  EXPECT_LE(dst_proxy.Count("POST", "/blobs/uploads/"), 3);
}

TEST_F(FailureTest, AManifestPutRacingABlobLinkIsRetried) {
  // distribution 2.8 answers 400 DIGEST_INVALID while a mount rewrites the blob's link.
  FaultProxy dst_proxy(dst_->host());
  dst_proxy.FailNext("PUT", "/manifests/", 2, 400, "", "DIGEST_INVALID");
  CliResult r = Freightliner({"replicate", Src(), dst_proxy.host() + "/raced/app:v1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(dst_proxy.Count("PUT", "/manifests/"), 3);
  EXPECT_EQ(RawDigest(dst_->host() + "/raced/app:v1"), RawDigest(Src()));
  // Any other 400 on a manifest is not retried.
  dst_proxy.FailNext("PUT", "/manifests/", 5, 400, "", "MANIFEST_INVALID");
  r = Freightliner({"replicate", Src(), dst_proxy.host() + "/refused2/app:v1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(dst_proxy.Count("PUT", "/manifests/"), 4);
}

TEST_F(FailureTest, InvalidReference) {
  CliResult r = Freightliner({"replicate", "Bad Ref!", dst_->host() + "/x/y:v1"});
  ExpectCleanFailure(r, 2, "invalid_argument", "");
  EXPECT_NE(r.ErrorLines()[0].find("Bad Ref!"), std::string::npos);
}

TEST_F(FailureTest, UnknownHost) {
  const std::string dst = dst_->host() + "/unknown/app:v1";
  CliResult r = Freightliner({"replicate", "no-such-host.invalid/team/app:v1", dst});
  ExpectCleanFailure(r, 1, "network", dst);
  EXPECT_NE(r.ErrorLines()[0].find("no-such-host.invalid"), std::string::npos);
}

TEST_F(FailureTest, MissingTag) {
  const std::string dst = dst_->host() + "/missing/app:v9";
  CliResult r = Freightliner({"replicate", src_->host() + "/team/app:v9", dst});
  ExpectCleanFailure(r, 4, "not_found", dst);
  EXPECT_NE(r.ErrorLines()[0].find("team/app:v9"), std::string::npos);
}

TEST_F(FailureTest, WrongDigest) {
  const std::string wrong = "sha256:" + std::string(64, 'a');
  const std::string dst = dst_->host() + "/wrong/app:v1";
  CliResult r = Freightliner({"replicate", src_->host() + "/team/app@" + wrong, dst});
  ExpectCleanFailure(r, 4, "not_found", dst);
  CliResult mismatch = Freightliner({"replicate", Src(), dst_->host() + "/wrong/app@" + wrong});
  ExpectCleanFailure(mismatch, 2, "invalid_argument", "");
}

TEST_F(FailureTest, NotARegistry) {
  // The token issuer port speaks HTTP but is no registry.
  TokenIssuer issuer(dir_->Sub("issuer"));
  const std::string host = issuer.realm().substr(7, issuer.realm().find("/token") - 7);
  CliResult r = Freightliner({"replicate", host + "/team/app:v1", dst_->host() + "/nr/app:v1"});
  ExpectCleanFailure(r, 1, "client_error", dst_->host() + "/nr/app:v1");
}

}  // namespace
}  // namespace freightliner::testing
