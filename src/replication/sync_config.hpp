#pragma once
// The `sync` file: registries (credentials, TLS, limits) and mappings from source repositories
// or prefixes to destinations, with tag selection and platforms. Documented in docs/SYNC.md;
// an annotated example is examples/sync.yaml.
//
// Every error names the file, the line and what is wrong ("sync.yaml:12:7: ..."); a file with an
// error is rejected whole, so nothing is copied on a half-understood configuration.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/yaml_reader.hpp"
#include "registry/credentials.hpp"
#include "registry/manifest.hpp"
#include "registry/reference.hpp"
#include "replication/selection.hpp"

namespace freightliner::replication {

struct RegistrySettings {
  std::string host;
  bool insecure = false;
  std::string ca_file;
  std::optional<registry::Credentials> credentials;  // username/password in the file
  std::string credential_helper;                     // or docker-credential-NAME
  int concurrency = 0;    // max requests in flight to this registry; 0 = no limit
  double rate_limit = 0;  // requests per second; 0 = no limit
};

struct SyncMapping {
  registry::Repository source;  // a repository, or with `recursive` a prefix
  registry::Repository destination;
  bool recursive = false;
  RepoSelection repos;  // recursive mappings only
  TagSelection tags;
  std::vector<registry::Platform> platforms;  // empty: every platform
  // Selecting no repository (recursive) or no tag is a success, not an error (see planner.hpp).
  bool allow_empty = false;
  // A tag deleted at the source (a registry's delete event) is deleted at the destination too.
  // Only events do it: the scheduled run copies, it never prunes.
  bool propagate_deletes = false;
  int line = 0;  // for messages
};

struct SyncConfig {
  std::string path;
  int workers = 0;  // 0: the command's default
  std::vector<RegistrySettings> registries;
  std::vector<SyncMapping> mappings;

  const RegistrySettings* Registry(const std::string& host) const;
};

Result<SyncConfig> ParseSyncConfig(std::string_view yaml_text, const std::string& path,
                                   const EnvLookup& env);
// A `registries` list (of a sync file, or of the server's config file at `path`).
Result<std::vector<RegistrySettings>> ParseRegistries(const YAML::Node& registries,
                                                      const std::string& path,
                                                      const EnvLookup& env);
Result<SyncConfig> LoadSyncConfig(const std::string& path, const EnvLookup& env);

}  // namespace freightliner::replication
