#include "registry/auth.hpp"

#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "registry/challenge.hpp"

namespace freightliner::registry {
namespace {

// Each case is refused before any request is made: the transport is never used.
class AuthenticatorTest : public ::testing::Test {
 protected:
  Result<std::optional<std::string>> HeaderFor(const std::string& challenge_header,
                                               HostPolicy hosts = {}) {
    hosts_ = std::move(hosts);
    Authenticator auth("registry.example", Credentials{.username = "u", .password = "secret"},
                       transport_, hosts_, SystemClock::Instance(), {});
    auth.SetChallenge(PreferredChallenge(ParseChallenges(challenge_header)));
    return auth.Header({{"team/app", false}}, {});
  }

  http::Transport transport_{{.user_agent = "test"}};
  HostPolicy hosts_;
};

TEST_F(AuthenticatorTest, NeverSendsCredentialsToAPlainHttpRealmOfASecureHost) {
  auto header = HeaderFor(R"(Bearer realm="http://auth.example/token",service="r")");
  ASSERT_FALSE(header);
  EXPECT_EQ(header.error().code, ErrorCode::kAuth);
  EXPECT_NE(header.error().message.find("plain-HTTP"), std::string::npos);
  EXPECT_EQ(header.error().message.find("secret"), std::string::npos);
}

TEST_F(AuthenticatorTest, RefusesARealmThatIsNotHttpOrHttps) {
  for (const char* realm : {"file:///etc/passwd", "ftp://auth.example/t", "/token", ""}) {
    auto header = HeaderFor(std::string(R"(Bearer realm=")") + realm + R"(")");
    ASSERT_FALSE(header) << realm;
    EXPECT_EQ(header.error().code, ErrorCode::kAuth) << realm;
  }
}

TEST_F(AuthenticatorTest, BasicChallengeSendsTheCredentialsToTheRegistryItself) {
  auto header = HeaderFor(R"(Basic realm="r")");
  ASSERT_TRUE(header) << header.error().message;
  EXPECT_EQ(header->value_or(""), "Authorization: Basic " + Base64Encode("u:secret"));
}

}  // namespace
}  // namespace freightliner::registry
