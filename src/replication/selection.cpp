#include "replication/selection.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <set>

#include "common/format.hpp"

namespace freightliner::replication {
namespace {

using Patterns = std::vector<std::shared_ptr<const re2::RE2>>;

// Enough for any tag pattern a person writes; a pattern whose automaton needs more is refused.
constexpr int64_t kMaxPatternMemory = 1 << 20;

Error Invalid(const std::string& what, const std::string& pattern, const std::string& why) {
  return Error(ErrorCode::kInvalidArgument,
               "invalid " + what + " " + QuoteUntrusted(pattern) + ": " + why);
}

Status CheckLength(const std::string& pattern, const std::string& what) {
  if (pattern.size() <= kMaxTagPatternLength) return Ok();
  return tl::unexpected(Invalid(
      what, pattern, "longer than " + std::to_string(kMaxTagPatternLength) + " characters"));
}

// The bytes a tag may start with: [A-Za-z0-9_].
bool IsTagStart(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

// Whether `pattern` ends with a '$' that is an anchor, not an escaped "\$".
bool EndsWithAnchor(const std::string& pattern) {
  if (pattern.empty() || pattern.back() != '$') return false;
  size_t backslashes = 0;
  for (size_t i = pattern.size() - 1; i > 0 && pattern[i - 1] == '\\'; --i)
    ++backslashes;
  return backslashes % 2 == 0;
}

Result<Patterns> CompileRegexes(const std::vector<std::string>& patterns, const std::string& what) {
  Patterns out;
  for (const std::string& p : patterns) {
    if (Status s = CheckLength(p, what); !s) return tl::unexpected(s.error());
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(kMaxPatternMemory);
    auto re = std::make_shared<const re2::RE2>(p, options);
    if (!re->ok()) return tl::unexpected(Invalid(what, p, QuoteUntrusted(re->error())));
    if (Status s = CheckWholeTagRegex(p, *re, what); !s) return tl::unexpected(s.error());
    out.push_back(std::move(re));
  }
  return out;
}

Status CheckGlobs(const std::vector<std::string>& globs, const std::string& what) {
  for (const std::string& g : globs) {
    if (Status s = CheckLength(g, what); !s) return s;
    if (Status s = CheckWholeTagGlob(g, what); !s) return s;
  }
  return Ok();
}

bool AnyMatches(const Patterns& patterns, const std::string& tag) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const auto& re) { return re2::RE2::FullMatch(tag, *re); });
}

bool AnyGlob(const std::vector<std::string>& globs, const std::string& path) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return GlobMatch(g, path); });
}

// Matches `c` against the one-character element of `pattern` at `pi` (not '*'); on a match,
// `next` is where the element ends. A '[' without its ']' is a literal, as in fnmatch.
bool MatchOne(std::string_view pattern, size_t pi, char c, size_t& next) {
  const char p = pattern[pi];
  if (p == '?') {
    next = pi + 1;
    return true;
  }
  if (p == '\\' && pi + 1 < pattern.size()) {
    next = pi + 2;
    return pattern[pi + 1] == c;
  }
  if (p == '[') {
    size_t i = pi + 1;
    const bool negated = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
    if (negated) ++i;
    const size_t body = i;  // a ']' right here is a member, not the end
    bool matched = false;
    while (i < pattern.size() && (i == body || pattern[i] != ']')) {
      char low = pattern[i];
      if (low == '\\' && i + 1 < pattern.size()) low = pattern[++i];
      char high = low;
      if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
        high = pattern[i + 2];
        i += 2;
      }
      if (low <= c && c <= high) matched = true;
      ++i;
    }
    if (i < pattern.size()) {  // the closing ']'
      next = i + 1;
      return matched != negated;
    }
  }
  next = pi + 1;
  return p == c;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Greedy with one backtrack point, the last '*': a later '*' subsumes what an earlier one
  // could still try, so no other backtracking is needed.
  size_t pi = 0;
  size_t ti = 0;
  size_t star = std::string_view::npos;  // pattern index after the last '*'
  size_t star_text = 0;                  // where that '*' stopped matching
  while (ti < text.size()) {
    if (pi < pattern.size() && pattern[pi] == '*') {
      star = ++pi;
      star_text = ti;
      continue;
    }
    size_t next = 0;
    if (pi < pattern.size() && MatchOne(pattern, pi, text[ti], next)) {
      pi = next;
      ++ti;
      continue;
    }
    if (star == std::string_view::npos) return false;
    pi = star;
    ti = ++star_text;
  }
  while (pi < pattern.size() && pattern[pi] == '*')
    ++pi;
  return pi == pattern.size();
}

Status RepoSelection::Check() const {
  for (const auto* globs : {&include, &exclude}) {
    for (const std::string& g : *globs) {
      if (g.size() > kMaxRepoGlobLength) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "repository pattern " + QuoteUntrusted(g) + " is longer than " +
                             std::to_string(kMaxRepoGlobLength) + " characters");
      }
    }
  }
  return Ok();
}

Result<TagFilter> TagFilter::Create(const TagSelection& selection) {
  TagFilter f;
  f.selection_ = selection;
  auto include = CompileRegexes(selection.include, "include-tag regex");
  if (!include) return tl::unexpected(include.error());
  auto exclude = CompileRegexes(selection.exclude, "exclude-tag regex");
  if (!exclude) return tl::unexpected(exclude.error());
  if (Status s = CheckGlobs(selection.include_globs, "include-tag glob"); !s) {
    return tl::unexpected(s.error());
  }
  if (Status s = CheckGlobs(selection.exclude_globs, "exclude-tag glob"); !s) {
    return tl::unexpected(s.error());
  }
  f.include_ = std::move(*include);
  f.exclude_ = std::move(*exclude);
  if (!selection.semver.empty()) {
    auto c = ParseConstraint(selection.semver);
    if (!c) return tl::unexpected(c.error());
    f.constraint_ = std::move(*c);
  }
  if (selection.latest && *selection.latest == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "latest must be at least 1");
  }
  return f;
}

std::vector<std::string> TagFilter::Select(const std::vector<std::string>& source_tags) const {
  const std::vector<std::string>& candidates =
      selection_.list.empty() ? source_tags : selection_.list;
  std::vector<std::string> kept;
  std::set<std::string> seen;
  for (const std::string& tag : candidates) {
    if (!seen.insert(tag).second) continue;
    const bool any_include = !include_.empty() || !selection_.include_globs.empty();
    if (any_include && !AnyMatches(include_, tag) && !AnyGlob(selection_.include_globs, tag)) {
      continue;
    }
    if (AnyMatches(exclude_, tag) || AnyGlob(selection_.exclude_globs, tag)) continue;
    if (constraint_) {
      auto v = ParseVersion(tag);
      if (!v || !constraint_->Matches(*v)) continue;
    }
    kept.push_back(tag);
  }
  if (selection_.latest) {
    // Keep the chosen versions in their original order, for readable plans.
    const auto latest = LatestTags(kept, *selection_.latest, constraint_.has_value());
    const std::set<std::string> keep(latest.begin(), latest.end());
    std::erase_if(kept, [&](const std::string& t) { return keep.count(t) == 0; });
  }
  return kept;
}

namespace {

// Whether `pattern` has a '|' outside any group and character class ("a|b", not "(a|b)", "[|]").
bool HasTopLevelAlternation(std::string_view pattern) {
  int depth = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;  // the escaped character
    } else if (c == '[') {
      // A ']' right after '[' or '[^' is a member; the class ends at the next ']'.
      size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '^') ++j;
      if (j < pattern.size() && pattern[j] == ']') ++j;
      while (j < pattern.size() && pattern[j] != ']') {
        if (pattern[j] == '\\') ++j;
        ++j;
      }
      i = j;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '|' && depth == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string WholeTagEquivalent(const std::string& pattern) {
  // An alternation at the top level would bind looser than the added ".*": keep it in a group
  // (an anchor inside still anchors: ".*(?:^v|x).*" keeps the tags starting with v).
  if (HasTopLevelAlternation(pattern)) return ".*(?:" + pattern + ").*";
  const bool starts = pattern.starts_with('^');
  const bool ends = EndsWithAnchor(pattern);
  std::string core = pattern.substr(starts ? 1 : 0);
  if (ends) core.pop_back();
  return (starts ? "" : ".*") + core + (ends ? "" : ".*");
}

Status CheckWholeTagRegex(const std::string& pattern, const re2::RE2& re, const std::string& what) {
  const std::string fix = QuoteUntrusted(WholeTagEquivalent(pattern));
  const bool starts = pattern.starts_with('^');
  const bool ends = EndsWithAnchor(pattern);
  if (starts != ends) {
    return tl::unexpected(
        Invalid(what, pattern,
                std::string("patterns match the whole tag, so an anchor at one end only is left "
                            "from substring search; for tags ") +
                    (starts ? "starting" : "ending") + " with it write " + fix));
  }
  // Every string `re` fully matches lies in [min, max] (RE2's guarantee); a tag must start with
  // a byte in [A-Za-z0-9_]. If no such byte lies between their first bytes, no tag matches.
  std::string min;
  std::string max;
  const re2::RE2 whole("^(?:" + pattern + ")$", re.options());
  if (!whole.ok() || !whole.PossibleMatchRange(&min, &max, 8)) return Ok();
  const unsigned lo = min.empty() ? 0u : static_cast<unsigned char>(min[0]);
  const unsigned hi = max.empty() ? 0u : static_cast<unsigned char>(max[0]);
  for (unsigned c = lo; !max.empty() && c <= hi; ++c) {
    if (IsTagStart(static_cast<unsigned char>(c))) return Ok();
  }
  return tl::unexpected(Invalid(what, pattern,
                                "patterns match the whole tag and this one matches no tag (a tag "
                                "starts with a letter, digit or _); for tags containing it write " +
                                    fix));
}

Status CheckWholeTagGlob(const std::string& glob, const std::string& what) {
  if (glob.empty()) return Ok();
  size_t first = 0;
  if (glob[0] == '*' || glob[0] == '?' || glob[0] == '[') return Ok();
  if (glob[0] == '\\' && glob.size() > 1) first = 1;
  if (IsTagStart(static_cast<unsigned char>(glob[first]))) return Ok();
  const bool looks_like_regex =
      glob[0] == '^' || EndsWithAnchor(glob) || glob.find(".*") != std::string::npos;
  return tl::unexpected(
      Invalid(what, glob,
              "globs match the whole tag and no tag starts with " +
                  QuoteUntrusted(std::string(1, glob[first])) +
                  (looks_like_regex
                       ? "; this looks like a regular expression: use the -regex flag"
                       : "; for tags containing it write " + QuoteUntrusted("*" + glob + "*"))));
}

namespace {

void DescribeList(std::string& out, const char* what, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return;
  out += out.empty() ? "" : ", ";
  out += std::string(what) + " [";
  for (size_t i = 0; i < patterns.size(); ++i)
    out += (i == 0 ? "" : ", ") + QuoteUntrusted(patterns[i], 128);
  out += "]";
}

}  // namespace

std::string TagSelection::Describe() const {
  std::string out;
  DescribeList(out, "list", list);
  DescribeList(out, "include-tag regex", include);
  DescribeList(out, "exclude-tag regex", exclude);
  DescribeList(out, "include-tag glob", include_globs);
  DescribeList(out, "exclude-tag glob", exclude_globs);
  if (!semver.empty()) out += (out.empty() ? "semver " : ", semver ") + QuoteUntrusted(semver, 128);
  if (latest) out += (out.empty() ? "latest " : ", latest ") + std::to_string(*latest);
  return out.empty() ? "no filter" : out;
}

std::string RepoSelection::Describe() const {
  std::string out;
  DescribeList(out, "include_repos", include);
  DescribeList(out, "exclude_repos", exclude);
  return out.empty() ? "no filter" : out;
}

bool RepoSelection::Matches(const std::string& relative) const {
  if (!include.empty() && !AnyGlob(include, relative)) return false;
  return !AnyGlob(exclude, relative);
}

std::optional<std::string> RelativeTo(const std::string& prefix, const std::string& repository) {
  if (prefix.empty()) return repository;
  if (repository == prefix) return std::string();
  if (repository.size() > prefix.size() && repository.compare(0, prefix.size(), prefix) == 0 &&
      repository[prefix.size()] == '/') {
    return repository.substr(prefix.size() + 1);
  }
  return std::nullopt;
}

std::string JoinPath(const std::string& prefix, const std::string& relative) {
  if (prefix.empty()) return relative;
  if (relative.empty()) return prefix;
  return prefix + "/" + relative;
}

}  // namespace freightliner::replication
