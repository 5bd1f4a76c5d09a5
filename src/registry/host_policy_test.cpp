#include "registry/host_policy.hpp"

#include <gtest/gtest.h>

namespace freightliner::registry {
namespace {

TEST(HostPolicyTest, LoopbackIsAlwaysInsecure) {
  HostPolicy policy;
  EXPECT_TRUE(policy.IsInsecure("localhost:5000"));
  EXPECT_TRUE(policy.IsInsecure("127.0.0.1:5001"));
  EXPECT_TRUE(policy.IsInsecure("127.20.3.4"));
  EXPECT_TRUE(policy.IsInsecure("[::1]:5000"));
  EXPECT_FALSE(policy.IsInsecure("128.0.0.1:5000"));
  EXPECT_FALSE(policy.IsInsecure("ghcr.io"));
  EXPECT_FALSE(policy.IsInsecure("localhost.example.com"));
}

TEST(HostPolicyTest, FlagEntriesMatchHostOrHostPort) {
  HostPolicy policy({"reg.internal", "10.0.0.5:5000"});
  EXPECT_TRUE(policy.IsInsecure("reg.internal"));
  EXPECT_TRUE(policy.IsInsecure("reg.internal:8443"));
  EXPECT_TRUE(policy.IsInsecure("10.0.0.5:5000"));
  EXPECT_FALSE(policy.IsInsecure("10.0.0.5:5001"));
}

TEST(HostPolicyTest, HostWithoutPort) {
  EXPECT_EQ(HostWithoutPort("a.b:5000"), "a.b");
  EXPECT_EQ(HostWithoutPort("a.b"), "a.b");
  EXPECT_EQ(HostWithoutPort("[::1]:5000"), "::1");
}

}  // namespace
}  // namespace freightliner::registry
