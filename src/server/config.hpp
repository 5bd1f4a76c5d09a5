#pragma once
// The server's configuration: a YAML file (docs/SERVER.md, examples/server.yaml), then
// FREIGHTLINER_* environment variables, then command-line flags, each overriding the one before
// (as in most tools: what is typed for this one run wins). Without a
// file the embedded defaults serve. API keys come from a file or FREIGHTLINER_API_KEY, never
// from the command line.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/yaml_reader.hpp"
#include "registry/retry.hpp"
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
  // Cluster mode: the jobs in this PostgreSQL database (postgres:// or postgresql://), shared by
  // every replica; empty: in SQLite under state_dir. A secret: never logged as written.
  std::string state_dsn;
  std::string state_password_file;  // the database password, read from this file
  std::string state_password;       // loaded from state_password_file
  // How long a replica holds a running job without renewing: a killed replica's jobs resume
  // elsewhere this long after it stopped renewing (renewals come 6 times as often).
  std::chrono::seconds job_lease{30};
  int workers = 8;  // tags copied at once, across every job
  int max_concurrent_jobs = 4;
  int blob_concurrency = 4;
  int max_transfers = 16;
  size_t max_body_bytes = 1 << 20;
  std::chrono::seconds shutdown_timeout{30};
  // After SIGTERM, /ready answers 503 this long while everything else goes on as before, so that
  // load balancers stop sending before submissions are refused. 0: no delay. It comes before
  // shutdown_timeout, not out of it.
  std::chrono::seconds drain_delay{5};
  std::vector<std::string> cors_origins;  // none: no CORS headers at all; "*" allows any origin
  std::string api_keys_file;
  std::vector<std::string> api_keys;  // loaded from api_keys_file and FREIGHTLINER_API_KEY
  // Without it, serve refuses to start with no API key on a non-loopback api_addr.
  bool allow_unauthenticated = false;
  // host[:port] patterns the sources and destinations of API jobs must match. Unset in the file:
  // LoadServerConfig fills it with the hosts of `registries` and of the named sync files.
  std::optional<std::vector<std::string>> allowed_registries;
  std::chrono::seconds job_retention{7 * 24 * 3600};  // ended jobs older than this are purged
  int max_jobs = 10000;                               // and the oldest ended ones beyond this
  std::vector<std::string> insecure_registries;
  std::string ca_file;
  std::string auth_file;
  registry::RetryPolicy retry;  // from --retry-times and --retry-delay, not from the file
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
  std::optional<std::string> drain_delay;  // as in the file: "5s", "1m", "0"
  bool allow_unauthenticated = false;
};

// The bound of drain_delay: a load balancer notices a failing probe within seconds.
inline constexpr std::chrono::seconds kMaxDrainDelay{600};
// Parses a drain_delay (a duration, 0 allowed, at most kMaxDrainDelay); `what` names its origin
// in the error ("drain_delay", "FREIGHTLINER_DRAIN_DELAY", "--drain-delay").
Result<std::chrono::seconds> ParseDrainDelay(std::string_view text, const std::string& what);

// Reads the file (if any), applies the environment, then the flags, loads API keys, checks
// everything (addresses, files, that every sync file parses, that schedules name known syncs).
Result<ServerConfig> LoadServerConfig(const ServerFlags& flags, const EnvLookup& env);
// True for 127.0.0.0/8, ::1 and localhost: the HOST of a HOST:PORT address.
bool IsLoopbackAddress(std::string_view host_port);

// An allowed_registries pattern: host[:port], lowercase host, at most one `*` in the host
// (`*.example.com`), the port digits or `*` (any port, or none).
Status CheckRegistryPattern(std::string_view pattern);
bool RegistryMatches(std::string_view pattern, std::string_view registry);
// Whether API jobs may read from or write to `registry` (host[:port] as references name it).
bool RegistryAllowed(const ServerConfig& config, std::string_view registry);

Result<ServerConfig> ParseServerConfig(std::string_view yaml_text, const std::string& path,
                                       const EnvLookup& env);

}  // namespace freightliner::server
