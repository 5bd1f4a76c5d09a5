#include "common/error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

namespace freightliner {
namespace {

TEST(ErrorCodeTest, NamesAreUniqueAndRoundTrip) {
  std::set<std::string_view> names;
  for (ErrorCode code : kAllErrorCodes) {
    std::string_view name = ErrorCodeName(code);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(ErrorCodeFromName(name), code);
  }
  EXPECT_EQ(ErrorCodeFromName("nope"), std::nullopt);
}

TEST(ErrorTest, ContextReadsAsAPath) {
  Error e(ErrorCode::kNotFound, "manifest v9 not found");
  EXPECT_EQ(e.WithContext("copy team/app:v9").ToString(),
            "not_found: copy team/app:v9: manifest v9 not found");
}

TEST(ResultTest, CarriesValueOrError) {
  Result<int> good = 3;
  Result<int> bad = MakeError(ErrorCode::kAuth, "denied");
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(*good, 3);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kAuth);
}

TEST(ExceptionMessageTest, NamesStdAndOtherExceptions) {
  EXPECT_EQ(ExceptionMessage(std::make_exception_ptr(std::runtime_error("disk on fire"))),
            "disk on fire");
  EXPECT_EQ(ExceptionMessage(std::make_exception_ptr(42)), "unknown exception");
  EXPECT_EQ(ExceptionMessage(nullptr), "no exception");
}

}  // namespace
}  // namespace freightliner
