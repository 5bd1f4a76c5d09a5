#include "registry/image_config.hpp"

#include <gtest/gtest.h>

namespace freightliner::registry {
namespace {

TEST(ImageConfig, ReadsTheFieldsInspectShows) {
  auto c = ParseImageConfig(R"({"architecture": "arm64", "os": "linux", "variant": "v8",
      "created": "2026-01-01T00:00:00Z", "author": "me",
      "config": {"Labels": {"a": "1", "b": "2"}, "Env": ["PATH=/bin", "X=y"],
                 "Entrypoint": ["/app", "--serve"], "Cmd": ["-v"], "WorkingDir": "/srv",
                 "User": "1000"},
      "rootfs": {"type": "layers", "diff_ids": []}})");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->architecture, "arm64");
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->variant, "v8");
  EXPECT_EQ(c->created, "2026-01-01T00:00:00Z");
  EXPECT_EQ(c->author, "me");
  EXPECT_EQ(c->labels, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(c->env, (std::vector<std::string>{"PATH=/bin", "X=y"}));
  EXPECT_EQ(c->entrypoint, (std::vector<std::string>{"/app", "--serve"}));
  EXPECT_EQ(c->cmd, (std::vector<std::string>{"-v"}));
  EXPECT_EQ(c->working_dir, "/srv");
  EXPECT_EQ(c->user, "1000");
}

TEST(ImageConfig, FieldsOfTheWrongTypeAreLeftEmpty) {
  auto c = ParseImageConfig(R"({"architecture": 5, "os": ["linux"], "created": null,
      "config": {"Labels": {"ok": "yes", "n": 1, "o": {}}, "Env": ["A=1", 2, null],
                 "Entrypoint": "/bin/sh -c", "Cmd": {"x": 1}, "User": 0}})");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->architecture, "");
  EXPECT_EQ(c->os, "");
  EXPECT_EQ(c->created, "");
  EXPECT_EQ(c->labels, (std::map<std::string, std::string>{{"ok", "yes"}}));
  EXPECT_EQ(c->env, (std::vector<std::string>{"A=1"}));
  EXPECT_TRUE(c->entrypoint.empty());
  EXPECT_TRUE(c->cmd.empty());
  EXPECT_EQ(c->user, "");

  auto no_run_config = ParseImageConfig(R"({"os": "linux", "config": "oops"})");
  ASSERT_TRUE(no_run_config);
  EXPECT_TRUE(no_run_config->labels.empty());
}

TEST(ImageConfig, NotAnObjectIsAnError) {
  EXPECT_FALSE(ParseImageConfig("[]"));
  EXPECT_FALSE(ParseImageConfig("{"));
  EXPECT_FALSE(ParseImageConfig(""));
}

}  // namespace
}  // namespace freightliner::registry
