#include "cli/output_format.hpp"

#include <cctype>
#include <charconv>
#include <variant>
#include <vector>

#include "common/format.hpp"
#include "registry/json_fields.hpp"

namespace freightliner::cli {
namespace {

using nlohmann::json;

constexpr size_t kMaxFormatBytes = 4096;

Error BadFormat(const std::string& why) {
  return Error(ErrorCode::kInvalidArgument, "--format: " + why);
}

std::string Escaped(const std::string& text) {
  return EscapeUntrusted(text, text.size());
}

// A key or an index on the way to a value.
using Step = std::variant<std::string, size_t>;

// Parses "[0]" or "[\"key\"]" at `pos` (which is at '[').
Result<Step> ParseBracket(std::string_view path, size_t& pos) {
  const size_t close = path.find(']', pos);
  if (close == std::string_view::npos) return tl::unexpected(BadFormat("unclosed ["));
  std::string_view inside = path.substr(pos + 1, close - pos - 1);
  pos = close + 1;
  if (inside.size() >= 2 && inside.front() == '"' && inside.back() == '"') {
    return Step(std::string(inside.substr(1, inside.size() - 2)));
  }
  size_t index = 0;
  const auto [end, ec] = std::from_chars(inside.data(), inside.data() + inside.size(), index);
  if (ec != std::errc() || end != inside.data() + inside.size()) {
    return tl::unexpected(
        BadFormat("want [N] or [\"key\"], not [" + Escaped(std::string(inside)) + "]"));
  }
  return Step(index);
}

// ".a.b[0][\"k\"]" into steps; "." alone is no step.
Result<std::vector<Step>> ParsePath(std::string_view path, bool brackets) {
  if (path.empty() || path.front() != '.') {
    return tl::unexpected(BadFormat("a path starts with '.': " + Escaped(std::string(path))));
  }
  std::vector<Step> steps;
  size_t pos = 1;
  while (pos < path.size()) {
    if (path[pos] == '[' && brackets) {
      auto step = ParseBracket(path, pos);
      if (!step) return tl::unexpected(step.error());
      steps.push_back(*step);
      continue;
    }
    if (path[pos] == '.') ++pos;
    size_t end = pos;
    while (end < path.size() && path[end] != '.' && path[end] != '[')
      ++end;
    if (end == pos) return tl::unexpected(BadFormat("empty name in " + Escaped(std::string(path))));
    steps.emplace_back(std::string(path.substr(pos, end - pos)));
    pos = end;
  }
  return steps;
}

// The value at `steps`, or nullptr when a key or index is missing. Indexing a string or number
// is an error.
Result<const json*> Select(const json& root, const std::vector<Step>& steps) {
  const json* at = &root;
  for (const Step& step : steps) {
    if (at->is_null()) return nullptr;
    if (const auto* key = std::get_if<std::string>(&step)) {
      if (!at->is_object())
        return tl::unexpected(
            BadFormat("cannot take ." + Escaped(*key) + " of a " + at->type_name()));
      const auto it = at->find(*key);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else {
      const size_t index = std::get<size_t>(step);
      if (!at->is_array())
        return tl::unexpected(BadFormat("cannot index a " + std::string(at->type_name())));
      if (index >= at->size()) return nullptr;
      at = &(*at)[index];
    }
  }
  return at;
}

// As Go's fmt prints a value of a template: strings raw, lists [a b], maps map[k:v].
std::string GoString(const json* value) {
  if (value == nullptr || value->is_null()) return "<no value>";
  if (value->is_string()) return Escaped(value->get<std::string>());
  if (value->is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < value->size(); ++i)
      out += (i > 0 ? " " : "") + GoString(&(*value)[i]);
    return out + "]";
  }
  if (value->is_object()) {
    std::string out = "map[";
    bool first = true;
    for (const auto& [key, v] : value->items()) {  // nlohmann sorts keys, as Go prints maps
      out += (first ? "" : " ") + Escaped(key) + ":" + GoString(&v);
      first = false;
    }
    return out + "]";
  }
  return registry::SafeDump(*value);
}

// Splits an action into words; "quoted strings" are one word each, kept with their quotes.
Result<std::vector<std::string>> Words(std::string_view action) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < action.size()) {
    if (std::isspace(static_cast<unsigned char>(action[pos]))) {
      ++pos;
      continue;
    }
    size_t end = pos;
    if (action[pos] == '"') {
      end = action.find('"', pos + 1);
      if (end == std::string_view::npos) return tl::unexpected(BadFormat("unclosed quote"));
      ++end;
    } else {
      while (end < action.size() && !std::isspace(static_cast<unsigned char>(action[end])))
        ++end;
    }
    words.emplace_back(action.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

Result<const json*> TemplateValue(const json& view, const std::string& path) {
  auto steps = ParsePath(path, /*brackets=*/false);
  if (!steps) return tl::unexpected(steps.error());
  // A top-level name that is not a field is a typo (Go fails on a struct too); a missing map key
  // below it is <no value>.
  if (!steps->empty()) {
    const auto& first = std::get<std::string>(steps->front());
    if (!view.contains(first)) {
      std::string fields;
      for (const auto& [key, v] : view.items())
        fields += (fields.empty() ? "" : ", ") + key;
      return tl::unexpected(BadFormat("no field ." + Escaped(first) + " (fields: " + fields + ")"));
    }
  }
  return Select(view, *steps);
}

Result<std::string> RenderAction(std::string_view action, const json& view) {
  auto words = Words(action);
  if (!words) return tl::unexpected(words.error());
  if (words->empty()) return tl::unexpected(BadFormat("empty action {{}}"));
  const std::string& head = words->front();
  if (head.front() == '.' && words->size() == 1) {
    auto value = TemplateValue(view, head);
    if (!value) return tl::unexpected(value.error());
    return GoString(*value);
  }
  if (head == "json" && words->size() == 2) {
    auto value = TemplateValue(view, (*words)[1]);
    if (!value) return tl::unexpected(value.error());
    return *value == nullptr ? std::string("null") : registry::SafeDump(**value);
  }
  if (head == "index" && words->size() >= 3) {
    auto base = TemplateValue(view, (*words)[1]);
    if (!base) return tl::unexpected(base.error());
    std::vector<Step> steps;
    for (size_t i = 2; i < words->size(); ++i) {
      const std::string& w = (*words)[i];
      size_t pos = 0;
      auto step = ParseBracket("[" + w + "]", pos);
      if (!step) return tl::unexpected(step.error());
      steps.push_back(*step);
    }
    if (*base == nullptr) return GoString(nullptr);
    auto value = Select(**base, steps);
    if (!value) return tl::unexpected(value.error());
    return GoString(*value);
  }
  return tl::unexpected(
      BadFormat("unsupported action {{" + Escaped(std::string(action)) +
                "}}: use {{.Field}}, {{json .Field}} or {{index .Field \"key\"}}"));
}

Result<std::string> RenderTemplate(std::string_view format, const json& view) {
  std::string out;
  size_t pos = 0;
  while (pos < format.size()) {
    const size_t open = format.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(format.substr(pos));
      break;
    }
    out.append(format.substr(pos, open - pos));
    const size_t close = format.find("}}", open + 2);
    if (close == std::string_view::npos) return tl::unexpected(BadFormat("unclosed {{"));
    auto rendered = RenderAction(format.substr(open + 2, close - open - 2), view);
    if (!rendered) return tl::unexpected(rendered.error());
    out += *rendered;
    pos = close + 2;
  }
  return out;
}

Result<std::string> RenderPath(std::string_view path, const json& doc) {
  auto steps = ParsePath(path, /*brackets=*/true);
  if (!steps) return tl::unexpected(steps.error());
  auto value = Select(doc, *steps);
  if (!value) return tl::unexpected(value.error());
  if (*value == nullptr) return std::string("null");
  if ((*value)->is_string()) return Escaped((*value)->get<std::string>());
  return registry::SafeDump(**value);
}

}  // namespace

Result<std::string> RenderFormat(std::string_view format, const json& view, const json& doc) {
  if (format.size() > kMaxFormatBytes) {
    return tl::unexpected(BadFormat("longer than " + std::to_string(kMaxFormatBytes) + " bytes"));
  }
  if (format.find("{{") != std::string_view::npos) return RenderTemplate(format, view);
  if (format.starts_with(".")) return RenderPath(format, doc);
  return tl::unexpected(
      BadFormat("want a template such as {{.Digest}} or a path such as .config.Labels"));
}

}  // namespace freightliner::cli
