#pragma once
// Reading fields of JSON documents that came over the network. nlohmann's `value()` throws when
// a field has another type than the default's, so a registry sending {"code": 5} would throw;
// these return the empty value instead.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace freightliner::registry {

// The string at `key` of an object, or "" (absent, another type, or not an object).
inline std::string StringField(const nlohmann::json& object, const std::string& key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// The integer at `key` of an object when it is one in [0, max]; nullopt otherwise (absent,
// another type, negative, a float, or above max).
inline std::optional<uint64_t> BoundedUnsignedField(const nlohmann::json& object,
                                                    const std::string& key, uint64_t max) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const auto v = it->get<uint64_t>();
    return v <= max ? std::optional<uint64_t>(v) : std::nullopt;
  }
  if (it->is_number_integer()) {
    const auto v = it->get<int64_t>();
    if (v < 0 || static_cast<uint64_t>(v) > max) return std::nullopt;
    return static_cast<uint64_t>(v);
  }
  return std::nullopt;
}

// Serialises for output: invalid UTF-8 in a string (nlohmann stores what it is given) becomes
// U+FFFD instead of an exception.
inline std::string SafeDump(const nlohmann::json& doc, int indent = -1) {
  return doc.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace freightliner::registry
