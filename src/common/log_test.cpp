#include "common/log.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace freightliner {
namespace {

using nlohmann::json;

std::chrono::system_clock::time_point At(int64_t micros) {
  return std::chrono::system_clock::time_point(std::chrono::microseconds(micros));
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// Restores text logging at info for the tests that follow.
class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { ASSERT_TRUE(InitLogging("info", LogFormat::kText)); }
};

TEST(Rfc3339UtcTest, IsUtcWithMicrosecondsAndAZ) {
  EXPECT_EQ(Rfc3339Utc(At(0)), "1970-01-01T00:00:00.000000Z");
  // 2026-12-01T11:04:03.123456Z, whatever the machine's time zone.
  EXPECT_EQ(Rfc3339Utc(At(1796123043123456)), "2026-12-01T11:04:03.123456Z");
  EXPECT_EQ(Rfc3339Utc(At(-1)), "1969-12-31T23:59:59.999999Z");
}

TEST(JsonLogLineTest, TsLevelMsgFirstThenTheFields) {
  const std::string line =
      JsonLogLine(At(1796123043123456), spdlog::level::warn, "copied \"a\"\n\tb",
                  {{"repository", "team/app"}, {"tags", 3}, {"msg", "not this one"}});
  EXPECT_EQ(line, R"({"ts":"2026-12-01T11:04:03.123456Z","level":"warn","msg":"copied \"a\"\n\tb",)"
                  R"("repository":"team/app","tags":3})");
}

TEST(JsonLogLineTest, BytesThatAreNotUtf8StillMakeValidJson) {
  const std::string line =
      JsonLogLine(At(0), spdlog::level::err, "tag v\xff\x1b[31m", {{"tag", std::string("v\xff")}});
  const json parsed = json::parse(line, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << line;
  EXPECT_EQ(parsed["msg"], "tag v\xef\xbf\xbd\x1b[31m");
  EXPECT_EQ(parsed["tag"], "v\xef\xbf\xbd");
  EXPECT_EQ(parsed["level"], "error");
}

TEST_F(LogTest, JsonModeWritesOneObjectALineWithTheScopesFields) {
  ASSERT_TRUE(InitLogging("debug", LogFormat::kJson));
  ::testing::internal::CaptureStderr();
  {
    ScopedLogFields outer({{"repository", "team/app"}, {"registry", "r.example"}});
    ScopedLogFields inner(json{{"repository", "team/lib"}});
    EXPECT_EQ(CurrentLogFields(), (json{{"repository", "team/lib"}, {"registry", "r.example"}}));
    LogWith(spdlog::level::info, {{"digest", "sha256:ab"}}, "copied {}", "team/lib:v1");
  }
  spdlog::debug("no fields {}", 1);
  LogWith(spdlog::level::trace, {{"hidden", true}}, "below the level");
  Say(spdlog::level::err, "error: not_found: x", "x", {{"error_code", "not_found"}});
  const std::vector<std::string> lines = Lines(::testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 3u);
  const json first = json::parse(lines[0]);
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["msg"], "copied team/lib:v1");
  EXPECT_EQ(first["repository"], "team/lib");  // the inner scope wins
  EXPECT_EQ(first["registry"], "r.example");
  EXPECT_EQ(first["digest"], "sha256:ab");
  EXPECT_EQ(first["ts"].get<std::string>().back(), 'Z');
  EXPECT_EQ(
      json::parse(lines[1]),
      (json{{"ts", json::parse(lines[1])["ts"]}, {"level", "debug"}, {"msg", "no fields 1"}}));
  const json error = json::parse(lines[2]);
  EXPECT_EQ(error["msg"], "x");
  EXPECT_EQ(error["error_code"], "not_found");
}

TEST_F(LogTest, TextModeKeepsReadableLinesAndSayWritesItsTextAsIs) {
  ASSERT_TRUE(InitLogging("warn", LogFormat::kText));
  ::testing::internal::CaptureStderr();
  LogWith(spdlog::level::warn, {{"tag", "v1"}}, "skipping tag {}", "v1");
  spdlog::info("below the level");
  Say(spdlog::level::err, "error: canceled: interrupted by SIGINT", "interrupted by SIGINT");
  const std::vector<std::string> lines = Lines(::testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u);
  // "2026-12-01T11:04:03.123456Z warning skipping tag v1"
  ASSERT_EQ(lines[0].size(), 27u + std::string(" warning skipping tag v1").size()) << lines[0];
  EXPECT_EQ(lines[0][26], 'Z');
  EXPECT_EQ(lines[0].substr(27), " warning skipping tag v1");
  EXPECT_EQ(lines[1], "error: canceled: interrupted by SIGINT");
}

TEST_F(LogTest, AnUnknownLevelIsRefused) {
  auto s = InitLogging("loud", LogFormat::kText);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace freightliner
