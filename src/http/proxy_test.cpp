#include "http/proxy.hpp"

#include <gtest/gtest.h>

#include <map>

namespace freightliner::http {
namespace {

std::function<std::optional<std::string>(const std::string&)> Env(
    std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ProxyTest, BothCasesAreReadUpperCaseFirstAsInGo) {
  auto lower = ProxySettings::FromEnvironment(Env(
      {{"http_proxy", "http://l:1"}, {"https_proxy", "http://l:2"}, {"no_proxy", "a.example"}}));
  EXPECT_EQ(lower.http_proxy, "http://l:1");
  EXPECT_EQ(lower.https_proxy, "http://l:2");
  EXPECT_EQ(lower.no_proxy, "a.example");
  auto both = ProxySettings::FromEnvironment(Env({{"HTTP_PROXY", "http://u:1"},
                                                  {"http_proxy", "http://l:1"},
                                                  {"HTTPS_PROXY", "http://u:2"},
                                                  {"NO_PROXY", "b.example"},
                                                  {"no_proxy", "a.example"}}));
  EXPECT_EQ(both.http_proxy, "http://u:1");
  EXPECT_EQ(both.https_proxy, "http://u:2");
  EXPECT_EQ(both.no_proxy, "b.example");
  EXPECT_TRUE(ProxySettings::FromEnvironment(Env({{"HTTP_PROXY", ""}})).Empty());
}

TEST(ProxyTest, ChosenByScheme) {
  const ProxySettings p{.http_proxy = "http://h:1", .https_proxy = "http://s:2"};
  EXPECT_EQ(p.ProxyFor("http://r.example:5000/v2/"), "http://h:1");
  EXPECT_EQ(p.ProxyFor("https://r.example/v2/"), "http://s:2");
  EXPECT_EQ(ProxySettings{.http_proxy = "http://h:1"}.ProxyFor("https://r.example/v2/"), "");
  EXPECT_EQ(p.ProxyFor("not a url"), "");
}

TEST(ProxyTest, LoopbackNeverGoesThroughAProxy) {
  const ProxySettings p{.http_proxy = "http://h:1", .https_proxy = "http://s:2"};
  for (const char* url :
       {"http://127.0.0.1:5000/v2/", "https://127.8.9.10/v2/", "http://localhost:5000/v2/",
        "http://[::1]:5000/v2/", "https://LOCALHOST/v2/"}) {
    EXPECT_EQ(p.ProxyFor(url), "") << url;
  }
  EXPECT_EQ(p.ProxyFor("http://128.0.0.1/v2/"), "http://h:1");
  EXPECT_EQ(p.ProxyFor("http://localhost.example/v2/"), "http://h:1");
}

TEST(ProxyTest, NoProxyEntries) {
  EXPECT_TRUE(MatchesNoProxy("*", "any.example", 443));
  EXPECT_TRUE(MatchesNoProxy("corp.example", "corp.example", 443));
  EXPECT_TRUE(MatchesNoProxy("corp.example", "reg.corp.example", 443));
  EXPECT_TRUE(MatchesNoProxy(".corp.example", "reg.corp.example", 443));
  EXPECT_TRUE(MatchesNoProxy(".corp.example", "corp.example", 443));
  EXPECT_FALSE(MatchesNoProxy("corp.example", "notcorp.example", 443));
  EXPECT_TRUE(MatchesNoProxy(" a.example , Reg.Example:5000", "reg.example", 5000));
  EXPECT_FALSE(MatchesNoProxy("reg.example:5000", "reg.example", 443));
  EXPECT_TRUE(MatchesNoProxy("10.0.0.0/8", "10.1.2.3", 80));
  EXPECT_FALSE(MatchesNoProxy("10.0.0.0/8", "11.1.2.3", 80));
  EXPECT_FALSE(MatchesNoProxy("10.0.0.0/99", "10.1.2.3", 80));
  EXPECT_TRUE(MatchesNoProxy("192.168.1.5", "192.168.1.5", 80));
  EXPECT_FALSE(MatchesNoProxy("", "a.example", 80));
  EXPECT_FALSE(MatchesNoProxy(",,.", "a.example", 80));
  const ProxySettings p{.https_proxy = "http://s:2", .no_proxy = "internal.example"};
  EXPECT_EQ(p.ProxyFor("https://r.internal.example/v2/"), "");
  EXPECT_EQ(p.ProxyFor("https://r.example/v2/"), "http://s:2");
}

TEST(ProxyTest, RedactionDropsCredentials) {
  EXPECT_EQ(RedactProxyUrl("http://user:s3cret@proxy:3128"), "http://***@proxy:3128");
  EXPECT_EQ(RedactProxyUrl("http://user:p@ss@proxy:3128/"), "http://***@proxy:3128/");
  EXPECT_EQ(RedactProxyUrl("proxy:3128"), "proxy:3128");
  EXPECT_EQ(RedactProxyUrl("u:p@proxy:3128"), "***@proxy:3128");
  EXPECT_EQ(RedactProxyUrl("http://proxy:3128/a@b"), "http://proxy:3128/a@b");
}

}  // namespace
}  // namespace freightliner::http
