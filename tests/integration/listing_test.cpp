// Listing follows Link pagination to the end: tags (paged by a proxy, since distribution 2.8
// ignores n on tags/list) and the catalog (paged by the registry itself).

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "fixtures/fault_proxy.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "integration/cli.hpp"

namespace freightliner::testing {
namespace {

TEST(ListingTest, ListTagsFollowsEveryPage) {
  TempDir dir("freightliner-listing");
  Registry reg;
  OciLayout layout(dir.Sub("oci"));
  layout.AddImage("base", {.layers = {{.size = 512, .seed = 401}}});
  std::vector<std::string> expected;
  for (int i = 0; i < 7; ++i) {
    const std::string tag = "t" + std::to_string(i);
    SkopeoCopy(layout.Ref("base"), "docker://" + reg.host() + "/paged/app:" + tag);
    expected.push_back(tag);
  }
  FaultProxy proxy(reg.host());
  proxy.PageTags(3);
  CliResult r = Freightliner({"-o", "json", "list-tags", proxy.host() + "/paged/app"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto tags = nlohmann::json::parse(r.out)["tags"].get<std::vector<std::string>>();
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, expected);
  EXPECT_EQ(proxy.Count("GET", "/tags/list"), 3);  // 3 + 3 + 1
}

}  // namespace
}  // namespace freightliner::testing
