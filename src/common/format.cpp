#include "common/format.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace freightliner {

std::string HumanBytes(uint64_t bytes) {
  constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < kUnits.size()) {
    value /= 1024;
    ++unit;
  }
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return buf.data();
}

namespace {

// The length of the well-formed UTF-8 sequence of two to four bytes at the start of `text`
// (no overlong forms, no surrogates, nothing above U+10FFFF); 0 when there is none.
size_t Utf8SequenceLength(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto continuation = [&](size_t i) { return i < text.size() && (byte(i) & 0xC0U) == 0x80U; };
  const unsigned char lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
    if (lead == 0xED && byte(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xF0 && byte(1) < 0x90) return 0;  // overlong
    if (lead == 0xF4 && byte(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

void AppendHexEscape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4U];
  out += kHex[c & 0x0FU];
}

}  // namespace

namespace {

// Appends `text` escaped, at most `max` input bytes of it; true when it was cut.
bool AppendEscaped(std::string& out, std::string_view text, size_t max) {
  size_t i = 0;
  while (i < text.size() && i < max) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(text.substr(i));
      // U+0080..U+009F are C1 controls (0x9B is a terminal's CSI): escaped as well.
      const bool c1_control = n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
      if (c1_control) {
        AppendHexEscape(out, c);
        AppendHexEscape(out, static_cast<unsigned char>(text[i + 1]));
        i += 2;
      } else if (n == 0) {
        AppendHexEscape(out, c);
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          AppendHexEscape(out, c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return i < text.size();
}

}  // namespace

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string EscapeUntrusted(std::string_view text, size_t max) {
  std::string out;
  if (AppendEscaped(out, text, max)) out += "...";
  return out;
}

std::string QuoteUntrusted(std::string_view text, size_t max) {
  std::string out = "\"";
  const bool cut = AppendEscaped(out, text, max);
  out += '"';
  if (cut) out += "...";
  return out;
}

}  // namespace freightliner
