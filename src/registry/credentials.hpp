#pragma once
// Where registry credentials come from: flags, environment variables, and Docker config files
// (`auths`, `credHelpers`, `credsStore`). Nothing here ever logs or formats a secret.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace freightliner {
// The same type as in common/yaml_reader.hpp (ProcessEnvironment, FixedEnvironment), without
// pulling yaml-cpp into every user of credentials.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
}  // namespace freightliner

namespace freightliner::registry {

struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;  // an OAuth2 refresh token (`docker login` to some registries)
  // Where they came from, for messages: "--src-creds", "credential helper docker-credential-x",
  // "/root/.docker/config.json auths[\"ghcr.io\"]". Never holds a secret.
  std::string source;

  bool Empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

// Parses "USER:PASS"; the password may itself contain ':'.
Result<Credentials> ParseUserPass(std::string_view text);

// A Docker (or Podman) auth file: {"auths": {...}, "credHelpers": {...}, "credsStore": "..."}.
class DockerConfig {
 public:
  // A missing file is an empty config; an unreadable or malformed one is an error.
  static Result<DockerConfig> Load(const std::string& path);
  static Result<DockerConfig> Parse(std::string_view json_text, const std::string& origin);

  // Credentials for `registry` (normalised, e.g. "docker.io", "ghcr.io", "127.0.0.1:5000"):
  // a credential helper for that registry first, then `auths`, then `credsStore`.
  // A `credsStore` that fails (missing, crashing, printing garbage) is not an error, as in
  // skopeo: the first failure is logged as a warning naming the helper, the store is not asked
  // again, and the lookup finds nothing (anonymous access). A `credHelpers` entry that fails is
  // an error: the file names that helper for that very registry.
  Result<std::optional<Credentials>> Lookup(std::string_view registry) const;

  const std::string& origin() const { return origin_; }

 private:
  std::optional<Credentials> FromAuths(std::string_view registry) const;
  std::optional<Credentials> FromCredsStore(std::string_view host) const;

  std::string origin_;
  std::map<std::string, Credentials> auths_;  // keyed by normalised host
  std::map<std::string, std::string> cred_helpers_;
  std::string creds_store_;
  // Shared by copies: set once the store failed, so it is neither run nor warned about again.
  std::shared_ptr<std::atomic<bool>> creds_store_failed_ = std::make_shared<std::atomic<bool>>();
};

// The auth files to read, in skopeo's (containers/image's) order; the first that has credentials
// for a registry wins. `explicit_path` (--authfile, else $REGISTRY_AUTH_FILE) alone when given.
// Otherwise: ${XDG_RUNTIME_DIR}/containers/auth.json (Podman's; /run/containers/UID/auth.json
// without XDG_RUNTIME_DIR), ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json, then Docker's
// $DOCKER_CONFIG/config.json or ~/.docker/config.json.
std::vector<std::string> AuthFilePaths(const std::string& explicit_path, const EnvLookup& env);

// The files of AuthFilePaths, loaded. An explicit path that does not exist is an error (a typo
// would otherwise mean anonymous access); a default one that does not exist is skipped.
class AuthFiles {
 public:
  // `named_by` says where an explicit path came from ("--authfile"), for the error.
  static Result<AuthFiles> Load(const std::string& explicit_path, std::string_view named_by,
                                const EnvLookup& env);
  Result<std::optional<Credentials>> Lookup(std::string_view registry) const;

 private:
  std::vector<DockerConfig> files_;
};

// "https://index.docker.io/v1/" -> "docker.io"; "http://host:5000/v2/" -> "host:5000".
std::string NormaliseAuthKey(std::string_view key);

// Runs `docker-credential-<helper> get` with the server URL on stdin. No credentials stored for
// the server is not an error (nullopt).
Result<std::optional<Credentials>> RunCredentialHelper(const std::string& helper,
                                                       const std::string& server_url);

}  // namespace freightliner::registry
