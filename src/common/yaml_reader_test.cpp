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

}  // namespace
}  // namespace freightliner
