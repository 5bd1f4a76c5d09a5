#include "replication/narrow.hpp"

#include <gtest/gtest.h>

namespace freightliner::replication {
namespace {

const char* kSync = R"(mappings:
  - source: src.example:5000/team/app
    destination: dst.example:5000/mirror/app
    tags: {include: ['v\d+'], exclude: ['v9']}
    platforms: [linux/amd64]
  - source: src.example:5000/team
    destination: dst.example:5000/all
    recursive: true
    include_repos: ['tools/*', 'app']
  - source: src.example:5000/pinned
    destination: dst.example:5000/pinned
    tags: {list: [stable]}
  - source: src.example:5000/versions
    destination: dst.example:5000/versions
    tags: {semver: '>=1 <2', latest: 2}
  - source: other.example/team/app
    destination: dst.example:5000/other
)";

std::vector<SyncMapping> Narrow(const std::string& registry, const std::string& repository,
                                const std::string& tag) {
  auto config = ParseSyncConfig(kSync, "sync.yaml", FixedEnvironment({}));
  EXPECT_TRUE(config) << config.error().message;
  auto narrowed = NarrowToTag(config->mappings, registry, repository, tag);
  EXPECT_TRUE(narrowed) << narrowed.error().message;
  return narrowed ? *narrowed : std::vector<SyncMapping>{};
}

TEST(NarrowToTagTest, ARepositoryMappingKeepsItsDestinationPlatformsAndFilters) {
  const auto m = Narrow("src.example:5000", "team/app", "v3");
  // The repository mapping, and the recursive one whose repository filter keeps "app".
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].source.String(), "src.example:5000/team/app");
  EXPECT_EQ(m[0].destination.String(), "dst.example:5000/mirror/app");
  EXPECT_FALSE(m[0].recursive);
  EXPECT_EQ(m[0].tags.list, std::vector<std::string>{"v3"});
  EXPECT_TRUE(m[0].tags.include.empty());
  ASSERT_EQ(m[0].platforms.size(), 1u);
  EXPECT_EQ(m[1].destination.String(), "dst.example:5000/all/app");

  // Excluded by the first mapping's filters; the recursive one has none.
  const auto excluded = Narrow("src.example:5000", "team/app", "v9");
  ASSERT_EQ(excluded.size(), 1u);
  EXPECT_EQ(excluded[0].destination.String(), "dst.example:5000/all/app");
}

TEST(NarrowToTagTest, ARecursiveMappingTakesOnlyTheRepositoriesItsFiltersKeep) {
  const auto kept = Narrow("src.example:5000", "team/tools/lint", "latest");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].source.String(), "src.example:5000/team/tools/lint");
  EXPECT_EQ(kept[0].destination.String(), "dst.example:5000/all/tools/lint");
  EXPECT_TRUE(Narrow("src.example:5000", "team/secret", "v1").empty());
  EXPECT_TRUE(Narrow("src.example:5000", "teams/tools/x", "v1").empty());  // not under team/
}

TEST(NarrowToTagTest, ListsAndVersionConstraintsDecideAsTheScheduledRunWould) {
  EXPECT_EQ(Narrow("src.example:5000", "pinned", "stable").size(), 1u);
  EXPECT_TRUE(Narrow("src.example:5000", "pinned", "v1").empty());
  EXPECT_EQ(Narrow("src.example:5000", "versions", "1.4.0").size(), 1u);
  EXPECT_TRUE(Narrow("src.example:5000", "versions", "2.0.0").empty());
  EXPECT_TRUE(Narrow("src.example:5000", "versions", "nightly").empty());
}

TEST(NarrowToTagTest, OnlyTheNamedRegistryAndValidNamesMatch) {
  EXPECT_TRUE(Narrow("dst.example:5000", "team/app", "v3").empty());
  EXPECT_EQ(Narrow("other.example", "team/app", "anything").size(), 1u);
  EXPECT_TRUE(Narrow("src.example:5000", "team/app", "bad tag").empty());
  EXPECT_TRUE(Narrow("src.example:5000", "team/../app", "v3").empty());
}

}  // namespace
}  // namespace freightliner::replication
