#pragma once
// Shared by the libFuzzer targets. Each target is deterministic and touches neither the network
// nor the filesystem: it feeds the bytes to one text-level parser and checks nothing but that
// the parser returns (sanitizers report the rest).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace freightliner::fuzz {

// Larger inputs are skipped (scripts/fuzz.sh also passes -max_len): real manifests, headers and
// config files are far smaller, and uninstrumented libraries (yaml-cpp) must not be what a
// finding is about.
inline constexpr size_t kMaxInputBytes = 64 * 1024;

inline std::optional<std::string_view> Text(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits off the first byte as a selector (which variant of a parser to call).
inline std::optional<std::pair<uint8_t, std::string_view>> SelectorAndText(const uint8_t* data,
                                                                           size_t size) {
  if (size == 0 || size > kMaxInputBytes) return std::nullopt;
  return std::pair{data[0], std::string_view(reinterpret_cast<const char*>(data + 1), size - 1)};
}

}  // namespace freightliner::fuzz
