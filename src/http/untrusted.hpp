#pragma once
// Checked reading of values that come over the network: a registry (or anything between us and
// it) chooses every byte of a header, so numbers are parsed with bounds and text is made valid
// UTF-8 before it can reach a JSON document, a log line or an error message.
//
//   auto size = http::ParseBoundedUnsigned(headers.Get("Content-Length").value_or(""), kMax);

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace freightliner::http {

// Decimal digits only (surrounding spaces and tabs allowed), at most `max`; nullopt otherwise
// (empty, a sign, any other character, or out of range).
std::optional<uint64_t> ParseBoundedUnsigned(std::string_view text, uint64_t max);

// `text` with every invalid UTF-8 sequence (stray continuation bytes, truncated or overlong
// sequences, surrogates, code points above U+10FFFF) replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view text);
bool IsValidUtf8(std::string_view text);

}  // namespace freightliner::http

namespace freightliner::http {

// Where a URL sends its request: scheme, host (lowercased, IPv6 without brackets) and port
// (the scheme's default when none is written). Credentials are bound to this triple.
struct Origin {
  std::string scheme;
  std::string host;
  uint16_t port = 0;
  bool operator==(const Origin&) const = default;
};

// nullopt for anything but an absolute http:// or https:// URL with a host and a valid port.
std::optional<Origin> OriginOf(std::string_view url);
// Both URLs parse and name the same scheme, host and port.
bool SameOrigin(std::string_view a, std::string_view b);

}  // namespace freightliner::http
