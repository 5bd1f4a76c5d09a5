#include "cli/output_format.hpp"

#include <gtest/gtest.h>

namespace freightliner::cli {
namespace {

using nlohmann::json;

const json kView = {{"Digest", "sha256:abc"},
                    {"Architecture", "arm64"},
                    {"Os", "linux"},
                    {"Labels", {{"foo", "bar"}, {"org.example.version", "1.2"}}},
                    {"Env", {"PATH=/bin", "A=b c"}},
                    {"Cmd", json::array()},
                    {"Size", 42}};
const json kDoc = {{"digest", "sha256:abc"},
                   {"config", {{"Labels", {{"foo", "bar"}, {"org.example.version", "1.2"}}}}},
                   {"layers", {{{"digest", "sha256:l1"}, {"size", 10}}}}};

std::string Render(std::string_view format) {
  auto out = RenderFormat(format, kView, kDoc);
  EXPECT_TRUE(out) << out.error().message;
  return out ? *out : "";
}

std::string RenderError(std::string_view format) {
  auto out = RenderFormat(format, kView, kDoc);
  EXPECT_FALSE(out) << *out;
  return out ? "" : out.error().message;
}

TEST(OutputFormat, TemplateSelectsFieldsAsGoPrintsThem) {
  EXPECT_EQ(Render("{{.Digest}}"), "sha256:abc");
  EXPECT_EQ(Render("{{ .Os }}/{{.Architecture}}!"), "linux/arm64!");
  EXPECT_EQ(Render("{{.Labels.foo}}"), "bar");
  EXPECT_EQ(Render("{{.Labels.nope}}"), "<no value>");
  EXPECT_EQ(Render("{{.Env}}"), "[PATH=/bin A=b c]");
  EXPECT_EQ(Render("{{.Labels}}"), "map[foo:bar org.example.version:1.2]");
  EXPECT_EQ(Render("{{.Size}}"), "42");
  EXPECT_EQ(Render("{{json .Env}}"), R"(["PATH=/bin","A=b c"])");
  EXPECT_EQ(Render("{{json .Cmd}}"), "[]");
  EXPECT_EQ(Render("{{json .Labels.nope}}"), "null");
  EXPECT_EQ(Render(R"({{index .Labels "org.example.version"}})"), "1.2");
  EXPECT_EQ(Render("{{index .Env 1}}"), "A=b c");
}

TEST(OutputFormat, TemplateErrorsNameTheProblem) {
  EXPECT_NE(RenderError("{{.Digets}}").find("no field .Digets (fields: Architecture"),
            std::string::npos);
  EXPECT_NE(RenderError("{{range .Env}}").find("unsupported action"), std::string::npos);
  EXPECT_NE(RenderError("{{.Digest | printf}}").find("unsupported action"), std::string::npos);
  EXPECT_NE(RenderError("{{.Digest").find("unclosed {{"), std::string::npos);
  EXPECT_NE(RenderError("{{}}").find("empty action"), std::string::npos);
  EXPECT_NE(RenderError("Digest").find("want a template"), std::string::npos);
}

TEST(OutputFormat, PathSelectsFromTheJsonDocument) {
  EXPECT_EQ(Render(".digest"), "sha256:abc");
  EXPECT_EQ(Render(".config.Labels"), R"({"foo":"bar","org.example.version":"1.2"})");
  EXPECT_EQ(Render(R"(.config.Labels["org.example.version"])"), "1.2");
  EXPECT_EQ(Render(".layers[0].size"), "10");
  EXPECT_EQ(Render(".layers[1]"), "null");
  EXPECT_EQ(Render(".nope.deeper"), "null");
  EXPECT_EQ(Render("."), kDoc.dump());
  EXPECT_NE(RenderError(".digest.x").find("cannot take .x of a string"), std::string::npos);
  EXPECT_NE(RenderError(".layers[x]").find("want [N]"), std::string::npos);
  EXPECT_NE(RenderError(".a..b").find("empty name"), std::string::npos);
}

TEST(OutputFormat, UntrustedStringsAreEscaped) {
  const json view = {{"Labels", {{"evil", "a\x1b[31mred\nline"}}}};
  auto out = RenderFormat("{{.Labels.evil}}", view, view);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "a\\x1b[31mred\\nline");
  out = RenderFormat("{{json .Labels.evil}}", view, view);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, R"("a\u001b[31mred\nline")");
  out = RenderFormat(".Labels.evil", view, view);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "a\\x1b[31mred\\nline");
}

TEST(OutputFormat, LongFormatsAreRefused) {
  EXPECT_FALSE(RenderFormat(std::string(5000, '.'), kView, kDoc));
}

}  // namespace
}  // namespace freightliner::cli
