#include "registry/client.hpp"

#include <gtest/gtest.h>

namespace freightliner::registry {
namespace {

http::Response WithBody(long status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(ErrorFromResponseTest, QuotesTheRegistrysFirstError) {
  const Error e = ErrorFromResponse(
      WithBody(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"no such"}]})"), "GET x");
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.message, "GET x: HTTP 404 MANIFEST_UNKNOWN: no such");
}

// nlohmann's value() threw type_error on fields of another type.
TEST(ErrorFromResponseTest, FieldsOfTheWrongTypeAreIgnoredNotThrown) {
  const Error e =
      ErrorFromResponse(WithBody(500, R"({"errors":[{"code":5,"message":["x"]}]})"), "GET x");
  EXPECT_EQ(e.code, ErrorCode::kServerError);
  EXPECT_EQ(e.message.rfind("GET x: HTTP 500", 0), 0u) << e.message;
}

TEST(ErrorFromResponseTest, ARegistrysMessageCannotForgeLogLines) {
  const Error e = ErrorFromResponse(
      WithBody(400, R"({"errors":[{"code":"X","message":"a\nerror: forged \u001b[31m"}]})"),
      "GET x");
  EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find('\x1b'), std::string::npos) << e.message;
  const Error long_one = ErrorFromResponse(
      WithBody(400, R"({"errors":[{"code":"X","message":")" + std::string(100000, 'm') + "\"}]}"),
      "GET x");
  EXPECT_LT(long_one.message.size(), 1000u);
}

TEST(ParseNextLinkTest, ReadsTheNextTargetOnly) {
  EXPECT_EQ(ParseNextLink(R"(</v2/_catalog?last=b&n=2>; rel="next")"), "/v2/_catalog?last=b&n=2");
  EXPECT_EQ(ParseNextLink(R"(</v2/x>; rel="prev")"), std::nullopt);
  EXPECT_EQ(ParseNextLink("garbage"), std::nullopt);
}

}  // namespace
}  // namespace freightliner::registry
