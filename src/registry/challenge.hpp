#pragma once
// WWW-Authenticate parsing (RFC 7235): `Bearer
// realm="https://auth/token",service="reg",scope="..."`.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace freightliner::registry {

struct Challenge {
  std::string scheme;                         // lowercased: "basic", "bearer"
  std::map<std::string, std::string> params;  // keys lowercased, values unquoted

  std::string Param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses every challenge in one header value (a server may offer several, comma-separated).
std::vector<Challenge> ParseChallenges(std::string_view header);

// The challenge to answer: Bearer when offered (it carries scopes), else Basic, else none.
std::optional<Challenge> PreferredChallenge(const std::vector<Challenge>& challenges);

}  // namespace freightliner::registry
