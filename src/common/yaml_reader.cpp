#include "common/yaml_reader.hpp"

#include <cstdlib>
#include <string>

namespace freightliner {

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup FixedEnvironment(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& env) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      out.push_back('$');
      continue;
    }
    const size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "unclosed ${ in \"" + std::string(text) + "\"");
    }
    std::string expr(text.substr(i + 2, close - i - 2));
    std::optional<std::string> fallback;
    if (const size_t dash = expr.find(":-"); dash != std::string::npos) {
      fallback = expr.substr(dash + 2);
      expr = expr.substr(0, dash);
    }
    if (expr.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty ${} in value");
    auto value = env(expr);
    if (!value || (value->empty() && fallback)) value = fallback;
    if (!value) {
      return MakeError(ErrorCode::kInvalidArgument, "environment variable " + expr +
                                                        " is not set (write ${" + expr +
                                                        ":-default} for a default)");
    }
    out += *value;
    i = close;
  }
  return out;
}

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  const auto invalid = [&] {
    return MakeError(ErrorCode::kInvalidArgument, "invalid duration \"" + std::string(text) + "\"");
  };
  if (text.empty()) return invalid();
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    const size_t digits_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > 10'000'000) return invalid();
      ++i;
    }
    if (i == digits_start) return invalid();
    if (i == text.size()) {
      if (digits_start != 0) return invalid();  // "1h30" is ambiguous
      return std::chrono::seconds(n);
    }
    switch (text[i++]) {
      case 's':
        total += n;
        break;
      case 'm':
        total += n * 60;
        break;
      case 'h':
        total += n * 3600;
        break;
      case 'd':
        total += n * 86400;
        break;
      default:
        return invalid();
    }
  }
  return std::chrono::seconds(total);
}

namespace {

// "path:line:column" (lines and columns from 1), or "path" without a position. Built with
// append only: `":" + std::to_string(n)` (operator+(const char*, std::string&&)) makes gcc 12
// at -O3 report a -Wrestrict false positive inside char_traits.h (GCC bug 105329).
std::string Position(const std::string& path, const YAML::Mark& mark) {
  std::string where = path;
  if (mark.line >= 0) {
    where.append(":").append(std::to_string(mark.line + 1));
    where.append(":").append(std::to_string(mark.column + 1));
  }
  return where;
}

// Where a node may start: an alias is `*` at such a place, followed by its name.
bool StartsNode(char before) {
  switch (before) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '[':
    case '{':
    case ',':
      return true;
    default:
      return false;
  }
}

bool EndsToken(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ']' || c == '}';
}

}  // namespace

size_t CountYamlAliases(std::string_view yaml_text) {
  size_t aliases = 0;
  for (size_t i = 0; i + 1 < yaml_text.size(); ++i) {
    if (yaml_text[i] != '*' || EndsToken(yaml_text[i + 1])) continue;
    if (i == 0 || StartsNode(yaml_text[i - 1])) ++aliases;
  }
  return aliases;
}

Result<YAML::Node> LoadYaml(std::string_view yaml_text, const std::string& path) {
  if (yaml_text.size() > kMaxYamlBytes) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(path)
                                                      .append(": ")
                                                      .append(std::to_string(yaml_text.size()))
                                                      .append(" bytes, more than the ")
                                                      .append(std::to_string(kMaxYamlBytes))
                                                      .append(" a YAML file may have"));
  }
  if (const size_t aliases = CountYamlAliases(yaml_text); aliases > kMaxYamlAliases) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(path)
                         .append(": ")
                         .append(std::to_string(aliases))
                         .append(" YAML aliases (*name), more than the ")
                         .append(std::to_string(kMaxYamlAliases))
                         .append(" a file may use"));
  }
  try {
    return YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     Position(path, e.mark).append(": invalid YAML: ").append(e.msg));
  }
}

Error YamlReader::At(const YAML::Node& node, const std::string& what) const {
  // Mark() of an absent key's (invalid) node throws.
  const YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
  return Error(ErrorCode::kInvalidArgument, Position(path_, mark).append(": ").append(what));
}

}  // namespace freightliner
