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

Result<Patterns> Compile(const std::vector<std::string>& patterns, const char* what) {
  Patterns out;
  for (const std::string& p : patterns) {
    const auto invalid = [&](const std::string& why) {
      return MakeError(ErrorCode::kInvalidArgument, std::string("invalid ") + what + " pattern " +
                                                        QuoteUntrusted(p) + ": " + why);
    };
    if (p.size() > kMaxTagPatternLength) {
      return invalid("longer than " + std::to_string(kMaxTagPatternLength) + " characters");
    }
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(kMaxPatternMemory);
    auto re = std::make_shared<const re2::RE2>(p, options);
    if (!re->ok()) return invalid(QuoteUntrusted(re->error()));
    out.push_back(std::move(re));
  }
  return out;
}

bool AnyMatches(const Patterns& patterns, const std::string& tag) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const auto& re) { return re2::RE2::PartialMatch(tag, *re); });
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
  auto include = Compile(selection.include, "include-tag");
  if (!include) return tl::unexpected(include.error());
  auto exclude = Compile(selection.exclude, "exclude-tag");
  if (!exclude) return tl::unexpected(exclude.error());
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
    if (!include_.empty() && !AnyMatches(include_, tag)) continue;
    if (AnyMatches(exclude_, tag)) continue;
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
