#include "registry/challenge.hpp"

#include <gtest/gtest.h>

namespace freightliner::registry {
namespace {

TEST(ChallengeTest, BearerWithQuotedParams) {
  auto c = ParseChallenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].Param("scope"), "repository:library/nginx:pull,push");
}

TEST(ChallengeTest, BasicRealmAndCaseInsensitiveNames) {
  auto c = ParseChallenges(R"(basic Realm="Registry Realm")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].Param("realm"), "Registry Realm");
}

TEST(ChallengeTest, SeveralChallengesAndSpacing) {
  auto c = ParseChallenges(
      R"(Basic realm="r1" , Bearer realm = "https://a/t", service=reg, error="invalid_token")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].Param("realm"), "https://a/t");
  EXPECT_EQ(c[1].Param("service"), "reg");
  EXPECT_EQ(c[1].Param("error"), "invalid_token");
  EXPECT_EQ(PreferredChallenge(c)->scheme, "bearer");
}

TEST(ChallengeTest, EscapedQuotes) {
  auto c = ParseChallenges(R"(Bearer realm="a\"b")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].Param("realm"), "a\"b");
}

TEST(ChallengeTest, GarbageYieldsNothingUseful) {
  EXPECT_TRUE(ParseChallenges("").empty());
  EXPECT_FALSE(PreferredChallenge(ParseChallenges("Negotiate abc")).has_value());
  EXPECT_FALSE(PreferredChallenge(ParseChallenges("\"\"\"")).has_value());
}

}  // namespace
}  // namespace freightliner::registry
