#include "replication/selection.hpp"

#include <gtest/gtest.h>

namespace freightliner::replication {
namespace {

using Tags = std::vector<std::string>;

Tags Select(const TagSelection& s, const Tags& tags) {
  auto f = TagFilter::Create(s);
  EXPECT_TRUE(f) << (f ? "" : f.error().message);
  return f ? f->Select(tags) : Tags{};
}

const Tags kTags = {"latest", "v1.0.0", "v1.1.0", "v1.2.0-rc.1",
                    "v2.0.0", "main",   "1.9.0",  "v1.10.0"};

TEST(TagFilterTest, EverythingByDefault) {
  EXPECT_EQ(Select({}, kTags), kTags);
}

TEST(TagFilterTest, IncludeAndExcludeRegexes) {
  EXPECT_EQ(Select({.include = {"^v1\\."}}, kTags),
            (Tags{"v1.0.0", "v1.1.0", "v1.2.0-rc.1", "v1.10.0"}));
  EXPECT_EQ(Select({.include = {"^v1\\."}, .exclude = {"-rc"}}, kTags),
            (Tags{"v1.0.0", "v1.1.0", "v1.10.0"}));
  EXPECT_EQ(Select({.exclude = {"^latest$", "^main$"}}, kTags).size(), 6u);
}

TEST(TagFilterTest, SemverConstraintAndLatest) {
  EXPECT_EQ(Select({.semver = ">=1.1 <2"}, kTags), (Tags{"v1.1.0", "1.9.0", "v1.10.0"}));
  EXPECT_EQ(Select({.latest = 2}, kTags), (Tags{"v2.0.0", "v1.10.0"}));
  EXPECT_EQ(Select({.semver = "^1", .latest = 2}, kTags), (Tags{"1.9.0", "v1.10.0"}));
}

TEST(TagFilterTest, ExplicitListNeedsNoListing) {
  auto f = TagFilter::Create({.list = {"v1.0.0", "gone"}});
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->NeedsSourceTags());
  // Listed tags are candidates even if the source did not list them: a missing one then fails
  // visibly at copy time instead of being skipped in silence.
  EXPECT_EQ(f->Select({}), (Tags{"v1.0.0", "gone"}));
}

TEST(TagFilterTest, BadPatternsNameThemselves) {
  auto bad = TagFilter::Create({.include = {"v(1"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("v(1"), std::string::npos);
  EXPECT_FALSE(TagFilter::Create({.semver = ">=banana"}));
  EXPECT_FALSE(TagFilter::Create({.latest = 0}));
}

TEST(RepoSelectionTest, Globs) {
  RepoSelection s{.include = {"app*", "tools/*"}, .exclude = {"*-test"}};
  EXPECT_TRUE(s.Matches("app"));
  EXPECT_TRUE(s.Matches("app/sub"));
  EXPECT_TRUE(s.Matches("tools/x"));
  EXPECT_FALSE(s.Matches("app-test"));
  EXPECT_FALSE(s.Matches("other"));
  EXPECT_TRUE(RepoSelection{}.Matches("anything/at/all"));
}

TEST(PrefixTest, RelativeAndJoin) {
  EXPECT_EQ(RelativeTo("team", "team/app"), "app");
  EXPECT_EQ(RelativeTo("team", "team/x/y"), "x/y");
  EXPECT_EQ(RelativeTo("team", "team"), "");
  EXPECT_EQ(RelativeTo("team", "teams/app"), std::nullopt);
  EXPECT_EQ(RelativeTo("", "any/repo"), "any/repo");
  EXPECT_EQ(JoinPath("mirror", "x/y"), "mirror/x/y");
  EXPECT_EQ(JoinPath("mirror", ""), "mirror");
  EXPECT_EQ(JoinPath("", "app"), "app");
}

}  // namespace
}  // namespace freightliner::replication
