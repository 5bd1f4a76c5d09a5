#include "common/sha256.hpp"

#include <gtest/gtest.h>

namespace freightliner {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Digest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Digest("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalEqualsWhole) {
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.FinalDigest(), Sha256Digest("abc"));
}

}  // namespace
}  // namespace freightliner
