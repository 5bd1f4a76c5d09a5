#include "replication/sync_config.hpp"

#include <gtest/gtest.h>

namespace freightliner::replication {
namespace {

const char* kGood = R"(version: 1
workers: 6
registries:
  - host: ${SRC}
    insecure: true
    concurrency: 4
    rate_limit: 20.5
  - host: ghcr.io
    username: ${GH_USER}
    password: ${GH_TOKEN}
mappings:
  - source: docker://${SRC}/team/app
    destination: 127.0.0.1:5002/mirror/app
    tags:
      include: ['v\d+.*']
      exclude: ['.*-rc.*']
      semver: '>=1.2 <2'
      latest: 3
    platforms: [linux/amd64]
  - source: ${SRC}/team
    destination: 127.0.0.1:5002/mirror
    recursive: true
    include_repos: ['tools/*']
    allow_empty: true
    propagate_deletes: true
    tags: {list: [stable, "1.0"]}
)";

TEST(SyncConfigTest, ParsesEverySetting) {
  auto c = ParseSyncConfig(
      kGood, "sync.yaml",
      FixedEnvironment({{"SRC", "127.0.0.1:5001"}, {"GH_USER", "u"}, {"GH_TOKEN", "t"}}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->workers, 6);
  ASSERT_EQ(c->registries.size(), 2u);
  EXPECT_EQ(c->registries[0].host, "127.0.0.1:5001");
  EXPECT_TRUE(c->registries[0].insecure);
  EXPECT_EQ(c->registries[0].concurrency, 4);
  EXPECT_DOUBLE_EQ(c->registries[0].rate_limit, 20.5);
  ASSERT_TRUE(c->registries[1].credentials);
  EXPECT_EQ(c->registries[1].credentials->password, "t");
  EXPECT_EQ(c->Registry("ghcr.io"), &c->registries[1]);
  ASSERT_EQ(c->mappings.size(), 2u);
  const SyncMapping& m = c->mappings[0];
  EXPECT_EQ(m.source.String(), "127.0.0.1:5001/team/app");
  EXPECT_EQ(m.destination.path, "mirror/app");
  EXPECT_EQ(m.tags.include, (std::vector<std::string>{"v\\d+.*"}));
  EXPECT_FALSE(m.allow_empty);
  EXPECT_EQ(m.tags.latest, 3u);
  ASSERT_EQ(m.platforms.size(), 1u);
  EXPECT_EQ(m.platforms[0].architecture, "amd64");
  EXPECT_EQ(m.line, 12);
  EXPECT_TRUE(c->mappings[1].recursive);
  EXPECT_TRUE(c->mappings[1].allow_empty);
  EXPECT_FALSE(m.propagate_deletes);
  EXPECT_TRUE(c->mappings[1].propagate_deletes);
  EXPECT_EQ(c->mappings[1].repos.include, (std::vector<std::string>{"tools/*"}));
  EXPECT_EQ(c->mappings[1].tags.list, (std::vector<std::string>{"stable", "1.0"}));
}

// Each bad file must be refused with the file name and the line of the mistake.
struct BadCase {
  std::string yaml;
  const char* location;  // "file:line"
  const char* words;     // part of the message
};

class SyncConfigErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(SyncConfigErrorTest, NamesFileLineAndProblem) {
  auto c = ParseSyncConfig(GetParam().yaml, "bad.yaml", FixedEnvironment({}));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(c.error().message.find(GetParam().location), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find(GetParam().words), std::string::npos) << c.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    BadFiles, SyncConfigErrorTest,
    ::testing::Values(
        BadCase{"mappings:\n  - source: a.io/x\n    destinaton: b.io/y\n",
                "bad.yaml:3:", "unknown key \"destinaton\""},
        BadCase{"mappings:\n  - source: a.io/x\n", "bad.yaml:2:", "needs a destination"},
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    tags:\n"
                "      include: ['v(1']\n",
                "bad.yaml:5:", "v(1"},
        // ECMAScript took lookahead; RE2 (linear time) does not: refused at load, with its line.
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    tags:\n"
                "      exclude: ['^(?!v)']\n",
                "bad.yaml:5:", "invalid exclude-tag regex \"^(?!v)\""},
        // Patterns match whole tags: one that only worked as a substring search names the fix.
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    tags:\n"
                "      exclude: [-rc]\n",
                "bad.yaml:5:",
                "invalid exclude-tag regex \"-rc\": patterns match the whole tag and this one "
                "matches no tag (a tag starts with a letter, digit or _); for tags containing it "
                "write \".*-rc.*\""},
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    tags:\n"
                "      include: ['^v']\n",
                "bad.yaml:5:", "for tags starting with it write \"v.*\""},
        BadCase{"mappings:\n  - source: containers-storage:a.io/x\n    destination: b.io/y\n",
                "bad.yaml:2:",
                "mappings[0].source: transport containers-storage: is not supported; "
                "freightliner copies between registries: use docker://HOST/REPO:TAG"},
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    allow_empty: maybe\n",
                "bad.yaml:4:", "allow_empty"},
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    propagate_deletes: "
                "sometimes\n",
                "bad.yaml:4:", "propagate_deletes"},
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    tags:\n"
                "      include: ['" +
                    std::string(1100, 'a') + "']\n",
                "bad.yaml:5:", "longer than 1024 characters"},
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    tags:\n"
                "      list: ['v2#frag']\n",
                "bad.yaml:5:", "invalid tag \"v2#frag\""},
        BadCase{"mappings:\n  - source: a.io/" + std::string(50000, 'a') +
                    "\n    destination: b.io/y\n",
                "bad.yaml:2:", "longer than 4096 bytes"},
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    tags:\n"
                "      semver: '>=banana'\n",
                "bad.yaml:5:", "semver"},
        BadCase{"mappings:\n  - source: a.io/X\n    destination: b.io/y\n",
                "bad.yaml:2:", "lowercase"},
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/${NOPE}\n",
                "bad.yaml:3:", "NOPE is not set"},
        BadCase{"registries:\n  - host: a.io\n    concurrency: -2\nmappings: []\n",
                "bad.yaml:3:", "concurrency"},
        BadCase{"registries:\n  - host: a.io\n    username: u\nmappings: []\n",
                "bad.yaml:2:", "both username and password"},
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    platforms: [linux]\n",
                "bad.yaml:4:", "platform"},
        BadCase{"mappings: [\n", "bad.yaml:", "invalid YAML"},
        BadCase{"mappings: []\n", "bad.yaml:1:", "non-empty list"},
        BadCase{"mappings:\n  - source: a.io/x\n    destination: b.io/y\n    include_repos: [a]\n",
                "bad.yaml:2:", "recursive"}));

TEST(ExpandEnvTest, DefaultsAndEscapes) {
  auto env = FixedEnvironment({{"A", "1"}, {"EMPTY", ""}});
  EXPECT_EQ(*ExpandEnv("x${A}y", env), "x1y");
  EXPECT_EQ(*ExpandEnv("${B:-two}", env), "two");
  EXPECT_EQ(*ExpandEnv("${EMPTY:-dflt}", env), "dflt");
  EXPECT_EQ(*ExpandEnv("cost $$5 and $HOME", env), "cost $5 and $HOME");
  EXPECT_FALSE(ExpandEnv("${B}", env));
  EXPECT_FALSE(ExpandEnv("${A", env));
}

}  // namespace
}  // namespace freightliner::replication
