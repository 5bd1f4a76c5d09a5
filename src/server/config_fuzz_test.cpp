// Inputs that fuzz_server_config (fuzz/) found; each is also in fuzz/corpus/server_config/.
#include <gtest/gtest.h>

#include "server/config.hpp"

namespace freightliner::server {
namespace {

TEST(ServerConfigFuzzTest, SyncWithoutFileIsAnErrorNotAnException) {
  const EnvLookup env = FixedEnvironment({});
  auto config = ParseServerConfig("syncs:\n  - name: mirror\n", "server.yaml", env);
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("server.yaml"), std::string::npos)
      << config.error().message;
}

}  // namespace
}  // namespace freightliner::server
