#include "server/config.hpp"

#include <filesystem>
#include <fstream>

namespace freightliner::server {
namespace {

namespace fs = std::filesystem;

Status CheckAddress(const std::string& what, const std::string& addr) {
  const size_t colon = addr.rfind(':');
  bool ok = colon != std::string::npos && colon + 1 < addr.size();
  if (ok) {
    const std::string port = addr.substr(colon + 1);
    ok = port.find_first_not_of("0123456789") == std::string::npos && port.size() <= 5 &&
         std::stoi(port) <= 65535;
  }
  if (!ok) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what + " \"" + addr + "\" must be HOST:PORT, such as 0.0.0.0:8080");
  }
  return Ok();
}

Status ReadApiKeys(ServerConfig& config) {
  if (config.api_keys_file.empty()) return Ok();
  std::ifstream in(config.api_keys_file);
  if (!in) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "api_keys_file " + config.api_keys_file + " cannot be read");
  }
  std::string line;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == '#') continue;
    const size_t end = line.find_last_not_of(" \t\r");
    config.api_keys.push_back(line.substr(start, end - start + 1));
  }
  if (config.api_keys.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "api_keys_file " + config.api_keys_file + " holds no key");
  }
  return Ok();
}

class ConfigParser : public YamlReader {
 public:
  using YamlReader::YamlReader;

  Status Parse(const YAML::Node& root, ServerConfig& c) const;

 private:
  Status Scalars(const YAML::Node& root, ServerConfig& c) const;
  Status Syncs(const YAML::Node& node, ServerConfig& c) const;
  Status Schedules(const YAML::Node& node, ServerConfig& c) const;
};

Status ConfigParser::Scalars(const YAML::Node& root, ServerConfig& c) const {
  const auto text = [&](const char* key, std::string& out) -> Status {
    if (!root[key]) return Ok();
    auto v = String(root[key], key);
    if (!v) return tl::unexpected(v.error());
    out = *v;
    return Ok();
  };
  const auto integer = [&](const char* key, int& out, int min) -> Status {
    if (!root[key]) return Ok();
    auto v = Integer(root[key], key, min);
    if (!v) return tl::unexpected(v.error());
    out = *v;
    return Ok();
  };
  for (auto [key, out] : {std::pair{"api_addr", &c.api_addr},
                          {"metrics_addr", &c.metrics_addr},
                          {"state_dir", &c.state_dir},
                          {"api_keys_file", &c.api_keys_file},
                          {"ca_file", &c.ca_file},
                          {"auth_file", &c.auth_file}}) {
    if (Status s = text(key, *out); !s) return s;
  }
  for (auto [key, out] : {std::pair{"workers", &c.workers},
                          {"max_concurrent_jobs", &c.max_concurrent_jobs},
                          {"blob_concurrency", &c.blob_concurrency},
                          {"max_transfers", &c.max_transfers}}) {
    if (Status s = integer(key, *out, 1); !s) return s;
  }
  if (root["max_body_bytes"]) {
    auto v = Integer(root["max_body_bytes"], "max_body_bytes", 1024);
    if (!v) return tl::unexpected(v.error());
    c.max_body_bytes = static_cast<size_t>(*v);
  }
  if (root["shutdown_timeout"]) {
    auto v = Duration(root["shutdown_timeout"], "shutdown_timeout");
    if (!v) return tl::unexpected(v.error());
    c.shutdown_timeout = *v;
  }
  if (root["cors_origins"]) {
    auto v = Strings(root["cors_origins"], "cors_origins");
    if (!v) return tl::unexpected(v.error());
    c.cors_origins = *v;
  }
  if (root["insecure_registries"]) {
    auto v = Strings(root["insecure_registries"], "insecure_registries");
    if (!v) return tl::unexpected(v.error());
    c.insecure_registries = *v;
  }
  return Ok();
}

Status ConfigParser::Syncs(const YAML::Node& node, ServerConfig& c) const {
  if (!node.IsSequence()) return tl::unexpected(At(node, "syncs must be a list"));
  const fs::path base = fs::path(path()).parent_path();
  for (const auto& item : node) {
    if (Status s = OnlyKeys(item, "a sync", {"name", "file"}); !s) return s;
    auto name = String(item["name"], "sync name");
    auto file = String(item["file"], "sync file");
    if (!name || !file) return tl::unexpected(At(item, "a sync needs name and file"));
    if (c.Sync(*name) != nullptr) {
      return tl::unexpected(At(item, "sync \"" + *name + "\" is defined twice"));
    }
    fs::path f(*file);
    if (f.is_relative()) f = base / f;
    c.syncs.push_back({*name, f.lexically_normal().string()});
  }
  return Ok();
}

Status ConfigParser::Schedules(const YAML::Node& node, ServerConfig& c) const {
  if (!node.IsSequence()) return tl::unexpected(At(node, "schedules must be a list"));
  for (const auto& item : node) {
    if (Status s = OnlyKeys(item, "a schedule", {"sync", "every"}); !s) return s;
    auto sync = String(item["sync"], "schedule sync");
    if (!sync) return tl::unexpected(At(item, "a schedule needs sync: NAME"));
    if (c.Sync(*sync) == nullptr) {
      return tl::unexpected(At(item["sync"], "schedule names unknown sync \"" + *sync + "\""));
    }
    if (!item["every"]) return tl::unexpected(At(item, "a schedule needs every: DURATION"));
    auto every = Duration(item["every"], "every");
    if (!every) return tl::unexpected(every.error());
    c.schedules.push_back({*sync, *every});
  }
  return Ok();
}

Status ConfigParser::Parse(const YAML::Node& root, ServerConfig& c) const {
  if (root.IsNull()) return Ok();
  if (Status s =
          OnlyKeys(root, "the server config",
                   {"api_addr", "metrics_addr", "state_dir", "workers", "max_concurrent_jobs",
                    "blob_concurrency", "max_transfers", "max_body_bytes", "shutdown_timeout",
                    "api_keys_file", "cors_origins", "insecure_registries", "ca_file", "auth_file",
                    "registries", "syncs", "schedules"});
      !s) {
    return s;
  }
  if (Status s = Scalars(root, c); !s) return s;
  if (const YAML::Node regs = root["registries"]) {
    // The same entries as a sync file's `registries`.
    auto parsed = replication::ParseRegistries(regs, path(), env());
    if (!parsed) return tl::unexpected(parsed.error());
    c.registries = std::move(*parsed);
  }
  if (const YAML::Node syncs = root["syncs"]) {
    if (Status s = Syncs(syncs, c); !s) return s;
  }
  if (const YAML::Node schedules = root["schedules"]) {
    if (Status s = Schedules(schedules, c); !s) return s;
  }
  return Ok();
}

Status ApplyEnvironment(ServerConfig& c, const EnvLookup& env) {
  for (auto [name, out] : {std::pair{"FREIGHTLINER_API_ADDR", &c.api_addr},
                           {"FREIGHTLINER_METRICS_ADDR", &c.metrics_addr},
                           {"FREIGHTLINER_STATE_DIR", &c.state_dir},
                           {"FREIGHTLINER_API_KEYS_FILE", &c.api_keys_file}}) {
    if (auto v = env(name); v && !v->empty()) *out = *v;
  }
  if (auto v = env("FREIGHTLINER_WORKERS"); v && !v->empty()) {
    if (v->find_first_not_of("0123456789") != std::string::npos || v->size() > 4 ||
        std::stoi(*v) < 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "FREIGHTLINER_WORKERS must be a whole number >= 1, not \"" + *v + "\"");
    }
    c.workers = std::stoi(*v);
  }
  return Ok();
}

Status Check(const ServerConfig& c) {
  if (Status s = CheckAddress("api_addr", c.api_addr); !s) return s;
  if (Status s = CheckAddress("metrics_addr", c.metrics_addr); !s) return s;
  if (!c.ca_file.empty() && !std::ifstream(c.ca_file)) {
    return MakeError(ErrorCode::kInvalidArgument, "ca_file " + c.ca_file + " cannot be read");
  }
  for (const NamedSync& sync : c.syncs) {
    auto parsed = replication::LoadSyncConfig(sync.file, ProcessEnvironment());
    if (!parsed) return tl::unexpected(parsed.error().WithContext("sync " + sync.name));
  }
  return Ok();
}

}  // namespace

const NamedSync* ServerConfig::Sync(const std::string& name) const {
  for (const NamedSync& s : syncs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Result<ServerConfig> ParseServerConfig(std::string_view yaml_text, const std::string& path,
                                       const EnvLookup& env) {
  ServerConfig config;
  auto root = LoadYaml(yaml_text, path);
  if (!root) return tl::unexpected(root.error());
  ConfigParser parser(path, env);
  if (Status s = parser.Parse(*root, config); !s) return tl::unexpected(s.error());
  return config;
}

Result<ServerConfig> LoadServerConfig(const ServerFlags& flags, const EnvLookup& env) {
  ServerConfig config;
  if (!flags.config.empty()) {
    std::ifstream in(flags.config);
    if (!in) {
      return MakeError(ErrorCode::kInvalidArgument, "config " + flags.config + " cannot be read");
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = ParseServerConfig(text.str(), flags.config, env);
    if (!parsed) return parsed;
    config = std::move(*parsed);
  }
  if (flags.api_addr) config.api_addr = *flags.api_addr;
  if (flags.metrics_addr) config.metrics_addr = *flags.metrics_addr;
  if (flags.state_dir) config.state_dir = *flags.state_dir;
  if (Status s = ApplyEnvironment(config, env); !s) return tl::unexpected(s.error());
  if (Status s = ReadApiKeys(config); !s) return tl::unexpected(s.error());
  if (auto key = env("FREIGHTLINER_API_KEY"); key && !key->empty()) config.api_keys.push_back(*key);
  if (Status s = Check(config); !s) return tl::unexpected(s.error());
  return config;
}

}  // namespace freightliner::server
