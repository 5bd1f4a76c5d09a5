// The habits users bring from skopeo, crane and regctl, against real registries: global options
// after the command, `help CMD` and did-you-mean, the docker:// prefix (and a hint for other
// transports), and --tls-verify=false / --insecure for a command's own registries.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "integration/cli.hpp"
#include "registry/auth.hpp"

namespace freightliner::testing {
namespace {

using nlohmann::json;

const std::string kTransportHint =
    "; freightliner copies between registries: use docker://HOST/REPO:TAG or HOST/REPO:TAG";

class CliConventionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-conventions");
    src_ = new Registry();
    OciLayout layout(dir_->Sub("oci"));
    layout.AddImage("app", {.layers = {{.size = 3000, .seed = 71}}});
    SkopeoCopy(layout.Ref("app"), "docker://" + src_->host() + "/conv/app:v1");
  }
  static void TearDownTestSuite() {
    delete src_;
    delete dir_;
  }
  static std::string Src(const std::string& rest) { return src_->host() + "/" + rest; }
  // The same registry under a name that is not loopback, so TLS is verified unless told not to:
  // Linux connects 0.0.0.0 to the local host.
  static std::string Unverified(const Registry& r, const std::string& rest) {
    return "0.0.0.0:" + std::to_string(r.port()) + "/" + rest;
  }

  static TempDir* dir_;
  static Registry* src_;
};
TempDir* CliConventionsTest::dir_ = nullptr;
Registry* CliConventionsTest::src_ = nullptr;

TEST_F(CliConventionsTest, GlobalOptionsWorkAfterTheCommand) {
  Registry dst({.auth = RegistryAuth::kBasic});
  const std::string authfile = dir_->path() + "/auth.json";
  WriteFile(authfile, R"({"auths": {")" + dst.host() + R"(": {"auth": ")" +
                          registry::Base64Encode(dst.creds()) + R"("}}})");
  // The issue's example: --authfile between the command and its arguments, and it counts: the
  // destination takes no anonymous push.
  CliResult r = Freightliner({"replicate", "--authfile", authfile, "-o", "json", "--log-level",
                              "warn", Src("conv/app:v1"), dst.host() + "/copy/app"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["digest"], RawDigest(Src("conv/app:v1")));  // -o json honoured
  EXPECT_EQ(RawDigest(dst.host() + "/copy/app:v1", dst.creds()), RawDigest(Src("conv/app:v1")));
  CliResult anonymous = Freightliner({"replicate", Src("conv/app:v1"), dst.host() + "/anon/app"},
                                     {{"DOCKER_CONFIG", dir_->path() + "/none"}});
  EXPECT_EQ(anonymous.exit_code, 3) << anonymous.err;

  // --insecure-registry before and after the command: both lists count (each registry needs its
  // own entry to be reached as 0.0.0.0 without TLS).
  Registry plain;
  CliResult both =
      Freightliner({"--insecure-registry", "0.0.0.0:" + std::to_string(src_->port()), "replicate",
                    "--insecure-registry", "0.0.0.0:" + std::to_string(plain.port()),
                    Unverified(*src_, "conv/app:v1"), Unverified(plain, "both/app:v1")});
  EXPECT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(RawDigest(plain.host() + "/both/app:v1"), RawDigest(Src("conv/app:v1")));
}

TEST_F(CliConventionsTest, EachCommandsHelpListsTheOptionsThatApply) {
  for (const std::string command :
       {"replicate", "replicate-tree", "sync", "inspect", "list-tags", "checkpoint", "serve"}) {
    CliResult r = Freightliner({command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command;
    for (const char* option : {"--authfile", "--insecure-registry", "--log-level", "--log-format",
                               "--output", "--ca-file"}) {
      EXPECT_NE(r.out.find(option), std::string::npos) << command << " lacks " << option;
    }
    // `help CMD` prints the same.
    CliResult help = Freightliner({"help", command});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_EQ(help.out, r.out) << command;
  }
  CliResult replicate = Freightliner({"replicate", "--help"});
  for (const char* option : {"--tls-verify", "--insecure", "--src-tls-verify", "--dest-tls-verify"})
    EXPECT_NE(replicate.out.find(option), std::string::npos) << option;
  CliResult tree = Freightliner({"replicate-tree", "--help"});
  for (const char* text : {"--include-tag-regex", "--exclude-tag-regex", "--allow-empty",
                           "glob matched against the whole tag",
                           "RE2 regular expression matched against the whole tag"}) {
    EXPECT_NE(tree.out.find(text), std::string::npos) << text << "\n" << tree.out;
  }

  CliResult top = Freightliner({"--help"});
  CliResult help = Freightliner({"help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out, top.out);
  EXPECT_NE(help.out.find("replicate-tree"), std::string::npos);
}

TEST_F(CliConventionsTest, AMistypedCommandNamesTheClosest) {
  CliResult r = Freightliner({"replicat", Src("conv/app:v1"), "127.0.0.1:1/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(
      r.ErrorLines(),
      std::vector<std::string>{
          R"(error: invalid_argument: unknown command "replicat"; did you mean "replicate"?)"});
  // Global options with values before it are skipped over.
  CliResult sync = Freightliner({"--log-level", "warn", "-o", "json", "snyc"});
  EXPECT_EQ(sync.exit_code, 2);
  EXPECT_EQ(sync.ErrorLines(),
            std::vector<std::string>{
                R"(error: invalid_argument: unknown command "snyc"; did you mean "sync"?)"});
  CliResult far = Freightliner({"frobnicate"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_EQ(
      far.ErrorLines(),
      std::vector<std::string>{
          R"(error: invalid_argument: unknown command "frobnicate" (see: freightliner help))"});
  CliResult help = Freightliner({"help", "list-tag"});
  EXPECT_EQ(help.exit_code, 2);
  EXPECT_EQ(
      help.ErrorLines(),
      std::vector<std::string>{
          R"(error: invalid_argument: unknown command "list-tag"; did you mean "list-tags"?)"});
}

TEST_F(CliConventionsTest, DockerTransportPrefixIsAcceptedWhereverAReferenceIs) {
  Registry dst;
  const std::string digest = RawDigest(Src("conv/app:v1"));
  CliResult rep = Freightliner(
      {"replicate", "docker://" + Src("conv/app:v1"), "docker://" + dst.host() + "/d/app"});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_EQ(RawDigest(dst.host() + "/d/app:v1"), digest);

  CliResult ins = Freightliner({"-o", "json", "inspect", "docker://" + Src("conv/app:v1")});
  ASSERT_EQ(ins.exit_code, 0) << ins.err;
  EXPECT_EQ(json::parse(ins.out)["digest"], digest);
  CliResult tags = Freightliner({"list-tags", "docker://" + Src("conv/app")});
  EXPECT_EQ(tags.exit_code, 0) << tags.err;
  EXPECT_EQ(tags.out, "v1\n");

  CliResult tree = Freightliner({"replicate-tree", "--state-dir", dir_->path() + "/state",
                                 "docker://" + Src("conv"), "docker://" + dst.host() + "/tree"});
  ASSERT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_EQ(RawDigest(dst.host() + "/tree/app:v1"), digest);

  const std::string file = dir_->path() + "/docker-prefix.yaml";
  WriteFile(file, "mappings:\n  - source: docker://" + Src("conv/app") +
                      "\n    destination: docker://" + dst.host() + "/sync/app\n");
  CliResult sync = Freightliner({"sync", "--config", file, "--state-dir", dir_->path() + "/state"});
  ASSERT_EQ(sync.exit_code, 0) << sync.err;
  EXPECT_EQ(RawDigest(dst.host() + "/sync/app:v1"), digest);
}

TEST_F(CliConventionsTest, OtherTransportsAreRefusedWithAHint) {
  CliResult r = Freightliner({"replicate", "containers-storage:localhost/app:1", Src("x/y:1")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.ErrorLines(),
            std::vector<std::string>{
                "error: invalid_argument: transport containers-storage: is not supported" +
                kTransportHint});
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"replicate", Src("conv/app:v1"), "docker-daemon:app:1"},
        std::vector<std::string>{"inspect", "oci:/tmp/layout:v1"},
        std::vector<std::string>{"list-tags", "dir:/tmp/app"},
        std::vector<std::string>{"replicate-tree", "oci-archive:/tmp/a.tar", Src("m")}}) {
    CliResult t = Freightliner(args);
    EXPECT_EQ(t.exit_code, 2) << args[0] << ": " << t.err;
    ASSERT_EQ(t.ErrorLines().size(), 1u) << t.err;
    EXPECT_TRUE(t.ErrorLines()[0].ends_with(" is not supported" + kTransportHint))
        << t.ErrorLines()[0];
  }
  const std::string file = dir_->path() + "/transport.yaml";
  WriteFile(file, "mappings:\n  - source: " + Src("conv/app") +
                      "\n    destination: docker-archive:/tmp/a.tar\n");
  CliResult sync = Freightliner({"sync", "--config", file});
  EXPECT_EQ(sync.exit_code, 2);
  EXPECT_EQ(sync.ErrorLines(),
            std::vector<std::string>{"error: invalid_argument: " + file +
                                     ":3:18: mappings[0].destination: transport docker-archive: "
                                     "is not supported" +
                                     kTransportHint});
}

TEST_F(CliConventionsTest, TlsVerifyFalseAndInsecureApplyToTheCommandsRegistries) {
  Registry dst;
  const std::string image = Unverified(*src_, "conv/app:v1");
  const std::string digest = RawDigest(Src("conv/app:v1"));
  // Without a flag, TLS is required of a registry that is not loopback: this one speaks HTTP.
  CliResult verified = Freightliner({"inspect", image});
  EXPECT_EQ(verified.exit_code, 1) << verified.err;
  ASSERT_EQ(verified.ErrorLines().size(), 1u) << verified.err;
  // It says why, and names the flags.
  EXPECT_TRUE(verified.ErrorLines()[0].ends_with(
      " speaks plain HTTP, not HTTPS: if that is intended, allow it with --insecure-registry "
      "0.0.0.0:" +
      std::to_string(src_->port()) +
      " (or --tls-verify=false; in a sync or server config: insecure: true)"))
      << verified.ErrorLines()[0];

  for (const std::string flag : {"--tls-verify=false", "--insecure"}) {
    CliResult r = Freightliner({"-o", "json", "inspect", flag, image});
    ASSERT_EQ(r.exit_code, 0) << flag << ": " << r.err;
    EXPECT_EQ(json::parse(r.out)["digest"], digest);
  }
  CliResult tags = Freightliner({"list-tags", "--tls-verify=false", Unverified(*src_, "conv/app")});
  EXPECT_EQ(tags.exit_code, 0) << tags.err;
  EXPECT_EQ(tags.out, "v1\n");

  // One side only: the source unverified, the destination on loopback.
  CliResult src_side =
      Freightliner({"replicate", "--src-tls-verify=false", image, dst.host() + "/src-side/app"});
  EXPECT_EQ(src_side.exit_code, 0) << src_side.err;
  EXPECT_EQ(RawDigest(dst.host() + "/src-side/app:v1"), digest);
  // --src-tls-verify=false does not reach the destination.
  CliResult wrong_side = Freightliner(
      {"replicate", "--src-tls-verify=false", Src("conv/app:v1"), Unverified(dst, "no/app")});
  EXPECT_EQ(wrong_side.exit_code, 1) << wrong_side.err;
  EXPECT_FALSE(TagExists(dst.host() + "/no/app:v1"));
  CliResult dest_side = Freightliner(
      {"replicate", "--dest-tls-verify=false", Src("conv/app:v1"), Unverified(dst, "d/app")});
  EXPECT_EQ(dest_side.exit_code, 0) << dest_side.err;
  EXPECT_EQ(RawDigest(dst.host() + "/d/app:v1"), digest);

  CliResult tree = Freightliner({"replicate-tree", "--tls-verify=false", "--state-dir",
                                 dir_->path() + "/tls-state", Unverified(*src_, "conv"),
                                 Unverified(dst, "tree")});
  EXPECT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_EQ(RawDigest(dst.host() + "/tree/app:v1"), digest);
}

}  // namespace
}  // namespace freightliner::testing
