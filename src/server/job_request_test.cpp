#include "server/job_request.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace freightliner::server {
namespace {

using nlohmann::json;

ServerConfig AllowOnly(std::vector<std::string> patterns) {
  ServerConfig config;
  config.allowed_registries = std::move(patterns);
  return config;
}

TEST(ValidateJobRequestTest, StoresTheCheckedFieldsOnly) {
  const ServerConfig config = AllowOnly({"src.example", "dst.example:5000"});
  const json request = json::parse(
      R"({"dry_run": true, "destination": "dst.example:5000/b", "source": "src.example/a:1"})");
  auto stored = ValidateJobRequest("replicate", request, config);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(*stored, request);
  EXPECT_EQ(stored->dump(),
            R"({"destination":"dst.example:5000/b","dry_run":true,"source":"src.example/a:1"})");
}

TEST(ValidateJobRequestTest, RefusesWhatIsNotAsked) {
  const ServerConfig config = AllowOnly({"*"});
  const std::string long_text(kMaxRequestString + 1, 'a');
  json too_many = json::array();
  for (size_t i = 0; i <= kMaxRequestListEntries; ++i)
    too_many.push_back("t" + std::to_string(i));
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array(), "JSON object"},
      {{{"source", "a.example/x:1"}, {"destination", "b.example/y"}, {"extra", 1}},
       "unknown field \"extra\""},
      {{{"source", "a.example/" + long_text}, {"destination", "b.example/y"}}, "at most 4096"},
      {{{"source", "a.example/x"}, {"destination", "b.example/y"}, {"platforms", too_many}},
       "at most 256"},
      {{{"source", ""}, {"destination", "b.example/y"}}, "\"source\" is required"},
  };
  for (const auto& [request, says] : cases) {
    auto stored = ValidateJobRequest("replicate", request, config);
    ASSERT_FALSE(stored) << request.dump().substr(0, 200);
    EXPECT_EQ(stored.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(stored.error().message.find(says), std::string::npos) << stored.error().message;
  }
  EXPECT_FALSE(ValidateJobRequest("delete-everything", json::object(), config));
}

TEST(ValidateJobRequestTest, DockerTransportIsAcceptedOthersAreRefusedWithAHint) {
  const ServerConfig config = AllowOnly({"src.example", "dst.example"});
  auto prepared = PrepareJob(
      "replicate",
      {{"source", "docker://src.example/a:1"}, {"destination", "docker://dst.example/b"}}, config);
  ASSERT_TRUE(prepared) << prepared.error().message;
  EXPECT_EQ(prepared->task->source.String(), "src.example/a:1");
  EXPECT_EQ(prepared->task->destination.String(), "dst.example/b:1");
  auto tree = PrepareJob(
      "replicate-tree", {{"source", "docker://src.example/team"}, {"destination", "dst.example/m"}},
      config);
  ASSERT_TRUE(tree) << tree.error().message;
  EXPECT_EQ(tree->mappings.at(0).source.String(), "src.example/team");
  // The allow list sees the registry, not the prefix.
  EXPECT_TRUE(ValidateJobRequest(
      "replicate", {{"source", "docker://src.example/a:1"}, {"destination", "dst.example/b"}},
      config));

  auto bad = ValidateJobRequest(
      "replicate",
      {{"source", "containers-storage:src.example/a:1"}, {"destination", "dst.example/b"}}, config);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message,
            "source: transport containers-storage: is not supported; freightliner copies between "
            "registries: use docker://HOST/REPO:TAG or HOST/REPO:TAG");
}

TEST(ValidateJobRequestTest, TagRegexesMatchWholeTagsAndSubstringPatternsAreRefused) {
  const ServerConfig config = AllowOnly({"*"});
  auto ok = PrepareJob("replicate-tree",
                       {{"source", "a.example/team"},
                        {"destination", "b.example/m"},
                        {"include_tags", {"v1.*"}},
                        {"allow_empty", true}},
                       config);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->mappings.at(0).tags.include, (std::vector<std::string>{"v1.*"}));
  EXPECT_TRUE(ok->mappings.at(0).allow_empty);
  auto bad = ValidateJobRequest(
      "replicate-tree",
      {{"source", "a.example/team"}, {"destination", "b.example/m"}, {"exclude_tags", {"-rc"}}},
      config);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("invalid exclude-tag regex \"-rc\""), std::string::npos)
      << bad.error().message;
  EXPECT_NE(bad.error().message.find("write \".*-rc.*\""), std::string::npos);
}

TEST(ValidateJobRequestTest, RegistriesOutsideTheAllowListAreRefusedWithOneMessage) {
  const ServerConfig config = AllowOnly({"*.internal.example", "127.0.0.1:*"});
  EXPECT_TRUE(ValidateJobRequest(
      "replicate", {{"source", "a.internal.example/x:1"}, {"destination", "127.0.0.1:5000/x"}},
      config));
  EXPECT_TRUE(ValidateJobRequest(
      "replicate-tree", {{"source", "a.internal.example/team"}, {"destination", "127.0.0.1:1/m"}},
      config));
  std::set<std::string> messages;
  for (const char* outside : {"ghcr.io", "10.0.0.1:5000", "internal.example", "127.0.0.2:5000"}) {
    for (const std::string type : {"replicate", "replicate-tree"}) {
      auto as_source = ValidateJobRequest(
          type, {{"source", std::string(outside) + "/x"}, {"destination", "127.0.0.1:1/x"}},
          config);
      ASSERT_FALSE(as_source) << outside;
      EXPECT_EQ(as_source.error().code, ErrorCode::kAuth);
      messages.insert(as_source.error().message);
      auto as_destination = ValidateJobRequest(
          type, {{"source", "a.internal.example/x"}, {"destination", std::string(outside) + "/x"}},
          config);
      ASSERT_FALSE(as_destination) << outside;
      EXPECT_EQ(as_destination.error().code, ErrorCode::kAuth);
      messages.insert(as_destination.error().message);
    }
  }
  // One message per field, whatever the host: nothing about the registry itself.
  EXPECT_EQ(messages.size(), 2u);
  // No list at all (a config not loaded through LoadServerConfig): nothing is allowed.
  EXPECT_FALSE(ValidateJobRequest(
      "replicate", {{"source", "a.internal.example/x:1"}, {"destination", "127.0.0.1:1/x"}},
      ServerConfig{}));
}

TEST(ValidateJobRequestTest, NamedSyncsAreTrustedWhateverTheAllowList) {
  const std::string file = ::testing::TempDir() + "job-request-sync.yaml";
  std::ofstream(file) << "mappings:\n  - source: a.example/x\n    destination: b.example/y\n";
  ServerConfig config = AllowOnly({});
  config.syncs = {{"mirror", file}};
  auto stored = ValidateJobRequest("sync", {{"name", "mirror"}, {"force", true}}, config);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(*stored, (json{{"force", true}, {"name", "mirror"}}));
  auto unknown = ValidateJobRequest("sync", {{"name", "other"}}, config);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("no sync named"), std::string::npos);
}

TEST(PrepareJobTest, ADeleteKeepsOnlyTheMappingsThatPropagateDeletes) {
  const std::string file = ::testing::TempDir() + "job-request-delete.yaml";
  std::ofstream(file) << "mappings:\n"
                         "  - source: a.example/x\n    destination: b.example/y\n"
                         "    propagate_deletes: true\n"
                         "  - source: a.example/x\n    destination: c.example/y\n"
                         "  - source: a.example/z\n    destination: c.example/z\n";
  ServerConfig config;
  config.syncs = {{"mirror", file}};
  const json tag = {{"name", "mirror"},
                    {"registry", "a.example"},
                    {"repository", "x"},
                    {"tag", "v1"},
                    {"delete", true}};
  auto prepared = PrepareJob("sync", tag, config);
  ASSERT_TRUE(prepared) << prepared.error().message;
  ASSERT_EQ(prepared->mappings.size(), 1u);
  EXPECT_EQ(prepared->mappings[0].destination.String(), "b.example/y");
  ASSERT_TRUE(prepared->deletion);
  EXPECT_EQ(prepared->deletion->size(), 3u);  // the whole file's, to judge other tags

  json other = tag;
  other["repository"] = "z";
  auto refused = PrepareJob("sync", other, config);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("does not propagate deletes"), std::string::npos);

  auto untargeted = PrepareJob("sync", {{"name", "mirror"}, {"delete", true}}, config);
  ASSERT_FALSE(untargeted);
  EXPECT_NE(untargeted.error().message.find("delete needs registry, repository and tag"),
            std::string::npos);
  json dry = tag;
  dry["dry_run"] = true;
  EXPECT_FALSE(PrepareJob("sync", dry, config));
  auto copy = PrepareJob("sync", {{"name", "mirror"}}, config);
  ASSERT_TRUE(copy);
  EXPECT_FALSE(copy->deletion);
}

TEST(PrepareJobTest, TheServersRetryPolicyReachesTheClientPool) {
  ServerConfig config = AllowOnly({});
  config.retry.max_attempts = 1;  // `serve --retry-times 0`
  auto prepared = PrepareJob(
      "replicate", {{"source", "a.example/x:1"}, {"destination", "b.example/y:1"}}, config);
  ASSERT_TRUE(prepared) << prepared.error().message;
  EXPECT_EQ(prepared->pool.retry.max_attempts, 1);
}

}  // namespace
}  // namespace freightliner::server
