#include "replication/selection.hpp"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "replication/planner.hpp"

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
  EXPECT_EQ(Select({.include = {"v1\\..*"}}, kTags),
            (Tags{"v1.0.0", "v1.1.0", "v1.2.0-rc.1", "v1.10.0"}));
  EXPECT_EQ(Select({.include = {"v1\\..*"}, .exclude = {".*-rc.*"}}, kTags),
            (Tags{"v1.0.0", "v1.1.0", "v1.10.0"}));
  EXPECT_EQ(Select({.exclude = {"^latest$", "main"}}, kTags).size(), 6u);
}

TEST(TagFilterTest, RegexesMatchTheWholeTag) {
  EXPECT_EQ(Select({.include = {"v1"}}, {"v1", "v10", "av1"}), (Tags{"v1"}));
  EXPECT_EQ(Select({.include = {"rc"}}, kTags), Tags{});
  EXPECT_EQ(Select({.include = {"v[0-9]+\\.0\\.0"}}, kTags), (Tags{"v1.0.0", "v2.0.0"}));
  // Alternation binds inside the whole match: "a|b" is "^(?:a|b)$", not "^a|b$".
  EXPECT_EQ(Select({.include = {"latest|v2.*"}}, kTags), (Tags{"latest", "v2.0.0"}));
  EXPECT_EQ(Select({.include = {"main|.*-rc.*"}}, {"main", "main2", "v1-rc1"}),
            (Tags{"main", "v1-rc1"}));
}

TEST(TagFilterTest, GlobsMatchTheWholeTag) {
  // The README's example: 'v*' keeps the tags that start with v, nothing else.
  EXPECT_EQ(Select({.include_globs = {"v*"}}, kTags),
            (Tags{"v1.0.0", "v1.1.0", "v1.2.0-rc.1", "v2.0.0", "v1.10.0"}));
  EXPECT_EQ(Select({.include_globs = {"v*"}, .exclude_globs = {"*-rc*"}}, kTags),
            (Tags{"v1.0.0", "v1.1.0", "v2.0.0", "v1.10.0"}));
  EXPECT_EQ(Select({.include_globs = {"v1.?.0"}}, kTags), (Tags{"v1.0.0", "v1.1.0"}));
  EXPECT_EQ(Select({.include_globs = {"main"}}, kTags), (Tags{"main"}));
  // Globs and regexes together: an include of either kind keeps a tag, either exclude drops it.
  EXPECT_EQ(Select({.include = {"lat.*"}, .include_globs = {"main"}}, kTags),
            (Tags{"latest", "main"}));
  EXPECT_EQ(Select({.exclude = {"v.*"}, .exclude_globs = {"[lm]*"}}, kTags), (Tags{"1.9.0"}));
}

std::string CreateError(const TagSelection& s) {
  auto f = TagFilter::Create(s);
  return f ? std::string("accepted") : f.error().message;
}

TEST(TagFilterTest, SubstringOnlyRegexIsRefusedWithTheFix) {
  EXPECT_EQ(CreateError({.exclude = {"-rc"}}),
            "invalid exclude-tag regex \"-rc\": patterns match the whole tag and this one "
            "matches no tag (a tag starts with a letter, digit or _); for tags containing it "
            "write \".*-rc.*\"");
  EXPECT_EQ(CreateError({.include = {"^v"}}),
            "invalid include-tag regex \"^v\": patterns match the whole tag, so an anchor at one "
            "end only is left from substring search; for tags starting with it write \"v.*\"");
  EXPECT_NE(CreateError({.exclude = {"-rc$"}}).find("for tags ending with it write \".*-rc\""),
            std::string::npos);
  // Each of these can never fully match a tag: every string they match starts with a byte no
  // tag starts with (or is empty).
  for (const std::string p :
       {"\\.x", "(-rc|-beta)", "[-.]rc", "(-rc)*", "(?i)-RC", "", "^$", ":x", "~", "\\+"}) {
    EXPECT_NE(CreateError({.include = {p}}).find("matches no tag"), std::string::npos) << p;
  }
  EXPECT_NE(CreateError({.include = {"-rc|-beta"}}).find("write \".*(?:-rc|-beta).*\""),
            std::string::npos);
}

TEST(TagFilterTest, RegexThatCanMatchATagIsAccepted) {
  // No false alarm: each of these fully matches some valid tag.
  for (const std::string p : {".*-rc.*", "v*", "-?x", "x?-rc", "a|-b", "^v.*$", "v1\\.0", "(?i)V.*",
                              "[^a-z]rc", "_x", "[[:digit:]]+", ".*", "\\d+\\.\\d+"}) {
    EXPECT_EQ(CreateError({.include = {p}}), "accepted") << p;
  }
}

TEST(TagFilterTest, GlobThatCanNeverMatchIsRefusedWithTheFix) {
  EXPECT_EQ(CreateError({.exclude_globs = {"-rc"}}),
            "invalid exclude-tag glob \"-rc\": globs match the whole tag and no tag starts with "
            "\"-\"; for tags containing it write \"*-rc*\"");
  EXPECT_NE(CreateError({.include_globs = {"^v"}}).find("looks like a regular expression"),
            std::string::npos);
  EXPECT_NE(CreateError({.include_globs = {"\\.x"}}).find("no tag starts with"), std::string::npos);
  for (const std::string g : {"*-rc*", "?x", "[-.]x", "v*", "_", "\\v"}) {
    EXPECT_EQ(CreateError({.include_globs = {g}}), "accepted") << g;
  }
  EXPECT_NE(CreateError({.include_globs = {std::string(kMaxTagPatternLength + 1, '*')}})
                .find("longer than 1024"),
            std::string::npos);
}

TEST(TagFilterTest, WholeTagEquivalentKeepsWhatTheSubstringSearchKept) {
  EXPECT_EQ(WholeTagEquivalent("-rc"), ".*-rc.*");
  EXPECT_EQ(WholeTagEquivalent("^v"), "v.*");
  EXPECT_EQ(WholeTagEquivalent("-rc$"), ".*-rc");
  EXPECT_EQ(WholeTagEquivalent("^v1$"), "v1");
  EXPECT_EQ(WholeTagEquivalent("x\\$"), ".*x\\$.*");  // an escaped $ is no anchor
  EXPECT_EQ(WholeTagEquivalent("^a|b"), ".*(?:^a|b).*");
  EXPECT_EQ(WholeTagEquivalent("^(a|b)"), "(a|b).*");  // the alternation is inside a group
  EXPECT_EQ(WholeTagEquivalent("[|]x"), ".*[|]x.*");
  EXPECT_EQ(WholeTagEquivalent("\\|x"), ".*\\|x.*");
  EXPECT_EQ(WholeTagEquivalent("[]|]|x"), ".*(?:[]|]|x).*");
  // The equivalent keeps, as a whole match, exactly what the pattern kept as a substring search.
  const Tags tags = {"a1", "xa", "b", "ab", "v1-rc", "v-rc1", "rc"};
  for (const std::string p : {"^a|b", "-rc", "^v", "1$", "a", "^(a|x)", "[|]x|b$"}) {
    const re2::RE2 old(p);
    Tags kept_before;
    for (const std::string& t : tags) {
      if (re2::RE2::PartialMatch(t, old)) kept_before.push_back(t);
    }
    EXPECT_EQ(Select({.include = {WholeTagEquivalent(p)}}, tags), kept_before) << p;
  }
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

TEST(TagFilterTest, BadRe2PatternIsAnErrorNamingIt) {
  for (const std::string& bad : {std::string("v(1"), std::string("(?=lookahead)"),
                                 std::string("\\1"), std::string("[z-a]")}) {
    auto f = TagFilter::Create({.exclude = {bad}});
    ASSERT_FALSE(f) << bad;
    EXPECT_EQ(f.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(f.error().message.find("exclude-tag regex"), std::string::npos);
  }
  auto f = TagFilter::Create({.include = {"v(1"}});
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("\"v(1\""), std::string::npos) << f.error().message;
}

TEST(TagFilterTest, OverlongPatternIsRefused) {
  auto f = TagFilter::Create({.include = {std::string(kMaxTagPatternLength + 1, 'a')}});
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message.find("longer than 1024"), std::string::npos);
  EXPECT_LT(f.error().message.size(), 400u);
  EXPECT_TRUE(TagFilter::Create({.include = {std::string(kMaxTagPatternLength, 'a')}}));
}

TEST(TagFilterTest, PatternNeedingTooMuchMemoryIsRefused) {
  // A counted repetition that RE2 would compile to a huge automaton.
  auto f = TagFilter::Create({.include = {"((a{100}){100}){100}"}});
  EXPECT_FALSE(f);
}

TEST(TagFilterTest, CatastrophicBacktrackingPatternRunsInLinearTime) {
  // ^(a+)+$ against "aaa...a!" is exponential in a backtracking engine (42 'a': hours).
  const std::string tag = std::string(42, 'a') + "!";
  const std::string valid_tag = std::string(42, 'a') + "b";
  const Tags tags = {tag, valid_tag, std::string(42, 'a')};
  EXPECT_EQ(Select({.include = {"(a+)+"}}, tags), (Tags{std::string(42, 'a')}));
  EXPECT_EQ(Select({.exclude = {"(a+)+"}}, tags), (Tags{tag, valid_tag}));
}

TEST(TagFilterTest, CopiesShareCompiledPatterns) {
  auto f = TagFilter::Create({.include = {"main"}});
  ASSERT_TRUE(f);
  const TagFilter copy = *f;
  EXPECT_EQ(copy.Select(kTags), (Tags{"main"}));
}

TEST(PrefixTest, DestinationMustStayInsideItsPrefix) {
  EXPECT_TRUE(IsInsidePrefix("mirror", "mirror/app"));
  EXPECT_TRUE(IsInsidePrefix("mirror", "mirror"));
  EXPECT_TRUE(IsInsidePrefix("", "app"));
  EXPECT_FALSE(IsInsidePrefix("mirror", "mirrored/app"));
  EXPECT_FALSE(IsInsidePrefix("mirror", "victim/app"));
  EXPECT_FALSE(IsInsidePrefix("mirror", "mirror/../victim/app"));
  EXPECT_FALSE(IsInsidePrefix("mirror", "mirror//app"));
  EXPECT_FALSE(IsInsidePrefix("mirror", "mirror/" + std::string(250, 'a')));
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

TEST(GlobTest, BehavesLikeFnmatchWithoutFlags) {
  EXPECT_TRUE(GlobMatch("app*", "app"));
  EXPECT_TRUE(GlobMatch("app*", "app/sub"));  // * crosses '/'
  EXPECT_TRUE(GlobMatch("*-test", "app-test"));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  EXPECT_TRUE(GlobMatch("[a-c]x", "bx"));
  EXPECT_FALSE(GlobMatch("[a-c]x", "dx"));
  EXPECT_TRUE(GlobMatch("[!a-c]x", "dx"));
  EXPECT_TRUE(GlobMatch("[]]x", "]x"));
  EXPECT_TRUE(GlobMatch("[x", "[x"));  // no closing ']': a literal
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_TRUE(GlobMatch("*a*b*c*", "xxaxxbxxcxx"));
  EXPECT_FALSE(GlobMatch("*a*b*c*", "xxaxxcxxbxx"));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("***", ""));
}

TEST(GlobTest, ManyStarsRunInPolynomialTime) {
  // glibc's fnmatch backtracks exponentially here.
  std::string pattern;
  for (int i = 0; i < 40; ++i)
    pattern += "*a";
  pattern += "*b";
  EXPECT_FALSE(GlobMatch(pattern, std::string(255, 'a')));
  EXPECT_TRUE(RepoSelection{.include = {std::string(kMaxRepoGlobLength, '*')}}.Check());
  auto too_long = RepoSelection{.exclude = {std::string(kMaxRepoGlobLength + 1, '*')}}.Check();
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message.find("longer than 1024"), std::string::npos);
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
