#include "http/untrusted.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>

namespace freightliner::http {
namespace {

TEST(ParseBoundedUnsignedTest, AcceptsDecimalDigitsWithinTheBound) {
  EXPECT_EQ(ParseBoundedUnsigned("0", 10), 0u);
  EXPECT_EQ(ParseBoundedUnsigned(" 1234\t", 5000), 1234u);
  EXPECT_EQ(ParseBoundedUnsigned("9223372036854775807", INT64_MAX), uint64_t{INT64_MAX});
}

TEST(ParseBoundedUnsignedTest, RefusesWhatStollWouldThrowOnOrAccept) {
  // std::stoll threw out_of_range on the first (an abort); it accepted the others in part.
  EXPECT_EQ(ParseBoundedUnsigned("99999999999999999999999", INT64_MAX), std::nullopt);
  EXPECT_EQ(ParseBoundedUnsigned("9223372036854775808", INT64_MAX), std::nullopt);
  EXPECT_EQ(ParseBoundedUnsigned("-1", INT64_MAX), std::nullopt);
  EXPECT_EQ(ParseBoundedUnsigned("+1", INT64_MAX), std::nullopt);
  EXPECT_EQ(ParseBoundedUnsigned("12abc", INT64_MAX), std::nullopt);
  EXPECT_EQ(ParseBoundedUnsigned("1 2", INT64_MAX), std::nullopt);
  EXPECT_EQ(ParseBoundedUnsigned("", INT64_MAX), std::nullopt);
  EXPECT_EQ(ParseBoundedUnsigned("0x10", INT64_MAX), std::nullopt);
  EXPECT_EQ(ParseBoundedUnsigned("11", 10), std::nullopt);
}

TEST(SanitizeUtf8Test, KeepsValidTextAndReplacesEveryInvalidSequence) {
  EXPECT_EQ(SanitizeUtf8("sha256:abc"), "sha256:abc");
  EXPECT_EQ(SanitizeUtf8("caf\xC3\xA9 \xF0\x9F\x9A\xA2"), "caf\xC3\xA9 \xF0\x9F\x9A\xA2");
  EXPECT_EQ(SanitizeUtf8("a\xFF"
                         "b"),
            "a\xEF\xBF\xBD"
            "b");                                                   // never valid
  EXPECT_EQ(SanitizeUtf8("\x80"), "\xEF\xBF\xBD");                  // stray continuation
  EXPECT_EQ(SanitizeUtf8("\xC3"), "\xEF\xBF\xBD");                  // truncated
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(SanitizeUtf8("\xF4\x90\x80\x80").size(), 12u);  // above U+10FFFF
  EXPECT_TRUE(IsValidUtf8(SanitizeUtf8("sha256:\xFF\xFE\xC3(")));
}

TEST(SanitizeUtf8Test, MakesAnyBytesSerialisableAsJson) {
  std::string all;
  for (int b = 0; b < 256; ++b)
    all += static_cast<char>(b);
  all += "\xE2\x82";  // truncated at the end
  nlohmann::json doc = {{"digest", SanitizeUtf8(all)}};
  EXPECT_NO_THROW((void)doc.dump());
}

TEST(OriginTest, ParsesSchemeHostAndPortWithDefaults) {
  EXPECT_EQ(OriginOf("https://Registry.example/v2/"), (Origin{"https", "registry.example", 443}));
  EXPECT_EQ(OriginOf("http://127.0.0.1:5000/v2/x?y=1"), (Origin{"http", "127.0.0.1", 5000}));
  EXPECT_EQ(OriginOf("https://[::1]:8443"), (Origin{"https", "::1", 8443}));
  EXPECT_EQ(OriginOf("https://user:pw@host:1/"), (Origin{"https", "host", 1}));
  EXPECT_EQ(OriginOf("/v2/relative"), std::nullopt);
  EXPECT_EQ(OriginOf("ftp://host/"), std::nullopt);
  EXPECT_EQ(OriginOf("https://host:99999/"), std::nullopt);
  EXPECT_EQ(OriginOf("https://:443/"), std::nullopt);
}

TEST(OriginTest, SameOriginComparesSchemeHostAndPort) {
  EXPECT_TRUE(SameOrigin("https://r.example/v2/a", "https://r.example:443"));
  EXPECT_TRUE(SameOrigin("https://R.example/x", "https://r.example/y"));
  // The bug of issue 9 point 6: only host:port was compared, so this one got the credentials.
  EXPECT_FALSE(SameOrigin("http://r.example:5000/upload", "https://r.example:5000"));
  EXPECT_FALSE(SameOrigin("https://r.example:5001/", "https://r.example:5000"));
  EXPECT_FALSE(SameOrigin("https://other.example/", "https://r.example"));
  EXPECT_FALSE(SameOrigin("https://r.example.evil.example/", "https://r.example"));
  EXPECT_FALSE(SameOrigin("https://r.example@evil.example/", "https://r.example"));
  EXPECT_FALSE(SameOrigin("/v2/x", "/v2/x"));
}

}  // namespace
}  // namespace freightliner::http
