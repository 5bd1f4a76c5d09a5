#include "replication/sync_config.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace freightliner::replication {
namespace {

// Parsing state: the file name for messages and the environment for ${} expansion.
class Parser {
 public:
  Parser(std::string path, const EnvLookup& env) : path_(std::move(path)), env_(env) {}

  Error At(const YAML::Node& node, const std::string& what) const {
    const YAML::Mark mark = node.Mark();
    std::string where = path_;
    if (mark.line >= 0) {
      where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }
    return Error(ErrorCode::kInvalidArgument, where + ": " + what);
  }

  Status OnlyKeys(const YAML::Node& map, const std::string& where,
                  const std::set<std::string>& allowed) const {
    if (!map.IsMap()) return tl::unexpected(At(map, where + " must be a mapping"));
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (allowed.count(key) == 0) {
        std::string known;
        for (const std::string& k : allowed)
          known += (known.empty() ? "" : ", ") + k;
        return tl::unexpected(
            At(kv.first, "unknown key \"" + key + "\" in " + where + " (known: " + known + ")"));
      }
    }
    return Ok();
  }

  Result<std::string> String(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) return tl::unexpected(At(node, what + " must be a string"));
    auto expanded = ExpandEnv(node.Scalar(), env_);
    if (!expanded) return tl::unexpected(At(node, what + ": " + expanded.error().message));
    return expanded;
  }

  Result<bool> Bool(const YAML::Node& node, const std::string& what) const {
    auto s = String(node, what);
    if (!s) return tl::unexpected(s.error());
    if (*s == "true" || *s == "yes") return true;
    if (*s == "false" || *s == "no") return false;
    return tl::unexpected(At(node, what + " must be true or false, not \"" + *s + "\""));
  }

  Result<double> Number(const YAML::Node& node, const std::string& what, double min) const {
    auto s = String(node, what);
    if (!s) return tl::unexpected(s.error());
    char* end = nullptr;
    const double v = std::strtod(s->c_str(), &end);
    if (s->empty() || end == nullptr || *end != '\0' || v < min) {
      return tl::unexpected(At(node, what + " must be a number >= " + std::to_string(int(min)) +
                                         ", not \"" + *s + "\""));
    }
    return v;
  }

  Result<int> Integer(const YAML::Node& node, const std::string& what, int min) const {
    auto v = Number(node, what, min);
    if (!v) return tl::unexpected(v.error());
    if (*v != static_cast<double>(static_cast<int>(*v))) {
      return tl::unexpected(At(node, what + " must be a whole number"));
    }
    return static_cast<int>(*v);
  }

  Result<std::vector<std::string>> Strings(const YAML::Node& node, const std::string& what) const {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      auto s = String(node, what);
      if (!s) return tl::unexpected(s.error());
      out.push_back(*s);
      return out;
    }
    if (!node.IsSequence()) return tl::unexpected(At(node, what + " must be a list of strings"));
    for (const auto& item : node) {
      auto s = String(item, what + " item");
      if (!s) return tl::unexpected(s.error());
      out.push_back(*s);
    }
    return out;
  }

  Result<RegistrySettings> Registry(const YAML::Node& node, const std::string& where) const;
  Result<SyncMapping> Mapping(const YAML::Node& node, const std::string& where) const;
  Result<TagSelection> Tags(const YAML::Node& node, const std::string& where) const;

 private:
  std::string path_;
  const EnvLookup& env_;
};

Result<RegistrySettings> Parser::Registry(const YAML::Node& node, const std::string& where) const {
  if (Status s = OnlyKeys(node, where,
                          {"host", "insecure", "ca_file", "username", "password",
                           "credential_helper", "concurrency", "rate_limit"});
      !s) {
    return tl::unexpected(s.error());
  }
  RegistrySettings r;
  if (!node["host"]) return tl::unexpected(At(node, where + " needs a host"));
  auto host = String(node["host"], where + ".host");
  if (!host) return tl::unexpected(host.error());
  auto parsed = registry::ParseRepositoryPrefix(*host);
  if (!parsed || !parsed->path.empty()) {
    return tl::unexpected(
        At(node["host"], where + ".host \"" + *host + "\" is not a registry host[:port]"));
  }
  r.host = parsed->registry;
  if (node["insecure"]) {
    auto b = Bool(node["insecure"], where + ".insecure");
    if (!b) return tl::unexpected(b.error());
    r.insecure = *b;
  }
  if (node["ca_file"]) {
    auto f = String(node["ca_file"], where + ".ca_file");
    if (!f) return tl::unexpected(f.error());
    if (!std::ifstream(*f)) {
      return tl::unexpected(At(node["ca_file"], where + ".ca_file " + *f + " cannot be read"));
    }
    r.ca_file = *f;
  }
  if (node["username"] || node["password"]) {
    if (!node["username"] || !node["password"]) {
      return tl::unexpected(At(node, where + " needs both username and password"));
    }
    auto user = String(node["username"], where + ".username");
    if (!user) return tl::unexpected(user.error());
    auto pass = String(node["password"], where + ".password");
    if (!pass) return tl::unexpected(pass.error());
    r.credentials = registry::Credentials{*user, *pass, ""};
  }
  if (node["credential_helper"]) {
    if (r.credentials) {
      return tl::unexpected(At(node["credential_helper"],
                               where + " has both username/password and a credential_helper"));
    }
    auto h = String(node["credential_helper"], where + ".credential_helper");
    if (!h) return tl::unexpected(h.error());
    r.credential_helper = *h;
  }
  if (node["concurrency"]) {
    auto c = Integer(node["concurrency"], where + ".concurrency", 1);
    if (!c) return tl::unexpected(c.error());
    r.concurrency = *c;
  }
  if (node["rate_limit"]) {
    auto rl = Number(node["rate_limit"], where + ".rate_limit", 0);
    if (!rl) return tl::unexpected(rl.error());
    r.rate_limit = *rl;
  }
  return r;
}

Result<TagSelection> Parser::Tags(const YAML::Node& node, const std::string& where) const {
  if (Status s = OnlyKeys(node, where, {"list", "include", "exclude", "semver", "latest"}); !s) {
    return tl::unexpected(s.error());
  }
  TagSelection t;
  for (auto [key, target] : {std::pair{"list", &t.list}, std::pair{"include", &t.include},
                             std::pair{"exclude", &t.exclude}}) {
    if (!node[key]) continue;
    auto values = Strings(node[key], where + "." + key);
    if (!values) return tl::unexpected(values.error());
    *target = std::move(*values);
  }
  if (node["semver"]) {
    auto s = String(node["semver"], where + ".semver");
    if (!s) return tl::unexpected(s.error());
    t.semver = *s;
  }
  if (node["latest"]) {
    auto n = Integer(node["latest"], where + ".latest", 1);
    if (!n) return tl::unexpected(n.error());
    t.latest = static_cast<size_t>(*n);
  }
  // Compile now so that a bad pattern is reported with its line.
  if (auto filter = TagFilter::Create(t); !filter) {
    return tl::unexpected(At(node, where + ": " + filter.error().message));
  }
  for (const std::string& tag : t.list) {
    if (!registry::IsValidTag(tag)) {
      return tl::unexpected(At(node["list"], where + ".list has an invalid tag \"" + tag + "\""));
    }
  }
  return t;
}

Result<SyncMapping> Parser::Mapping(const YAML::Node& node, const std::string& where) const {
  if (Status s = OnlyKeys(node, where,
                          {"source", "destination", "recursive", "include_repos", "exclude_repos",
                           "tags", "platforms"});
      !s) {
    return tl::unexpected(s.error());
  }
  SyncMapping m;
  m.line = node.Mark().line + 1;
  for (const char* key : {"source", "destination"}) {
    if (!node[key]) return tl::unexpected(At(node, where + " needs a " + key));
  }
  if (node["recursive"]) {
    auto b = Bool(node["recursive"], where + ".recursive");
    if (!b) return tl::unexpected(b.error());
    m.recursive = *b;
  }
  for (auto [key, target] :
       {std::pair{"source", &m.source}, std::pair{"destination", &m.destination}}) {
    auto text = String(node[key], where + "." + key);
    if (!text) return tl::unexpected(text.error());
    auto repo =
        m.recursive ? registry::ParseRepositoryPrefix(*text) : registry::ParseRepository(*text);
    if (!repo)
      return tl::unexpected(At(node[key], where + "." + key + ": " + repo.error().message));
    *target = std::move(*repo);
  }
  if ((node["include_repos"] || node["exclude_repos"]) && !m.recursive) {
    return tl::unexpected(At(node, where + ": include_repos/exclude_repos need recursive: true"));
  }
  for (auto [key, target] : {std::pair{"include_repos", &m.repos.include},
                             std::pair{"exclude_repos", &m.repos.exclude}}) {
    if (!node[key]) continue;
    auto values = Strings(node[key], where + "." + key);
    if (!values) return tl::unexpected(values.error());
    *target = std::move(*values);
  }
  if (node["tags"]) {
    auto tags = Tags(node["tags"], where + ".tags");
    if (!tags) return tl::unexpected(tags.error());
    m.tags = std::move(*tags);
  }
  if (node["platforms"]) {
    auto values = Strings(node["platforms"], where + ".platforms");
    if (!values) return tl::unexpected(values.error());
    for (const std::string& text : *values) {
      auto p = registry::ParsePlatform(text);
      if (!p)
        return tl::unexpected(At(node["platforms"], where + ".platforms: " + p.error().message));
      m.platforms.push_back(*p);
    }
  }
  return m;
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
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

const RegistrySettings* SyncConfig::Registry(const std::string& host) const {
  for (const RegistrySettings& r : registries) {
    if (r.host == host) return &r;
  }
  return nullptr;
}

Result<SyncConfig> ParseSyncConfig(std::string_view yaml_text, const std::string& path,
                                   const EnvLookup& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, path + ":" + std::to_string(e.mark.line + 1) +
                                                      ":" + std::to_string(e.mark.column + 1) +
                                                      ": invalid YAML: " + e.msg);
  }
  Parser p(path, env);
  if (!root || root.IsNull()) {
    return MakeError(ErrorCode::kInvalidArgument, path + ": the file is empty");
  }
  if (Status s = p.OnlyKeys(root, "the file", {"version", "workers", "registries", "mappings"});
      !s) {
    return tl::unexpected(s.error());
  }
  SyncConfig config;
  config.path = path;
  if (root["version"]) {
    auto v = p.Integer(root["version"], "version", 1);
    if (!v) return tl::unexpected(v.error());
    if (*v != 1) return tl::unexpected(p.At(root["version"], "unsupported version (want 1)"));
  }
  if (root["workers"]) {
    auto w = p.Integer(root["workers"], "workers", 1);
    if (!w) return tl::unexpected(w.error());
    config.workers = *w;
  }
  if (const YAML::Node regs = root["registries"]) {
    if (!regs.IsSequence()) return tl::unexpected(p.At(regs, "registries must be a list"));
    for (size_t i = 0; i < regs.size(); ++i) {
      auto r = p.Registry(regs[i], "registries[" + std::to_string(i) + "]");
      if (!r) return tl::unexpected(r.error());
      if (config.Registry(r->host) != nullptr) {
        return tl::unexpected(p.At(regs[i], "registry " + r->host + " is listed twice"));
      }
      config.registries.push_back(std::move(*r));
    }
  }
  const YAML::Node maps = root["mappings"];
  if (!maps || !maps.IsSequence() || maps.size() == 0) {
    return tl::unexpected(p.At(maps ? maps : root, "mappings must be a non-empty list"));
  }
  for (size_t i = 0; i < maps.size(); ++i) {
    auto m = p.Mapping(maps[i], "mappings[" + std::to_string(i) + "]");
    if (!m) return tl::unexpected(m.error());
    config.mappings.push_back(std::move(*m));
  }
  return config;
}

Result<SyncConfig> LoadSyncConfig(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kInvalidArgument, "cannot read sync file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseSyncConfig(ss.str(), path, env);
}

}  // namespace freightliner::replication
