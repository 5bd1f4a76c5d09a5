#pragma once
// Which repositories and tags a fleet copy takes.
//
// Tags: the candidates are `list` when given, else every source tag; then the includes (keep a
// tag that matches any include regex or glob), the excludes (drop a tag that matches any),
// `semver` (keep versions inside the constraint) and `latest` (keep the N highest versions),
// in that order. Every pattern matches the WHOLE tag: the regex "v1" keeps only "v1", the glob
// "v*" keeps the tags starting with v, as regsync does (earlier versions matched regexes anywhere
// in the tag). Repositories: glob patterns on the path below the source prefix.

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
  std::vector<std::string> include;  // RE2 regexes matched against the whole tag (FullMatch)
  std::vector<std::string> exclude;
  std::vector<std::string> include_globs;  // globs as GlobMatch takes them, on the whole tag
  std::vector<std::string> exclude_globs;
  std::string semver;            // a constraint such as ">=1.2 <2"
  std::optional<size_t> latest;  // the N highest semver tags

  bool operator==(const TagSelection&) const = default;
  // The filters for a message: `include-tag glob ["v*"], semver ">=1"`; "no filter" when none.
  std::string Describe() const;
};

// Longest include/exclude regex or glob accepted; RE2 also bounds each compiled regex's memory.
inline constexpr size_t kMaxTagPatternLength = 1024;

// Immutable once created; thread-safe to share. Regexes are RE2 (linear time in the tag's
// length, whatever the pattern: "(a+)+" cannot spin), globs run in O(pattern * tag).
class TagFilter {
 public:
  // Compiles the patterns; a bad or too long one is an error that names it, and so is one that
  // can only have been written for the old substring rule (see CheckWholeTagRegex): the error
  // names the pattern that does what it did.
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

// Refuses a tag regex (compiled as `re`) that cannot mean what it says under the whole-tag rule,
// with the fix in the message (`what` names the pattern's role, e.g. "exclude-tag regex"):
//  - one that can never match a whole valid tag: every string it fully matches is empty or
//    starts with a byte no tag starts with (RE2's PossibleMatchRange bounds them), e.g. "-rc",
//    "(-rc|-beta)", "\.x" -> ".*-rc.*";
//  - one anchored at one end only ("^v", "-rc$"): an anchor is only needed for substring search,
//    and "^v" now keeps the tag "v" alone -> "v.*", ".*-rc".
// Sound: a pattern it refuses never fully matched a tag, or carries an anchor the old rule needed.
Status CheckWholeTagRegex(const std::string& pattern, const re2::RE2& re, const std::string& what);
// Refuses a tag glob whose first character is a literal that no tag starts with ("-rc", "^v"),
// naming "*-rc*" (or the regex flag for one that looks like a regex).
Status CheckWholeTagGlob(const std::string& glob, const std::string& what);
// The whole-tag regex that keeps what `pattern` kept as a substring search: "-rc" -> ".*-rc.*",
// "^v" -> "v.*", "a|b" -> ".*(?:a|b).*".
std::string WholeTagEquivalent(const std::string& pattern);

inline constexpr size_t kMaxRepoGlobLength = 1024;

struct RepoSelection {
  std::vector<std::string> include;  // globs: * ? [..] [!..] \x; * also crosses '/'
  std::vector<std::string> exclude;

  bool operator==(const RepoSelection&) const = default;
  // `relative` is the repository path below the prefix ("app", "x/y").
  bool Matches(const std::string& relative) const;
  // A glob longer than kMaxRepoGlobLength is an error that names it.
  Status Check() const;
  // The filters for a message: `include_repos ["app*"]`; "no filter" when none.
  std::string Describe() const;
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
