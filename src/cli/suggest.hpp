#pragma once
// "Did you mean" for a mistyped command name.
//
//   ClosestName("replicat", {"replicate", "inspect"});  // "replicate"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace freightliner::cli {

// Levenshtein distance (insert, delete, substitute one character), plus a swap of two adjacent
// characters counted as one edit ("relpicate"), in O(|a| * |b|).
size_t EditDistance(std::string_view a, std::string_view b);

// The name closest to `word`, if it is close enough to be a typo of it: at most 2 edits, and
// fewer than half of the word's length (so "x" suggests nothing). Ties go to the earlier name.
std::optional<std::string> ClosestName(std::string_view word,
                                       const std::vector<std::string>& names);

}  // namespace freightliner::cli
