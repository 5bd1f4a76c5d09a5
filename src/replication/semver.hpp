#pragma once
// Semantic versions as image tags use them ("1.2.3", "v1.2", "2.0.0-rc.1") and npm-style
// constraints (">=1.2 <2", "^1.4", "~2.1", "1.x", "1.2 || >=3").
//
//   auto c = ParseConstraint(">=1.2.0 <2");  c->Matches(*ParseVersion("v1.10.4"))  // true

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace freightliner::replication {

struct Version {
  uint64_t major = 0;
  uint64_t minor = 0;
  uint64_t patch = 0;
  std::vector<std::string> prerelease;  // "rc.1" -> {"rc", "1"}; empty for a release

  // Semver 2.0 precedence (build metadata ignored).
  int Compare(const Version& other) const;
  bool operator<(const Version& o) const { return Compare(o) < 0; }
  bool operator==(const Version& o) const { return Compare(o) == 0; }
};

// Accepts an optional leading "v", and "1" or "1.2" as 1.0.0 / 1.2.0. nullopt when not a version.
std::optional<Version> ParseVersion(std::string_view tag);

// A disjunction of conjunctions of comparisons.
class Constraint {
 public:
  bool Matches(const Version& v) const;

  struct Comparison {
    enum class Op { kEq, kLt, kLe, kGt, kGe } op;
    Version version;
  };
  std::vector<std::vector<Comparison>> alternatives;
};

Result<Constraint> ParseConstraint(std::string_view text);

// The `n` highest versions among `tags` (non-versions ignored; pre-releases only when asked).
std::vector<std::string> LatestTags(const std::vector<std::string>& tags, size_t n,
                                    bool include_prerelease);

}  // namespace freightliner::replication
