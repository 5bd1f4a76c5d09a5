#include <gtest/gtest.h>

#include <optional>

#include "http/server.hpp"

namespace freightliner::http {
namespace {

TEST(ServerRequestTest, HeaderIsTheFirstOfThatNameWhateverItsCase) {
  ServerRequest r;
  r.headers = {{"x-api-key", "one"}, {"content-type", "application/json"}, {"x-api-key", "two"}};
  EXPECT_EQ(r.Header("X-API-Key"), "one");
  EXPECT_EQ(r.Header("content-TYPE"), "application/json");
  EXPECT_EQ(r.Header("authorization"), std::nullopt);
}

TEST(ServerRequestTest, QueryParameterIsTheFirstOfThatNameDecoded) {
  ServerRequest r;
  r.query = "status=running&type=sync%2Dtree&q=a+b%20c&status=failed&flag&empty=&bad=%zz%4";
  EXPECT_EQ(r.QueryParameter("status"), "running");
  EXPECT_EQ(r.QueryParameter("type"), "sync-tree");
  EXPECT_EQ(r.QueryParameter("q"), "a b c");
  EXPECT_EQ(r.QueryParameter("flag"), "");
  EXPECT_EQ(r.QueryParameter("empty"), "");
  EXPECT_EQ(r.QueryParameter("bad"), "%zz%4");
  EXPECT_EQ(r.QueryParameter("missing"), std::nullopt);
  r.query = "cursor=123.job-1%2Fx";
  EXPECT_EQ(r.QueryParameter("cursor"), "123.job-1/x");
  r.query = "a%20b=1";
  EXPECT_EQ(r.QueryParameter("a b"), "1");
  r.query = "";
  EXPECT_EQ(r.QueryParameter("a"), std::nullopt);
}

}  // namespace
}  // namespace freightliner::http
