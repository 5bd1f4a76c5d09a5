#include "common/yaml_reader.hpp"

#include <gtest/gtest.h>

namespace freightliner {
namespace {

TEST(ParseDurationTest, UnitsAndCombinations) {
  EXPECT_EQ(ParseDuration("90s")->count(), 90);
  EXPECT_EQ(ParseDuration("15m")->count(), 900);
  EXPECT_EQ(ParseDuration("1h30m")->count(), 5400);
  EXPECT_EQ(ParseDuration("2d")->count(), 172800);
  EXPECT_EQ(ParseDuration("45")->count(), 45);
}

TEST(ParseDurationTest, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "m", "5x", "1h30", "-5m", "1.5h", "99999999999s"}) {
    EXPECT_FALSE(ParseDuration(bad)) << bad;
  }
}

TEST(YamlReaderTest, ErrorsNameFileLineAndUnknownKeys) {
  const EnvLookup env = [](const std::string&) -> std::optional<std::string> { return "x"; };
  YamlReader reader("server.yaml", env);
  YAML::Node doc = YAML::Load("a: 1\nbogus: 2\n");
  auto s = reader.OnlyKeys(doc, "the file", {"a"});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("server.yaml:2:1"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("bogus"), std::string::npos);
  auto d = reader.Duration(YAML::Load("every: soon")["every"], "every");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("server.yaml:1:8"), std::string::npos) << d.error().message;
}

// Found by fuzz_sync_yaml: "version: 1222...2" (51 digits) was cast from double to int, which is
// undefined behaviour; NaN passed the lower bound because every comparison with it is false.
TEST(YamlReaderTest, NumbersOutsideTheirRangeOrNotFiniteAreErrors) {
  const EnvLookup env = [](const std::string&) -> std::optional<std::string> { return "x"; };
  YamlReader reader("sync.yaml", env);
  const auto integer = [&](const char* text) {
    return reader.Integer(YAML::Load(std::string("v: ") + text)["v"], "v", 1);
  };
  EXPECT_EQ(*integer("7"), 7);
  EXPECT_EQ(*integer("2147483647"), 2147483647);
  for (const char* bad : {"2147483648", "122222222222222222222222222222222222222222222222222",
                          "1e400", "inf", "nan", "-nan", "0", "1.5"}) {
    auto r = integer(bad);
    EXPECT_FALSE(r) << bad;
  }
  const auto number = [&](const char* text) {
    return reader.Number(YAML::Load(std::string("v: ") + text)["v"], "v", 0);
  };
  EXPECT_DOUBLE_EQ(*number("0.25"), 0.25);
  for (const char* bad : {"nan", "inf", "-inf", "1e999", "-1"})
    EXPECT_FALSE(number(bad)) << bad;
}

TEST(LoadYamlTest, ParsesAndNamesFileLineAndColumnOfSyntaxErrors) {
  auto ok = LoadYaml("a: [1, 2]\n", "sync.yaml");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ((*ok)["a"].size(), 2u);
  auto bad = LoadYaml("a: [1,\n", "sync.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("sync.yaml:"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("invalid YAML"), std::string::npos) << bad.error().message;
}

TEST(LoadYamlTest, RefusesTextAboveTheSizeCapBeforeParsing) {
  std::string big = "key: \"" + std::string(kMaxYamlBytes, 'x') + "\"\n";
  auto r = LoadYaml(big, "big.yaml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("big.yaml"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(std::to_string(kMaxYamlBytes)), std::string::npos);
  EXPECT_TRUE(LoadYaml("key: \"" + std::string(kMaxYamlBytes - 100, 'x') + "\"\n", "ok.yaml"));
}

// A "billion laughs" document: each level repeats the one before it ten times.
// (Appends only: `"*l" + std::to_string(n)` trips gcc 12's -Wrestrict false positive at -O3.)
std::string NestedAliases(int levels) {
  std::string text = "l0: &l0 [lol, lol, lol]\n";
  for (int i = 1; i <= levels; ++i) {
    const std::string level = std::to_string(i);
    const std::string previous = std::to_string(i - 1);
    text.append("l").append(level).append(": &l").append(level).append(" [");
    for (int j = 0; j < 10; ++j)
      text.append(j == 0 ? "*l" : ", *l").append(previous);
    text.append("]\n");
  }
  return text;
}

TEST(LoadYamlTest, RefusesMoreAliasesThanTheCap) {
  const std::string laughs = NestedAliases(9);
  EXPECT_EQ(CountYamlAliases(laughs), 90u);
  auto r = LoadYaml(laughs, "laughs.yaml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("laughs.yaml: 90 YAML aliases"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(LoadYaml(NestedAliases(6), "few.yaml"));  // 60 aliases
}

TEST(LoadYamlTest, CountsAliasesWhereNodesStartOnly) {
  EXPECT_EQ(CountYamlAliases("a: *x\nb: [*y,*z]\nc: {k: *w}\n- *v\n*u: 1"), 6u);
  // Globs and multiplication are no aliases; a lone `*` names nothing.
  EXPECT_EQ(CountYamlAliases("include_repos: ['tools/*', base*]\nx: 2*3\ny: * \n"), 0u);
}

TEST(YamlReaderTest, ComplexKeysAreAnErrorNotAnException) {
  const EnvLookup env = FixedEnvironment({});
  YamlReader reader("server.yaml", env);
  auto doc = LoadYaml("? [a, b]\n: 1\n", "server.yaml");
  ASSERT_TRUE(doc) << doc.error().message;
  auto s = reader.OnlyKeys(*doc, "the file", {"a"});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("must be plain names"), std::string::npos) << s.error().message;
}

// Found by fuzz_server_config: `item["file"]` of a const mapping without that key is an invalid
// node, and yaml-cpp throws InvalidNode from its Type() and Mark().
TEST(YamlReaderTest, AbsentKeysOfConstMappingsAreErrorsNotExceptions) {
  const EnvLookup env = FixedEnvironment({});
  YamlReader reader("server.yaml", env);
  auto doc = LoadYaml("syncs:\n  - name: mirror\n", "server.yaml");
  ASSERT_TRUE(doc) << doc.error().message;
  const YAML::Node item = (*doc)["syncs"][0];
  const YAML::Node absent = item["file"];
  auto s = reader.String(absent, "sync file");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "server.yaml: sync file is missing");
  EXPECT_FALSE(reader.Strings(absent, "files"));
  EXPECT_FALSE(reader.Duration(absent, "every"));
  EXPECT_FALSE(reader.OnlyKeys(absent, "a sync", {"name"}));
}

}  // namespace
}  // namespace freightliner
