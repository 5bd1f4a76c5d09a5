#include "replication/sync_config.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "common/format.hpp"
#include "common/yaml_reader.hpp"

namespace freightliner::replication {
namespace {

// The sync file's sections, on top of the generic checks of YamlReader.
class Parser : public YamlReader {
 public:
  using YamlReader::YamlReader;

  Result<RegistrySettings> Registry(const YAML::Node& node, const std::string& where) const;
  Result<SyncMapping> Mapping(const YAML::Node& node, const std::string& where) const;
  Result<TagSelection> Tags(const YAML::Node& node, const std::string& where) const;
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
    return tl::unexpected(At(
        node["host"], where + ".host " + QuoteUntrusted(*host) + " is not a registry host[:port]"));
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
      return tl::unexpected(
          At(node["list"], where + ".list has an invalid tag " + QuoteUntrusted(tag)));
    }
  }
  return t;
}

Result<SyncMapping> Parser::Mapping(const YAML::Node& node, const std::string& where) const {
  if (Status s = OnlyKeys(node, where,
                          {"source", "destination", "recursive", "include_repos", "exclude_repos",
                           "tags", "platforms", "allow_empty", "propagate_deletes"});
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
  if (node["allow_empty"]) {
    auto b = Bool(node["allow_empty"], where + ".allow_empty");
    if (!b) return tl::unexpected(b.error());
    m.allow_empty = *b;
  }
  if (node["propagate_deletes"]) {
    auto b = Bool(node["propagate_deletes"], where + ".propagate_deletes");
    if (!b) return tl::unexpected(b.error());
    m.propagate_deletes = *b;
  }
  for (auto [key, target] :
       {std::pair{"source", &m.source}, std::pair{"destination", &m.destination}}) {
    auto text = String(node[key], where + "." + key);
    if (!text) return tl::unexpected(text.error());
    auto name = registry::StripTransport(*text);
    if (!name)
      return tl::unexpected(At(node[key], where + "." + key + ": " + name.error().message));
    auto repo =
        m.recursive ? registry::ParseRepositoryPrefix(*name) : registry::ParseRepository(*name);
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
  if (Status s = m.repos.Check(); !s) {
    return tl::unexpected(At(node, where + ": " + s.error().message));
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

const RegistrySettings* SyncConfig::Registry(const std::string& host) const {
  for (const RegistrySettings& r : registries) {
    if (r.host == host) return &r;
  }
  return nullptr;
}

Result<std::vector<RegistrySettings>> ParseRegistries(const YAML::Node& regs,
                                                      const std::string& path,
                                                      const EnvLookup& env) {
  Parser p(path, env);
  if (!regs.IsSequence()) return tl::unexpected(p.At(regs, "registries must be a list"));
  std::vector<RegistrySettings> out;
  for (size_t i = 0; i < regs.size(); ++i) {
    auto r = p.Registry(regs[i], "registries[" + std::to_string(i) + "]");
    if (!r) return tl::unexpected(r.error());
    for (const RegistrySettings& earlier : out) {
      if (earlier.host == r->host) {
        return tl::unexpected(p.At(regs[i], "registry " + r->host + " is listed twice"));
      }
    }
    out.push_back(std::move(*r));
  }
  return out;
}

Result<SyncConfig> ParseSyncConfig(std::string_view yaml_text, const std::string& path,
                                   const EnvLookup& env) {
  auto loaded = LoadYaml(yaml_text, path);
  if (!loaded) return tl::unexpected(loaded.error());
  YAML::Node root = *loaded;
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
    auto registries = ParseRegistries(regs, path, env);
    if (!registries) return tl::unexpected(registries.error());
    config.registries = std::move(*registries);
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
