#pragma once
// The server's configuration: a YAML file (docs/SERVER.md, examples/server.yaml), then command-line
// flags, then FREIGHTLINER_* environment variables, each overriding the one before. Without a
// file the embedded defaults serve. API keys come from a file or FREIGHTLINER_API_KEY, never
// from the command line.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/yaml_reader.hpp"
#include "replication/sync_config.hpp"

namespace freightliner::server {

struct NamedSync {
  std::string name;
  std::string file;  // a sync file (docs/SYNC.md); relative paths are from the config's directory
};

struct Schedule {
  std::string sync;
  std::chrono::seconds every{0};
};

struct ServerConfig {
  std::string api_addr = "0.0.0.0:8080";
  std::string metrics_addr = "0.0.0.0:2112";
  std::string state_dir;  // empty: the default state directory
  int workers = 8;        // tags copied at once, across every job
  int max_concurrent_jobs = 4;
  int blob_concurrency = 4;
  int max_transfers = 16;
  size_t max_body_bytes = 1 << 20;
  std::chrono::seconds shutdown_timeout{30};
  std::vector<std::string> cors_origins;  // none: no CORS headers at all; "*" allows any origin
  std::string api_keys_file;
  std::vector<std::string> api_keys;  // loaded from api_keys_file and FREIGHTLINER_API_KEY
  std::vector<std::string> insecure_registries;
  std::string ca_file;
  std::string auth_file;
  std::vector<replication::RegistrySettings>
      registries;  // credentials and limits, as in sync files
  std::vector<NamedSync> syncs;
  std::vector<Schedule> schedules;

  const NamedSync* Sync(const std::string& name) const;
};

struct ServerFlags {
  std::string config;
  std::optional<std::string> api_addr;
  std::optional<std::string> metrics_addr;
  std::optional<std::string> state_dir;
};

// Reads the file (if any), applies flags and environment, loads API keys, checks everything
// (addresses, files, that every sync file parses, that schedules name known syncs).
Result<ServerConfig> LoadServerConfig(const ServerFlags& flags, const EnvLookup& env);
Result<ServerConfig> ParseServerConfig(std::string_view yaml_text, const std::string& path,
                                       const EnvLookup& env);

}  // namespace freightliner::server
