#include "registry/challenge.hpp"

#include <algorithm>
#include <cctype>

namespace freightliner::registry {
namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A small cursor over the header; every method leaves the position after what it consumed.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (s_[pos_] == ' ' || s_[pos_] == '\t'))
      ++pos_;
  }
  void SkipSpaceAndCommas() {
    while (!AtEnd() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == ','))
      ++pos_;
  }
  std::string_view Token() {
    const size_t start = pos_;
    while (!AtEnd() && IsTokenChar(s_[pos_]))
      ++pos_;
    return s_.substr(start, pos_ - start);
  }
  std::string QuotedOrToken() {
    if (Peek() != '"') return std::string(Token());
    ++pos_;
    std::string out;
    while (!AtEnd() && s_[pos_] != '"') {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out.push_back(s_[pos_++]);
    }
    if (!AtEnd()) ++pos_;  // closing quote
    return out;
  }
  size_t Position() const { return pos_; }
  void Reset(size_t pos) { pos_ = pos; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Challenge> ParseChallenges(std::string_view header) {
  std::vector<Challenge> out;
  Scanner sc(header);
  while (true) {
    sc.SkipSpaceAndCommas();
    if (sc.AtEnd()) break;
    std::string_view scheme = sc.Token();
    if (scheme.empty()) break;  // garbage: stop rather than loop
    Challenge challenge;
    challenge.scheme = Lower(scheme);
    // Parameters until the next "token SP" that starts a new challenge.
    while (true) {
      sc.SkipSpaceAndCommas();
      const size_t mark = sc.Position();
      std::string_view key = sc.Token();
      sc.SkipSpace();
      if (key.empty() || sc.Peek() != '=') {
        sc.Reset(mark);
        break;
      }
      sc.Reset(sc.Position() + 1);  // '='
      sc.SkipSpace();
      challenge.params[Lower(key)] = sc.QuotedOrToken();
    }
    out.push_back(std::move(challenge));
  }
  return out;
}

std::optional<Challenge> PreferredChallenge(const std::vector<Challenge>& challenges) {
  for (const char* scheme : {"bearer", "basic"}) {
    for (const Challenge& c : challenges) {
      if (c.scheme == scheme) return c;
    }
  }
  return std::nullopt;
}

}  // namespace freightliner::registry
