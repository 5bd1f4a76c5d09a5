#pragma once
// Which repositories and tags a fleet copy takes.
//
// Tags: the candidates are `list` when given, else every source tag; then `include` (keep a tag
// that matches any of these regular expressions), `exclude` (drop a tag that matches any),
// `semver` (keep versions inside the constraint) and `latest` (keep the N highest versions),
// in that order. Repositories: glob patterns on the path below the source prefix.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "replication/semver.hpp"

namespace re2 {
class RE2;
}

namespace freightliner::replication {

struct TagSelection {
  std::vector<std::string> list;
  std::vector<std::string> include;  // RE2 regexes, matched anywhere (anchor with ^ $)
  std::vector<std::string> exclude;
  std::string semver;            // a constraint such as ">=1.2 <2"
  std::optional<size_t> latest;  // the N highest semver tags

  bool operator==(const TagSelection&) const = default;
};

// Longest include/exclude pattern accepted; RE2 also bounds each compiled pattern's memory.
inline constexpr size_t kMaxTagPatternLength = 1024;

// Immutable once created; thread-safe to share. Patterns are RE2 (linear time in the tag's
// length, whatever the pattern: "^(a+)+$" cannot spin), matched anywhere in the tag.
class TagFilter {
 public:
  // Compiles the patterns; a bad or too long one is an error that names it.
  static Result<TagFilter> Create(const TagSelection& selection);

  // False when the selection is an explicit list only: no need to list the source's tags.
  bool NeedsSourceTags() const { return selection_.list.empty(); }
  std::vector<std::string> Select(const std::vector<std::string>& source_tags) const;

 private:
  TagSelection selection_;
  // Shared: copies of a filter share the compiled patterns (RE2 objects are not copyable).
  std::vector<std::shared_ptr<const re2::RE2>> include_;
  std::vector<std::shared_ptr<const re2::RE2>> exclude_;
  std::optional<Constraint> constraint_;
};

inline constexpr size_t kMaxRepoGlobLength = 1024;

struct RepoSelection {
  std::vector<std::string> include;  // globs: * ? [..] [!..] \x; * also crosses '/'
  std::vector<std::string> exclude;

  bool operator==(const RepoSelection&) const = default;
  // `relative` is the repository path below the prefix ("app", "x/y").
  bool Matches(const std::string& relative) const;
  // A glob longer than kMaxRepoGlobLength is an error that names it.
  Status Check() const;
};

// fnmatch(3) without flags, in O(pattern * text) time whatever the number of '*' (glibc's
// fnmatch backtracks exponentially on "*a*a*a...").
bool GlobMatch(std::string_view pattern, std::string_view text);

// Maps a source repository under `source_prefix` to the same place under `dest_prefix`:
// ("team", "mirror", "team/x/y") -> "mirror/x/y". nullopt when it is not under the prefix.
// An empty prefix is the registry root.
std::optional<std::string> RelativeTo(const std::string& prefix, const std::string& repository);
std::string JoinPath(const std::string& prefix, const std::string& relative);

}  // namespace freightliner::replication
