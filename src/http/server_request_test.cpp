#include <gtest/gtest.h>

#include "http/server.hpp"

namespace freightliner::http {
namespace {

TEST(ServerRequestTest, HeadersAreFoundWhateverTheirCase) {
  ServerRequest r;
  r.headers = {{"content-type", "application/json"}, {"x-api-key", "one"}, {"x-api-key", "two"}};
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("X-API-KEY"), "one");
  EXPECT_FALSE(r.Header("authorization"));
}

TEST(ServerRequestTest, QueryParametersAreDecoded) {
  ServerRequest r;
  r.query = "status=failed&cursor=123.job-1%2Fx&q=a+b&empty=&flag&bad=%zz%4";
  EXPECT_EQ(r.QueryParameter("status"), "failed");
  EXPECT_EQ(r.QueryParameter("cursor"), "123.job-1/x");
  EXPECT_EQ(r.QueryParameter("q"), "a b");
  EXPECT_EQ(r.QueryParameter("empty"), "");
  EXPECT_EQ(r.QueryParameter("flag"), "");
  EXPECT_EQ(r.QueryParameter("bad"), "%zz%4");
  EXPECT_FALSE(r.QueryParameter("limit"));
  EXPECT_FALSE(ServerRequest{}.QueryParameter("status"));
}

}  // namespace
}  // namespace freightliner::http
