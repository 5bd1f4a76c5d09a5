#include "common/format.hpp"

#include <gtest/gtest.h>

namespace freightliner {
namespace {

TEST(QuoteUntrustedTest, PlainTextIsQuoted) {
  EXPECT_EQ(QuoteUntrusted("team/app:v1"), "\"team/app:v1\"");
  EXPECT_EQ(QuoteUntrusted(""), "\"\"");
}

TEST(QuoteUntrustedTest, ControlCharactersQuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(QuoteUntrusted("v1\nforged"), "\"v1\\nforged\"");
  EXPECT_EQ(QuoteUntrusted("\x1b[31mred\x1b[0m"), "\"\\x1b[31mred\\x1b[0m\"");
  EXPECT_EQ(QuoteUntrusted("a\"b\\c\td\re"), "\"a\\\"b\\\\c\\td\\re\"");
  EXPECT_EQ(QuoteUntrusted(std::string("a\0b\x7f", 4)), "\"a\\x00b\\x7f\"");
}

TEST(QuoteUntrustedTest, InvalidUtf8AndC1ControlsAreEscapedValidUtf8Kept) {
  EXPECT_EQ(QuoteUntrusted("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(QuoteUntrusted("\xe2\x82\xac \xf0\x9f\x90\xb3"), "\"\xe2\x82\xac \xf0\x9f\x90\xb3\"");
  EXPECT_EQ(QuoteUntrusted("\xff\xfe"), "\"\\xff\\xfe\"");
  EXPECT_EQ(QuoteUntrusted("a\xc3"), "\"a\\xc3\"");                  // cut sequence
  EXPECT_EQ(QuoteUntrusted("\xc0\xaf"), "\"\\xc0\\xaf\"");           // overlong '/'
  EXPECT_EQ(QuoteUntrusted("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");  // surrogate
  EXPECT_EQ(QuoteUntrusted("\xc2\x9b"
                           "31m"),
            "\"\\xc2\\x9b31m\"");  // C1 CSI
}

TEST(QuoteUntrustedTest, LongTextIsTruncated) {
  const std::string huge(1 << 20, 'a');
  const std::string quoted = QuoteUntrusted(huge);
  EXPECT_EQ(quoted, "\"" + std::string(128, 'a') + "\"...");
  EXPECT_EQ(QuoteUntrusted("abcdef", 3), "\"abc\"...");
  EXPECT_EQ(QuoteUntrusted("abc", 3), "\"abc\"");
  // Escapes make the output longer, never unbounded.
  EXPECT_LE(QuoteUntrusted(std::string(1 << 20, '\x1b')).size(), 4u * 128 + 8);
}

}  // namespace
}  // namespace freightliner
