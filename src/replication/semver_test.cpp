#include "replication/semver.hpp"

#include <gtest/gtest.h>

namespace freightliner::replication {
namespace {

Version V(std::string_view s) {
  auto v = ParseVersion(s);
  EXPECT_TRUE(v) << s;
  return v.value_or(Version{});
}

bool Match(std::string_view constraint, std::string_view version) {
  auto c = ParseConstraint(constraint);
  EXPECT_TRUE(c) << constraint << ": " << (c ? "" : c.error().message);
  return c && c->Matches(V(version));
}

TEST(VersionTest, ParsesTagsAsImagesUseThem) {
  EXPECT_EQ(V("1.2.3").major, 1u);
  EXPECT_EQ(V("v1.2.3").patch, 3u);
  EXPECT_EQ(V("1.2").patch, 0u);
  EXPECT_EQ(V("7").major, 7u);
  EXPECT_EQ(V("2.0.0-rc.1").prerelease, (std::vector<std::string>{"rc", "1"}));
  EXPECT_EQ(V("1.0.0+build.5"), V("1.0.0"));
  for (const char* bad :
       {"latest", "", "v", "1.2.3.4", "01.2.3", "1.2.3-", "1..2", "main-5", "1.2-rc1"}) {
    EXPECT_FALSE(ParseVersion(bad)) << bad;
  }
}

TEST(VersionTest, PrecedenceFollowsSemver) {
  // The ordering example from semver.org, ascending.
  const char* ordered[] = {"1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                           "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
                           "1.0.1",        "1.1.0",         "1.10.0",           "2.0.0"};
  for (size_t i = 0; i + 1 < std::size(ordered); ++i) {
    EXPECT_LT(V(ordered[i]).Compare(V(ordered[i + 1])), 0) << ordered[i] << " < " << ordered[i + 1];
  }
}

TEST(ConstraintTest, ComparisonsAndRanges) {
  EXPECT_TRUE(Match(">=1.2.0 <2", "1.10.4"));
  EXPECT_FALSE(Match(">=1.2.0 <2", "2.0.0"));
  EXPECT_FALSE(Match(">=1.2.0 <2", "1.1.9"));
  EXPECT_TRUE(Match(">= 1.2, < 2", "1.2.0"));
  EXPECT_TRUE(Match("1.2.3", "v1.2.3"));
  EXPECT_FALSE(Match("=1.2.3", "1.2.4"));
  EXPECT_TRUE(Match(">1.2", "1.3.0"));
  EXPECT_FALSE(Match(">1.2", "1.2.9"));
  EXPECT_TRUE(Match("<=1.2", "1.2.9"));
  EXPECT_FALSE(Match("<=1.2", "1.3.0"));
}

TEST(ConstraintTest, CaretTildeAndWildcards) {
  EXPECT_TRUE(Match("^1.4", "1.9.0"));
  EXPECT_FALSE(Match("^1.4", "2.0.0"));
  EXPECT_FALSE(Match("^1.4", "1.3.9"));
  EXPECT_TRUE(Match("^0.3.1", "0.3.9"));
  EXPECT_FALSE(Match("^0.3.1", "0.4.0"));
  EXPECT_TRUE(Match("~2.1", "2.1.7"));
  EXPECT_FALSE(Match("~2.1", "2.2.0"));
  EXPECT_TRUE(Match("1.x", "1.99.0"));
  EXPECT_FALSE(Match("1.x", "2.0.0"));
  EXPECT_TRUE(Match("*", "5.0.0"));
  EXPECT_TRUE(Match("1.2 || >=3", "3.1.0"));
  EXPECT_TRUE(Match("1.2 || >=3", "1.2.5"));
  EXPECT_FALSE(Match("1.2 || >=3", "2.0.0"));
}

TEST(ConstraintTest, PrereleasesOnlyWhenNamed) {
  EXPECT_FALSE(Match(">=1.0.0", "2.0.0-rc.1"));
  EXPECT_TRUE(Match(">=2.0.0-rc.0", "2.0.0-rc.1"));
}

TEST(ConstraintTest, BadConstraintsAreErrors) {
  EXPECT_FALSE(ParseConstraint(""));
  EXPECT_FALSE(ParseConstraint(">="));
  EXPECT_FALSE(ParseConstraint(">=banana"));
  EXPECT_FALSE(ParseConstraint("1.2.3.4"));
}

TEST(LatestTagsTest, HighestVersionsFirstIgnoringOthers) {
  const std::vector<std::string> tags = {"latest",     "1.2.0", "v1.10.0", "1.9.3",
                                         "2.0.0-rc.1", "main",  "1.0"};
  EXPECT_EQ(LatestTags(tags, 2, false), (std::vector<std::string>{"v1.10.0", "1.9.3"}));
  EXPECT_EQ(LatestTags(tags, 1, true), (std::vector<std::string>{"2.0.0-rc.1"}));
  EXPECT_EQ(LatestTags(tags, 10, false).size(), 4u);
}

}  // namespace
}  // namespace freightliner::replication
