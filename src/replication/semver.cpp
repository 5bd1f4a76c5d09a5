#include "replication/semver.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace freightliner::replication {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

std::optional<uint64_t> Number(std::string_view s) {
  if (!AllDigits(s) || (s.size() > 1 && s[0] == '0') || s.size() > 18) return std::nullopt;
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

bool IsWildcard(std::string_view s) {
  return s == "x" || s == "X" || s == "*";
}

using Op = Constraint::Comparison::Op;
using Comparison = Constraint::Comparison;

Version Bump(Version v, int part) {
  v.prerelease.clear();
  if (part == 0) {
    ++v.major;
    v.minor = v.patch = 0;
  } else if (part == 1) {
    ++v.minor;
    v.patch = 0;
  } else {
    ++v.patch;
  }
  return v;
}

// A partial version "1", "1.2", "1.x": the parsed prefix and how many parts were given.
struct Partial {
  Version version;
  int parts = 0;
};

std::optional<Partial> ParsePartial(std::string_view s) {
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  if (s.empty() || IsWildcard(s)) return Partial{};
  std::string_view core = s;
  std::string_view pre;
  if (const size_t dash = s.find('-'); dash != std::string_view::npos) {
    core = s.substr(0, dash);
    pre = s.substr(dash + 1);
    if (pre.empty()) return std::nullopt;
  }
  const auto fields = Split(core, '.');
  if (fields.size() > 3) return std::nullopt;
  Partial p;
  uint64_t* slots[] = {&p.version.major, &p.version.minor, &p.version.patch};
  for (size_t i = 0; i < fields.size(); ++i) {
    if (IsWildcard(fields[i])) break;
    auto n = Number(fields[i]);
    if (!n) return std::nullopt;
    *slots[i] = *n;
    p.parts = static_cast<int>(i) + 1;
  }
  if (!pre.empty()) {
    if (p.parts != 3) return std::nullopt;
    for (auto id : Split(pre, '.'))
      p.version.prerelease.emplace_back(id);
  }
  return p;
}

// Expands one constraint term ("^1.2", ">=1", "1.x", "~1.2.3") into comparisons.
std::optional<std::vector<Comparison>> ExpandTerm(std::string_view term) {
  std::string_view op;
  for (std::string_view candidate : {">=", "<=", ">", "<", "=", "^", "~"}) {
    if (term.substr(0, candidate.size()) == candidate) {
      op = candidate;
      break;
    }
  }
  auto partial = ParsePartial(term.substr(op.size()));
  if (!partial) return std::nullopt;
  const Version& v = partial->version;
  const int parts = partial->parts;
  if (op.empty() || op == "=") {
    if (parts == 0) return std::vector<Comparison>{};  // "*": anything
    if (parts == 3) return std::vector<Comparison>{{Op::kEq, v}};
    return std::vector<Comparison>{{Op::kGe, v}, {Op::kLt, Bump(v, parts - 1)}};
  }
  if (op == "^") {
    // The leftmost non-zero part is fixed.
    int part = 0;
    if (v.major == 0 && parts >= 2) part = (v.minor == 0 && parts == 3) ? 2 : 1;
    return std::vector<Comparison>{{Op::kGe, v}, {Op::kLt, Bump(v, part)}};
  }
  if (op == "~") {
    return std::vector<Comparison>{{Op::kGe, v}, {Op::kLt, Bump(v, parts >= 2 ? 1 : 0)}};
  }
  if (op == ">") {
    return std::vector<Comparison>{
        parts == 3 ? Comparison{Op::kGt, v} : Comparison{Op::kGe, Bump(v, std::max(0, parts - 1))}};
  }
  if (op == "<=" && parts < 3) {
    return std::vector<Comparison>{{Op::kLt, Bump(v, std::max(0, parts - 1))}};
  }
  const Op mapped = op == ">=" ? Op::kGe : op == "<=" ? Op::kLe : Op::kLt;
  return std::vector<Comparison>{{mapped, v}};
}

}  // namespace

int Version::Compare(const Version& o) const {
  if (major != o.major) return major < o.major ? -1 : 1;
  if (minor != o.minor) return minor < o.minor ? -1 : 1;
  if (patch != o.patch) return patch < o.patch ? -1 : 1;
  if (prerelease.empty() || o.prerelease.empty()) {
    if (prerelease.empty() == o.prerelease.empty()) return 0;
    return prerelease.empty() ? 1 : -1;  // a release outranks its pre-releases
  }
  for (size_t i = 0; i < std::min(prerelease.size(), o.prerelease.size()); ++i) {
    const std::string& a = prerelease[i];
    const std::string& b = o.prerelease[i];
    const bool an = AllDigits(a), bn = AllDigits(b);
    if (an && bn) {
      if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
      if (a != b) return a < b ? -1 : 1;
    } else if (an != bn) {
      return an ? -1 : 1;  // numeric identifiers sort first
    } else if (a != b) {
      return a < b ? -1 : 1;
    }
  }
  if (prerelease.size() == o.prerelease.size()) return 0;
  return prerelease.size() < o.prerelease.size() ? -1 : 1;
}

std::optional<Version> ParseVersion(std::string_view tag) {
  // Build metadata ("+build.5") does not affect precedence.
  if (const size_t plus = tag.find('+'); plus != std::string_view::npos) tag = tag.substr(0, plus);
  if (!tag.empty() && (tag[0] == 'v' || tag[0] == 'V')) tag.remove_prefix(1);
  if (tag.empty() || !std::isdigit(static_cast<unsigned char>(tag[0]))) return std::nullopt;
  auto p = ParsePartial(tag);
  if (!p || p->parts == 0) return std::nullopt;
  for (const std::string& id : p->version.prerelease) {
    if (id.empty() || !std::all_of(id.begin(), id.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
        })) {
      return std::nullopt;
    }
  }
  return p->version;
}

bool Constraint::Matches(const Version& v) const {
  for (const auto& all : alternatives) {
    bool ok = true;
    // Like npm: a pre-release matches only a range that names the same major.minor.patch.
    bool prerelease_allowed = v.prerelease.empty();
    for (const Comparison& c : all) {
      const int cmp = v.Compare(c.version);
      switch (c.op) {
        case Op::kEq:
          ok = ok && cmp == 0;
          break;
        case Op::kLt:
          ok = ok && cmp < 0;
          break;
        case Op::kLe:
          ok = ok && cmp <= 0;
          break;
        case Op::kGt:
          ok = ok && cmp > 0;
          break;
        case Op::kGe:
          ok = ok && cmp >= 0;
          break;
      }
      if (!c.version.prerelease.empty() && c.version.major == v.major &&
          c.version.minor == v.minor && c.version.patch == v.patch) {
        prerelease_allowed = true;
      }
    }
    if (ok && prerelease_allowed) return true;
  }
  return false;
}

Result<Constraint> ParseConstraint(std::string_view text) {
  Constraint c;
  std::string normalised(text);
  // "1.2 - 2.0" is not supported; commas mean AND as in many tools.
  std::replace(normalised.begin(), normalised.end(), ',', ' ');
  size_t start = 0;
  while (start <= normalised.size()) {
    size_t bar = normalised.find("||", start);
    std::string_view alt =
        std::string_view(normalised)
            .substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    std::vector<Comparison> all;
    std::string pending_op;
    for (std::string_view word : Split(alt, ' ')) {
      if (word.empty()) continue;
      if (word == ">=" || word == "<=" || word == ">" || word == "<" || word == "=" ||
          word == "^" || word == "~") {
        pending_op = std::string(word);  // ">= 1.2" written with a space
        continue;
      }
      const std::string term = pending_op + std::string(word);
      pending_op.clear();
      auto expanded = ExpandTerm(term);
      if (!expanded) {
        return MakeError(
            ErrorCode::kInvalidArgument,
            "invalid semver constraint \"" + std::string(text) + "\" at \"" + term + "\"");
      }
      all.insert(all.end(), expanded->begin(), expanded->end());
    }
    if (!pending_op.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "invalid semver constraint \"" +
                                                        std::string(text) + "\": \"" + pending_op +
                                                        "\" without a version");
    }
    c.alternatives.push_back(std::move(all));
    if (bar == std::string::npos) break;
    start = bar + 2;
  }
  if (std::all_of(normalised.begin(), normalised.end(),
                  [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); })) {
    return MakeError(ErrorCode::kInvalidArgument, "empty semver constraint");
  }
  return c;
}

std::vector<std::string> LatestTags(const std::vector<std::string>& tags, size_t n,
                                    bool include_prerelease) {
  std::vector<std::pair<Version, std::string>> versions;
  for (const std::string& tag : tags) {
    auto v = ParseVersion(tag);
    if (v && (include_prerelease || v->prerelease.empty())) versions.emplace_back(*v, tag);
  }
  // Highest first; equal versions ("1.2" and "v1.2.0") keep a stable, readable order.
  std::stable_sort(versions.begin(), versions.end(), [](const auto& a, const auto& b) {
    const int cmp = a.first.Compare(b.first);
    return cmp != 0 ? cmp > 0 : a.second < b.second;
  });
  std::vector<std::string> out;
  for (size_t i = 0; i < versions.size() && i < n; ++i)
    out.push_back(versions[i].second);
  return out;
}

}  // namespace freightliner::replication
