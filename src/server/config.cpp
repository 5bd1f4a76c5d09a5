#include "server/config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/format.hpp"

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

// The shared store's settings. The DSN is a secret: no message quotes it.
Status CheckState(ServerConfig& c) {
  if (c.job_lease < std::chrono::seconds(3) || c.job_lease > std::chrono::hours(1)) {
    return MakeError(ErrorCode::kInvalidArgument, "job_lease must be between 3s and 1h, not " +
                                                      std::to_string(c.job_lease.count()) + "s");
  }
  if (!c.state_password_file.empty() && c.state_dsn.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "state_password_file is for a PostgreSQL state; set state: postgres://...");
  }
  if (c.state_dsn.empty()) return Ok();
  if (!c.state_dsn.starts_with("postgres://") && !c.state_dsn.starts_with("postgresql://")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "state must be a postgres:// or postgresql:// URL (the embedded store needs "
                     "no state, only state_dir)");
  }
  if (c.state_password_file.empty()) return Ok();
  // The first line only, and a bounded one: the path may name any file.
  constexpr size_t kMaxPassword = 4096;
  std::error_code ec;
  std::ifstream in(c.state_password_file, std::ios::binary);
  std::string password(kMaxPassword + 1, '\0');
  if (!std::filesystem::is_regular_file(c.state_password_file, ec) || !in) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "state_password_file " + c.state_password_file + " cannot be read");
  }
  in.read(password.data(), static_cast<std::streamsize>(password.size()));
  password.resize(static_cast<size_t>(in.gcount()));
  password = password.substr(0, password.find('\n'));
  if (password.size() > kMaxPassword) {
    return MakeError(ErrorCode::kInvalidArgument, "state_password_file " + c.state_password_file +
                                                      ": its first line is over " +
                                                      std::to_string(kMaxPassword) + " bytes");
  }
  if (password.find('\0') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "state_password_file " + c.state_password_file + " holds a NUL byte");
  }
  while (!password.empty() && (password.back() == '\r' || password.back() == ' '))
    password.pop_back();
  if (password.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "state_password_file " + c.state_password_file + " is empty");
  }
  c.state_password = std::move(password);
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
                          {"state", &c.state_dsn},
                          {"state_password_file", &c.state_password_file},
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
  if (root["job_lease"]) {
    auto v = Duration(root["job_lease"], "job_lease");
    if (!v) return tl::unexpected(v.error());
    c.job_lease = *v;
  }
  if (root["drain_delay"]) {
    auto written = String(root["drain_delay"], "drain_delay");
    if (!written) return tl::unexpected(written.error());
    auto v = ParseDrainDelay(*written, "drain_delay");
    if (!v) return tl::unexpected(At(root["drain_delay"], v.error().message));
    c.drain_delay = *v;
  }
  if (root["cors_origins"]) {
    auto v = Strings(root["cors_origins"], "cors_origins");
    if (!v) return tl::unexpected(v.error());
    c.cors_origins = *v;
  }
  if (root["job_retention"]) {
    auto v = Duration(root["job_retention"], "job_retention");
    if (!v) return tl::unexpected(v.error());
    c.job_retention = *v;
  }
  if (Status s = integer("max_jobs", c.max_jobs, 1); !s) return s;
  if (root["allow_unauthenticated"]) {
    auto v = Bool(root["allow_unauthenticated"], "allow_unauthenticated");
    if (!v) return tl::unexpected(v.error());
    c.allow_unauthenticated = *v;
  }
  if (root["allowed_registries"]) {
    auto v = Strings(root["allowed_registries"], "allowed_registries");
    if (!v) return tl::unexpected(v.error());
    for (const std::string& pattern : *v) {
      if (Status s = CheckRegistryPattern(pattern); !s) {
        return tl::unexpected(At(root["allowed_registries"], s.error().message));
      }
    }
    c.allowed_registries = *v;
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
  if (Status s = OnlyKeys(root, "the server config",
                          {"api_addr",
                           "metrics_addr",
                           "state_dir",
                           "state",
                           "state_password_file",
                           "job_lease",
                           "workers",
                           "max_concurrent_jobs",
                           "blob_concurrency",
                           "max_transfers",
                           "max_body_bytes",
                           "shutdown_timeout",
                           "drain_delay",
                           "api_keys_file",
                           "cors_origins",
                           "insecure_registries",
                           "ca_file",
                           "auth_file",
                           "registries",
                           "syncs",
                           "schedules",
                           "allow_unauthenticated",
                           "allowed_registries",
                           "job_retention",
                           "max_jobs"});
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
                           {"FREIGHTLINER_STATE_DSN", &c.state_dsn},
                           {"FREIGHTLINER_STATE_PASSWORD_FILE", &c.state_password_file},
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
  if (auto v = env("FREIGHTLINER_DRAIN_DELAY"); v && !v->empty()) {
    auto delay = ParseDrainDelay(*v, "FREIGHTLINER_DRAIN_DELAY");
    if (!delay) return tl::unexpected(delay.error());
    c.drain_delay = *delay;
  }
  return Ok();
}

// An open API on a network address lets anyone who reaches it copy images with the server's
// registry credentials: that takes a key, or saying so explicitly.
Status CheckAuthentication(const ServerConfig& c) {
  if (!c.api_keys.empty() || c.allow_unauthenticated || IsLoopbackAddress(c.api_addr)) return Ok();
  return MakeError(ErrorCode::kInvalidArgument,
                   "the API would listen on " + c.api_addr +
                       " (not a loopback address) with no API key, so anyone who can reach it "
                       "could run jobs with this server's registry credentials; set "
                       "FREIGHTLINER_API_KEY or api_keys_file, listen on 127.0.0.1, or pass "
                       "--allow-unauthenticated (config: allow_unauthenticated: true) to serve "
                       "it open anyway");
}

// Checks every sync file and, when the file sets no allowed_registries, allows the hosts the
// operator already named: `registries` and the sync files' sources and destinations.
Status Check(ServerConfig& c) {
  if (Status s = CheckAddress("api_addr", c.api_addr); !s) return s;
  if (Status s = CheckState(c); !s) return s;
  if (Status s = CheckAddress("metrics_addr", c.metrics_addr); !s) return s;
  if (!c.ca_file.empty() && !std::ifstream(c.ca_file)) {
    return MakeError(ErrorCode::kInvalidArgument, "ca_file " + c.ca_file + " cannot be read");
  }
  std::set<std::string> named;
  for (const auto& r : c.registries)
    named.insert(r.host);
  for (const NamedSync& sync : c.syncs) {
    auto parsed = replication::LoadSyncConfig(sync.file, ProcessEnvironment());
    if (!parsed) return tl::unexpected(parsed.error().WithContext("sync " + sync.name));
    for (const auto& m : parsed->mappings) {
      named.insert(m.source.registry);
      named.insert(m.destination.registry);
    }
  }
  if (!c.allowed_registries) {
    c.allowed_registries.emplace();
    for (const std::string& host : named) {
      if (CheckRegistryPattern(host)) c.allowed_registries->push_back(host);
    }
  }
  return CheckAuthentication(c);
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

// Splits host[:port] ("[::1]:5000" too); the port is empty when absent.
std::pair<std::string_view, std::string_view> SplitHostPort(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return {text, {}};
    const std::string_view rest = text.substr(close + 1);
    return {text.substr(0, close + 1), rest.empty() || rest.front() != ':' ? rest : rest.substr(1)};
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return {text, {}};
  return {text.substr(0, colon), text.substr(colon + 1)};
}

// `*` stands for one or more characters of a host name.
bool HostMatches(std::string_view pattern, std::string_view host) {
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == host;
  const std::string_view prefix = pattern.substr(0, star);
  const std::string_view suffix = pattern.substr(star + 1);
  if (host.size() <= prefix.size() + suffix.size()) return false;
  return host.substr(0, prefix.size()) == prefix &&
         host.substr(host.size() - suffix.size()) == suffix;
}

}  // namespace

Result<std::chrono::seconds> ParseDrainDelay(std::string_view text, const std::string& what) {
  auto d = ParseDuration(text);
  if (!d || *d > kMaxDrainDelay) {
    return MakeError(ErrorCode::kInvalidArgument,
                     what + " must be a duration from 0 to 10m, such as 5s or 30s, not " +
                         QuoteUntrusted(text, 64));
  }
  return *d;
}

bool IsLoopbackAddress(std::string_view host_port) {
  const std::string host = Lowercase(SplitHostPort(host_port).first);
  if (host == "localhost" || host == "[::1]" || host == "::1") return true;
  // 127.0.0.0/8, written as a dotted quad.
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char ch : host) {
    if (ch == '.') {
      ++dots;
    } else if (ch < '0' || ch > '9') {
      return false;
    }
  }
  return dots == 3;
}

Status CheckRegistryPattern(std::string_view pattern) {
  const auto bad = [&](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "allowed_registries entry \"" + std::string(pattern) + "\" " + why);
  };
  if (pattern.empty() || pattern.size() > 255) return bad("must be host[:port]");
  const auto [host, port] = SplitHostPort(pattern);
  if (host.empty()) return bad("has no host");
  const bool bracketed = host.front() == '[';
  for (char ch : host) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '*' ||
                    (bracketed && (ch == ':' || ch == '[' || ch == ']'));
    if (!ok) return bad("may hold letters, digits, '.', '-' and one '*' in its host");
  }
  if (std::count(host.begin(), host.end(), '*') > 1) return bad("has more than one '*'");
  if (port != "*" &&
      (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)) {
    return bad("has a port that is neither digits nor '*'");
  }
  if (pattern.back() == ':') return bad("has an empty port");
  return Ok();
}

bool RegistryMatches(std::string_view pattern, std::string_view registry) {
  const std::string p = Lowercase(pattern);
  const std::string r = Lowercase(registry);
  const auto [p_host, p_port] = SplitHostPort(p);
  const auto [r_host, r_port] = SplitHostPort(r);
  if (!HostMatches(p_host, r_host)) return false;
  return p_port == "*" || p_port == r_port;
}

bool RegistryAllowed(const ServerConfig& config, std::string_view registry) {
  if (!config.allowed_registries) return false;
  return std::any_of(
      config.allowed_registries->begin(), config.allowed_registries->end(),
      [&](const std::string& pattern) { return RegistryMatches(pattern, registry); });
}

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
  // The file, then the environment, then the flags: the closer to this one run, the stronger.
  if (Status s = ApplyEnvironment(config, env); !s) return tl::unexpected(s.error());
  if (flags.api_addr) config.api_addr = *flags.api_addr;
  if (flags.metrics_addr) config.metrics_addr = *flags.metrics_addr;
  if (flags.state_dir) config.state_dir = *flags.state_dir;
  if (flags.drain_delay) {
    auto delay = ParseDrainDelay(*flags.drain_delay, "--drain-delay");
    if (!delay) return tl::unexpected(delay.error());
    config.drain_delay = *delay;
  }
  if (flags.allow_unauthenticated) config.allow_unauthenticated = true;
  if (Status s = ReadApiKeys(config); !s) return tl::unexpected(s.error());
  if (auto key = env("FREIGHTLINER_API_KEY"); key && !key->empty()) config.api_keys.push_back(*key);
  if (Status s = Check(config); !s) return tl::unexpected(s.error());
  return config;
}

}  // namespace freightliner::server
