#pragma once
// Registry clients for a run or a server, one per registry and role, sharing one transport and
// one limiter per registry (so a registry's limits hold whichever side uses it).
//
// Credentials for a registry, first found wins: the per-registry settings (sync file: username
// and password, or a credential helper); the role's USER:PASS (flag, or FREIGHTLINER_SRC_CREDS /
// FREIGHTLINER_DEST_CREDS); the auth files (AuthFilePaths; in each credHelpers, auths,
// credsStore). Each answer carries its source, which a refusal names.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "http/transport.hpp"
#include "registry/client.hpp"
#include "registry/credentials.hpp"

namespace freightliner::registry {

enum class Role { kSource, kDestination };

struct RegistryOverride {
  std::string host;
  bool insecure = false;
  std::string ca_file;
  std::optional<Credentials> credentials;
  std::string credential_helper;
  LimiterOptions limits;
};

struct ClientPoolOptions {
  std::set<std::string> insecure_hosts;
  std::string ca_file;
  std::string auth_file;   // empty: $REGISTRY_AUTH_FILE, else the default files (AuthFilePaths)
  std::string src_creds;   // USER:PASS for every source registry (replicate, replicate-tree)
  std::string dest_creds;  // USER:PASS for every destination registry
  // Where src_creds, dest_creds and auth_file came from, for messages (never their values).
  std::string src_creds_flag = "--src-creds";
  std::string dest_creds_flag = "--dest-creds";
  std::string auth_file_flag = "the configuration's auth_file";
  bool read_credentials_from_env = true;  // FREIGHTLINER_SRC_CREDS / FREIGHTLINER_DEST_CREDS
  std::vector<RegistryOverride> overrides;
  LimiterOptions default_limits;
  RetryPolicy retry;
  std::function<void()> on_auth_failure;
  // Every retry of a request by one of the pool's clients, with the registry (host[:port] as
  // references name it) whose request failed.
  std::function<void(const std::string& registry, const Error&, Clock::Duration)> on_retry;
};

// Thread-safe.
class ClientPool {
 public:
  ClientPool(ClientPoolOptions options, std::shared_ptr<http::Transport> transport);

  Result<std::shared_ptr<RegistryClient>> Get(const std::string& registry, Role role);
  // The policy every client of the pool retries requests with (whole blob transfers use it too).
  const RetryPolicy& retry_policy() const { return options_.retry; }

 private:
  Result<std::optional<Credentials>> ResolveCredentials(const std::string& registry, Role role,
                                                        const RegistryOverride* override_entry);
  const RegistryOverride* Override(const std::string& registry) const;

  ClientPoolOptions options_;
  std::shared_ptr<http::Transport> transport_;
  std::mutex mu_;
  std::map<std::pair<std::string, Role>, std::shared_ptr<RegistryClient>> clients_;
  std::map<std::string, std::shared_ptr<RegistryLimiter>> limiters_;
  std::optional<AuthFiles> auth_files_;
};

}  // namespace freightliner::registry
