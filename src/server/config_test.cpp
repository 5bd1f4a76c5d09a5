#include "server/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

namespace freightliner::server {
namespace {

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ServerConfigTest, DefaultsWithoutAFile) {
  auto c = LoadServerConfig({}, FixedEnvironment({{"FREIGHTLINER_API_KEY", "k"}}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->api_addr, "0.0.0.0:8080");
  EXPECT_EQ(c->metrics_addr, "0.0.0.0:2112");
  EXPECT_EQ(c->api_keys, std::vector<std::string>{"k"});
  EXPECT_EQ(c->job_retention, std::chrono::hours(24 * 7));
  EXPECT_EQ(c->max_jobs, 10000);
  ASSERT_TRUE(c->allowed_registries.has_value());
  EXPECT_TRUE(c->allowed_registries->empty());
}

TEST(ServerConfigTest, NoKeyOnANetworkAddressRefusesToStartUnlessAllowed) {
  auto c = LoadServerConfig({}, FixedEnvironment({}));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("0.0.0.0:8080"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("--allow-unauthenticated"), std::string::npos);
  EXPECT_NE(c.error().message.find("FREIGHTLINER_API_KEY"), std::string::npos);
  EXPECT_TRUE(LoadServerConfig({.allow_unauthenticated = true}, FixedEnvironment({})));
  EXPECT_TRUE(LoadServerConfig({.config = WriteTemp("open.yaml", "allow_unauthenticated: true\n")},
                               FixedEnvironment({})));
  for (const char* loopback : {"127.0.0.1:80", "127.9.8.7:1", "localhost:8080", "[::1]:8080"}) {
    EXPECT_TRUE(LoadServerConfig({.api_addr = loopback}, FixedEnvironment({}))) << loopback;
  }
  for (const char* open : {"0.0.0.0:80", "10.0.0.1:80", "[::]:8080", ":8080", "127.0.0.1.nip.io:80",
                           "example.com:80"}) {
    EXPECT_FALSE(LoadServerConfig({.api_addr = open}, FixedEnvironment({}))) << open;
  }
}

TEST(ServerConfigTest, AllowedRegistriesDefaultToTheNamedHostsAndMatchPatterns) {
  const std::string sync =
      WriteTemp("allow-sync.yaml",
                "mappings:\n  - source: src.example:5000/a\n    destination: dst.example/b\n");
  const std::string file = WriteTemp("allow.yaml",
                                     "api_addr: 127.0.0.1:1\nregistries:\n  - host: creds.example\n"
                                     "syncs:\n  - name: s\n    file: " +
                                         sync + "\n");
  auto c = LoadServerConfig({.config = file}, FixedEnvironment({}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(*c->allowed_registries,
            (std::vector<std::string>{"creds.example", "dst.example", "src.example:5000"}));
  EXPECT_TRUE(RegistryAllowed(*c, "src.example:5000"));
  EXPECT_FALSE(RegistryAllowed(*c, "src.example:5001"));
  EXPECT_FALSE(RegistryAllowed(*c, "src.example"));
  EXPECT_FALSE(RegistryAllowed(*c, "evil.example"));

  EXPECT_TRUE(RegistryMatches("*.example.com", "a.example.com"));
  EXPECT_TRUE(RegistryMatches("*.example.com", "A.B.Example.com"));
  EXPECT_FALSE(RegistryMatches("*.example.com", "example.com"));
  EXPECT_FALSE(RegistryMatches("*.example.com", "a.example.com:5000"));
  EXPECT_FALSE(RegistryMatches("*.example.com", "evilexample.com"));
  EXPECT_TRUE(RegistryMatches("127.0.0.1:*", "127.0.0.1:5000"));
  EXPECT_TRUE(RegistryMatches("127.0.0.1:*", "127.0.0.1"));
  EXPECT_FALSE(RegistryMatches("127.0.0.1:*", "127.0.0.10:5000"));
  EXPECT_TRUE(RegistryMatches("[::1]:5000", "[::1]:5000"));

  auto explicit_empty =
      LoadServerConfig({.config = WriteTemp("none.yaml",
                                            "api_addr: 127.0.0.1:1\nallowed_registries: []\n"
                                            "registries:\n  - host: creds.example\n")},
                       FixedEnvironment({}));
  ASSERT_TRUE(explicit_empty);
  EXPECT_FALSE(RegistryAllowed(*explicit_empty, "creds.example"));

  for (const char* bad : {"a*b*c", "host/path", "host:port", "host:", "", "ho st"}) {
    EXPECT_FALSE(CheckRegistryPattern(bad)) << bad;
    auto parsed = ParseServerConfig(std::string("allowed_registries: [\"") + bad + "\"]\n",
                                    "t.yaml", FixedEnvironment({}));
    EXPECT_FALSE(parsed) << bad;
  }
}

TEST(ServerConfigTest, RetentionSettings) {
  auto c = ParseServerConfig("job_retention: 2d\nmax_jobs: 50\n", "t.yaml", FixedEnvironment({}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->job_retention, std::chrono::hours(48));
  EXPECT_EQ(c->max_jobs, 50);
  EXPECT_FALSE(ParseServerConfig("max_jobs: 0\n", "t.yaml", FixedEnvironment({})));
}

TEST(ServerConfigTest, FlagsOverrideTheEnvironmentWhichOverridesTheFile) {
  const std::string file =
      WriteTemp("srv1.yaml",
                "api_addr: 127.0.0.1:1000\nmetrics_addr: 127.0.0.1:1001\nstate_dir: /from/file\n"
                "workers: 3\n");
  const auto env = FixedEnvironment({{"FREIGHTLINER_API_ADDR", "127.0.0.1:2000"},
                                     {"FREIGHTLINER_METRICS_ADDR", "127.0.0.1:2001"},
                                     {"FREIGHTLINER_WORKERS", "5"}});
  // The file alone.
  auto c = LoadServerConfig({.config = file}, FixedEnvironment({}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->api_addr, "127.0.0.1:1000");
  EXPECT_EQ(c->state_dir, "/from/file");
  EXPECT_EQ(c->workers, 3);
  // The environment over the file.
  c = LoadServerConfig({.config = file}, env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->api_addr, "127.0.0.1:2000");
  EXPECT_EQ(c->metrics_addr, "127.0.0.1:2001");
  EXPECT_EQ(c->state_dir, "/from/file");
  EXPECT_EQ(c->workers, 5);
  // Flags over both; what no flag sets keeps the environment's (or the file's) value.
  c = LoadServerConfig({.config = file, .api_addr = "127.0.0.1:3000", .state_dir = "/from/flag"},
                       env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->api_addr, "127.0.0.1:3000");
  EXPECT_EQ(c->metrics_addr, "127.0.0.1:2001");
  EXPECT_EQ(c->state_dir, "/from/flag");
  EXPECT_EQ(c->workers, 5);
}

TEST(ServerConfigTest, DrainDelayFromFileThenEnvironmentThenFlag) {
  const EnvLookup no_env = FixedEnvironment({});
  auto c = LoadServerConfig({.api_addr = "127.0.0.1:1"}, no_env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->drain_delay, std::chrono::seconds(5));  // the default

  const std::string file = WriteTemp("drain.yaml", "api_addr: 127.0.0.1:1\ndrain_delay: 20s\n");
  c = LoadServerConfig({.config = file}, no_env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->drain_delay, std::chrono::seconds(20));

  const EnvLookup env = FixedEnvironment({{"FREIGHTLINER_DRAIN_DELAY", "1m"}});
  c = LoadServerConfig({.config = file}, env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->drain_delay, std::chrono::seconds(60));

  c = LoadServerConfig({.config = file, .drain_delay = "0"}, env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->drain_delay, std::chrono::seconds(0));  // 0 disables it
  c = LoadServerConfig({.config = file, .drain_delay = "2s"}, env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->drain_delay, std::chrono::seconds(2));
  c = LoadServerConfig(
      {.config = WriteTemp("drain0.yaml", "api_addr: 127.0.0.1:1\ndrain_delay: 0s\n")}, no_env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->drain_delay, std::chrono::seconds(0));
}

TEST(ServerConfigTest, BadDrainDelaysAreRefusedNamingWhereTheyCameFrom) {
  const EnvLookup no_env = FixedEnvironment({});
  for (const char* bad : {"-1s", "5x", "soon", "", "11m", "1h"}) {
    auto c = LoadServerConfig(
        {.config = WriteTemp("bad-drain.yaml",
                             std::string("api_addr: 127.0.0.1:1\ndrain_delay: \"") + bad + "\"\n")},
        no_env);
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message.find("bad-drain.yaml:2:"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("drain_delay must be a duration"), std::string::npos)
        << c.error().message;
  }
  auto c = LoadServerConfig({.api_addr = "127.0.0.1:1"},
                            FixedEnvironment({{"FREIGHTLINER_DRAIN_DELAY", "later"}}));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("FREIGHTLINER_DRAIN_DELAY must be a duration"),
            std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find("\"later\""), std::string::npos) << c.error().message;
  c = LoadServerConfig({.api_addr = "127.0.0.1:1", .drain_delay = "3 s"}, no_env);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("--drain-delay must be a duration"), std::string::npos)
      << c.error().message;
  c = LoadServerConfig({.api_addr = "127.0.0.1:1", .drain_delay = "10m"}, no_env);
  ASSERT_TRUE(c) << c.error().message;  // the bound itself
  EXPECT_EQ(c->drain_delay, kMaxDrainDelay);
}

TEST(ServerConfigTest, ApiKeysFromFileAndEnvironment) {
  const std::string keys = WriteTemp("keys", "# ops team\nkey-one\n\n  key-two  \n");
  const std::string file = WriteTemp("srv2.yaml", "api_keys_file: " + keys + "\n");
  auto c =
      LoadServerConfig({.config = file}, FixedEnvironment({{"FREIGHTLINER_API_KEY", "key-three"}}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->api_keys, (std::vector<std::string>{"key-one", "key-two", "key-three"}));
  const std::string empty = WriteTemp("nokeys", "# nothing\n");
  c = LoadServerConfig({.config = WriteTemp("srv3.yaml", "api_keys_file: " + empty + "\n")},
                       FixedEnvironment({}));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("holds no key"), std::string::npos);
}

TEST(ServerConfigTest, ErrorsSayWhereAndWhat) {
  const std::map<std::string, std::string> cases = {
      {"workerz: 3\n", "t.yaml:1:1: unknown key \"workerz\""},
      {"workers: many\n", "t.yaml:1:10: workers must be a number"},
      {"workers: 0\n", "workers must be a number >= 1"},
      {"shutdown_timeout: soon\n", "shutdown_timeout must be a duration"},
      {"schedules:\n  - sync: ghost\n    every: 5m\n", "unknown sync \"ghost\""},
      {"syncs:\n  - name: a\n    file: a.yaml\n  - name: a\n    file: b.yaml\n", "defined twice"},
      {"api_addr: [1, 2]\n", "api_addr must be a string"},
      {"workers: 2\nregistries:\n  - host: r.example\n    passwd: x\n",
       "t.yaml:4:5: unknown key \"passwd\" in registries[0]"},
      {"registries:\n  - host: ${NOT_SET}\n", "t.yaml:2:11: registries[0].host: environment"},
  };
  for (const auto& [text, says] : cases) {
    auto c = ParseServerConfig(text, "t.yaml", FixedEnvironment({}));
    ASSERT_FALSE(c) << text;
    EXPECT_NE(c.error().message.find(says), std::string::npos) << c.error().message;
  }
  auto c =
      LoadServerConfig({.api_addr = "no-port"}, FixedEnvironment({{"FREIGHTLINER_API_KEY", "k"}}));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("HOST:PORT"), std::string::npos);
}

TEST(ServerConfigTest, SyncFilesAreCheckedAtStart) {
  const std::string bad_sync = WriteTemp("bad-sync.yaml", "mappings:\n  - sauce: x\n");
  const std::string file =
      WriteTemp("srv4.yaml", "syncs:\n  - name: nightly\n    file: " + bad_sync + "\n");
  auto c = LoadServerConfig({.config = file}, FixedEnvironment({}));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("sync nightly"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("sauce"), std::string::npos) << c.error().message;
}

// Cluster mode: the DSN from the file or FREIGHTLINER_STATE_DSN, the password from a file (a
// Secret's mount), and no message that quotes the DSN (it may hold a password).
TEST(ServerConfigTest, SharedStateFromFileOrEnvironmentWithThePasswordFromAFile) {
  const std::string password = WriteTemp("state-password", "s3cr3t-pw\n");
  auto c = LoadServerConfig({.config = WriteTemp("state.yaml",
                                                 "state: postgresql://fl@db.internal/freightliner\n"
                                                 "state_password_file: " +
                                                     password + "\njob_lease: 12s\n"),
                             .allow_unauthenticated = true},
                            FixedEnvironment({}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->state_dsn, "postgresql://fl@db.internal/freightliner");
  EXPECT_EQ(c->state_password, "s3cr3t-pw");
  EXPECT_EQ(c->job_lease, std::chrono::seconds(12));

  auto env =
      LoadServerConfig({.allow_unauthenticated = true},
                       FixedEnvironment({{"FREIGHTLINER_STATE_DSN", "postgres://fl:pw@db/fl"}}));
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_EQ(env->state_dsn, "postgres://fl:pw@db/fl");
  EXPECT_EQ(env->job_lease, std::chrono::seconds(30));
}

TEST(ServerConfigTest, BadSharedStateSettingsAreRefusedWithoutQuotingTheDsn) {
  const auto refused = [](const std::string& yaml, const std::string& says) {
    auto c = LoadServerConfig(
        {.config = WriteTemp("bad-state.yaml", yaml), .allow_unauthenticated = true},
        FixedEnvironment({}));
    EXPECT_FALSE(c) << yaml;
    if (c) return;
    EXPECT_NE(c.error().message.find(says), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find("hunter2"), std::string::npos) << c.error().message;
  };
  refused("state: mysql://u:hunter2@db/x\n", "postgres://");
  refused("state: /var/lib/freightliner\n", "state_dir");
  refused("state_password_file: /etc/passwd\n", "set state: postgres://");
  refused("state: postgres://u:hunter2@db/x\nstate_password_file: /no/such/file\n",
          "cannot be read");
  refused("state: postgres://u:hunter2@db/x\nstate_password_file: " +
              WriteTemp("empty-password", "\n") + "\n",
          "is empty");
  refused("state: postgres://u:hunter2@db/x\nstate_password_file: " +
              WriteTemp("long-password", std::string(5000, 'p') + "\n") + "\n",
          "over 4096 bytes");
  refused("state: postgres://u:hunter2@db/x\nstate_password_file: " +
              WriteTemp("nul-password", std::string("pass\0word\n", 10)) + "\n",
          "NUL byte");
  refused("state: postgres://u:hunter2@db/x\nstate_password_file: /tmp\n", "cannot be read");
  refused("job_lease: 1s\n", "between 3s and 1h");
  refused("job_lease: 2h\n", "between 3s and 1h");
}

}  // namespace
}  // namespace freightliner::server
