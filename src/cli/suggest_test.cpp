#include "cli/suggest.hpp"

#include <gtest/gtest.h>

namespace freightliner::cli {
namespace {

const std::vector<std::string> kCommands = {"replicate",      "inspect", "list-tags",
                                            "replicate-tree", "sync",    "checkpoint",
                                            "serve",          "version", "help"};

TEST(EditDistanceTest, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("replicat", "replicate"), 1u);
  EXPECT_EQ(EditDistance("replicatee", "replicate"), 1u);
  EXPECT_EQ(EditDistance("replicabe", "replicate"), 1u);
  EXPECT_EQ(EditDistance("relpicate", "replicate"), 1u);  // adjacent swap
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(ClosestNameTest, SuggestsATypoOnly) {
  EXPECT_EQ(ClosestName("replicat", kCommands), "replicate");
  EXPECT_EQ(ClosestName("replciate-tree", kCommands), "replicate-tree");
  EXPECT_EQ(ClosestName("snyc", kCommands), "sync");
  EXPECT_EQ(ClosestName("list-tag", kCommands), "list-tags");
  EXPECT_EQ(ClosestName("serv", kCommands), "serve");
  EXPECT_EQ(ClosestName("copy", kCommands), std::nullopt);
  EXPECT_EQ(ClosestName("x", kCommands), std::nullopt);
  EXPECT_EQ(ClosestName("", kCommands), std::nullopt);
  EXPECT_EQ(ClosestName(std::string(100000, 'a'), kCommands), std::nullopt);
}

}  // namespace
}  // namespace freightliner::cli
