#include "http/untrusted.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace freightliner::http {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence starting at text[i], or 0 when there is none.
size_t ValidSequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t length = 0;
  uint32_t code_point = 0;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2;
    code_point = b0 & 0x1Fu;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3;
    code_point = b0 & 0x0Fu;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4;
    code_point = b0 & 0x07u;
  } else {
    return 0;  // a continuation byte or 0xF8..0xFF
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3Fu);
  }
  static constexpr uint32_t kSmallestOf[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kSmallestOf[length]) return 0;              // overlong
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;  // surrogate
  if (code_point > 0x10FFFF) return 0;
  return length;
}

}  // namespace

std::optional<uint64_t> ParseBoundedUnsigned(std::string_view text, uint64_t max) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = ValidSequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view text) {
  if (IsValidUtf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size();) {
    const size_t n = ValidSequenceLength(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace freightliner::http

namespace freightliner::http {

std::optional<Origin> OriginOf(std::string_view url) {
  Origin origin;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  for (char c : url.substr(0, sep))
    origin.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint16_t default_port = 0;
  if (origin.scheme == "https") {
    default_port = 443;
  } else if (origin.scheme == "http") {
    default_port = 80;
  } else {
    return std::nullopt;
  }
  std::string_view authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // user:password@ is not where the request goes
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  for (char c : host)
    origin.host += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (port.empty()) {
    origin.port = default_port;
  } else {
    auto value = ParseBoundedUnsigned(port, 65535);
    if (!value || *value == 0 || port.find_first_of(" \t") != std::string_view::npos) {
      return std::nullopt;
    }
    origin.port = static_cast<uint16_t>(*value);
  }
  return origin;
}

bool SameOrigin(std::string_view a, std::string_view b) {
  const auto origin_a = OriginOf(a);
  const auto origin_b = OriginOf(b);
  return origin_a && origin_b && *origin_a == *origin_b;
}

}  // namespace freightliner::http
