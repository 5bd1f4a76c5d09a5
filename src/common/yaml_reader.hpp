#pragma once
// Strict reading of YAML configuration files: every error names the file, line and column and
// says what is wrong; unknown keys are errors (a typo must not be silently ignored); string
// values expand ${ENV} references. Used by the sync file and the server's config file.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace freightliner {

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnvironment();
// An environment of exactly these variables (tests, and callers that must not see the process's).
EnvLookup FixedEnvironment(std::map<std::string, std::string> vars);

// Expands ${NAME} and ${NAME:-default}; "$$" is a literal "$". Unset without default: an error.
Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& env);

// Parses "90s", "15m", "2h", "1h30m"; a bare number is seconds.
Result<std::chrono::seconds> ParseDuration(std::string_view text);

// What YAML text may be before yaml-cpp sees it. A config file is far below both; the caps keep
// a hostile or corrupt file (and the fuzzers) from making the uninstrumented library, or the
// readers walking what it returns, spend memory and time out of proportion: an alias (`*name`)
// repeats its anchor's whole node wherever it is used.
inline constexpr size_t kMaxYamlBytes = 1024 * 1024;
inline constexpr size_t kMaxYamlAliases = 64;

// How many aliases (`*name` where a node starts) the text holds, counted from the text alone;
// a `*` inside a quoted string or a comment is counted too (the count only ever errs high).
size_t CountYamlAliases(std::string_view yaml_text);

// Parses YAML text after checking it against the caps above. Errors name `path` and, for a
// syntax error, the line and column: "sync.yaml:3:7: invalid YAML: ...".
Result<YAML::Node> LoadYaml(std::string_view yaml_text, const std::string& path);

// Reads typed values out of YAML nodes, with positions in its errors.
class YamlReader {
 public:
  YamlReader(std::string path, const EnvLookup& env) : path_(std::move(path)), env_(env) {}

  // "path:line:column: what" ("path: what" for a node that is not in the document).
  Error At(const YAML::Node& node, const std::string& what) const;

  Status OnlyKeys(const YAML::Node& map, const std::string& where,
                  const std::set<std::string>& allowed) const {
    if (!map.IsDefined() || !map.IsMap()) {
      return tl::unexpected(At(map, where + " must be a mapping"));
    }
    for (const auto& kv : map) {
      // A complex key (`? [a, b]: x`) is no key we know; as<std::string>() would throw.
      if (!kv.first.IsScalar()) {
        return tl::unexpected(At(kv.first, "keys in " + where + " must be plain names"));
      }
      const std::string& key = kv.first.Scalar();
      if (allowed.count(key) == 0) {
        std::string known;
        for (const std::string& k : allowed)
          known += (known.empty() ? "" : ", ") + k;
        return tl::unexpected(
            At(kv.first, "unknown key \"" + key + "\" in " + where + " (known: " + known + ")"));
      }
    }
    return Ok();
  }

  Result<std::string> String(const YAML::Node& node, const std::string& what) const {
    // A key that is absent from its (const) mapping reads as an invalid node, whose Type() throws.
    if (!node.IsDefined()) return tl::unexpected(At(node, what + " is missing"));
    if (!node.IsScalar()) return tl::unexpected(At(node, what + " must be a string"));
    auto expanded = ExpandEnv(node.Scalar(), env_);
    if (!expanded) return tl::unexpected(At(node, what + ": " + expanded.error().message));
    return expanded;
  }

  Result<bool> Bool(const YAML::Node& node, const std::string& what) const {
    auto s = String(node, what);
    if (!s) return tl::unexpected(s.error());
    if (*s == "true" || *s == "yes") return true;
    if (*s == "false" || *s == "no") return false;
    return tl::unexpected(At(node, what + " must be true or false, not \"" + *s + "\""));
  }

  Result<double> Number(const YAML::Node& node, const std::string& what, double min) const {
    auto s = String(node, what);
    if (!s) return tl::unexpected(s.error());
    char* end = nullptr;
    const double v = std::strtod(s->c_str(), &end);
    // !(v >= min) also refuses NaN; "inf" and overflowing literals are refused as not finite.
    if (s->empty() || end == nullptr || *end != '\0' || !std::isfinite(v) || !(v >= min)) {
      return tl::unexpected(At(node, what + " must be a number >= " + std::to_string(int(min)) +
                                         ", not \"" + *s + "\""));
    }
    return v;
  }

  Result<int> Integer(const YAML::Node& node, const std::string& what, int min) const {
    auto v = Number(node, what, min);
    if (!v) return tl::unexpected(v.error());
    // Range first: casting a double outside int's range is undefined behaviour.
    if (*v > static_cast<double>(std::numeric_limits<int>::max())) {
      return tl::unexpected(
          At(node, what + " must be at most " + std::to_string(std::numeric_limits<int>::max())));
    }
    if (*v != static_cast<double>(static_cast<int>(*v))) {
      return tl::unexpected(At(node, what + " must be a whole number"));
    }
    return static_cast<int>(*v);
  }

  Result<std::vector<std::string>> Strings(const YAML::Node& node, const std::string& what) const {
    std::vector<std::string> out;
    if (!node.IsDefined()) return tl::unexpected(At(node, what + " is missing"));
    if (node.IsScalar()) {
      auto s = String(node, what);
      if (!s) return tl::unexpected(s.error());
      out.push_back(*s);
      return out;
    }
    if (!node.IsSequence()) return tl::unexpected(At(node, what + " must be a list of strings"));
    for (const auto& item : node) {
      auto s = String(item, what + " item");
      if (!s) return tl::unexpected(s.error());
      out.push_back(*s);
    }
    return out;
  }

  Result<std::chrono::seconds> Duration(const YAML::Node& node, const std::string& what) const {
    auto s = String(node, what);
    if (!s) return tl::unexpected(s.error());
    auto d = ParseDuration(*s);
    if (!d || d->count() <= 0) {
      return tl::unexpected(
          At(node, what + " must be a duration such as 30s, 15m or 1h, not \"" + *s + "\""));
    }
    return *d;
  }

  const std::string& path() const { return path_; }
  const EnvLookup& env() const { return env_; }

 private:
  std::string path_;
  const EnvLookup& env_;
};

}  // namespace freightliner
