#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace freightliner {

// ASCII letters compared without case (header names, tokens such as "gzip").
bool EqualsIgnoringCase(std::string_view a, std::string_view b);

// "12.3 MiB": binary units, one decimal above bytes.
std::string HumanBytes(uint64_t bytes);

// Text that came from outside (a registry, a file, a caller), made safe for a log line, an error
// message or JSON: in double quotes, with quotes, backslashes, control characters (ANSI ESC
// included) and invalid UTF-8 escaped as \" \\ \n \t \xNN, and cut after `max` input bytes
// with "...". Never longer than about 4 * max + 8 bytes, whatever the input's size.
//
//   spdlog::warn("skipping tag {}", QuoteUntrusted(tag));  // skipping tag "v1\n\x1b[31m"
std::string QuoteUntrusted(std::string_view text, size_t max = 128);
// The same escaping without the quotes, for text already set apart (a URL, a header value).
std::string EscapeUntrusted(std::string_view text, size_t max = 256);

}  // namespace freightliner
