#pragma once
// Where registry credentials come from: flags, environment variables, and Docker config files
// (`auths`, `credHelpers`, `credsStore`). Nothing here ever logs or formats a secret.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace freightliner::registry {

struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;  // an OAuth2 refresh token (`docker login` to some registries)

  bool Empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

// Parses "USER:PASS"; the password may itself contain ':'.
Result<Credentials> ParseUserPass(std::string_view text);

// A Docker (or Podman) auth file: {"auths": {...}, "credHelpers": {...}, "credsStore": "..."}.
class DockerConfig {
 public:
  // The file Docker reads: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
  static std::string DefaultPath();
  // A missing file is an empty config; an unreadable or malformed one is an error.
  static Result<DockerConfig> Load(const std::string& path);
  static Result<DockerConfig> Parse(std::string_view json_text, const std::string& origin);

  // Credentials for `registry` (normalised, e.g. "docker.io", "ghcr.io", "127.0.0.1:5000"):
  // a credential helper for that registry first, then `auths`, then `credsStore`.
  Result<std::optional<Credentials>> Lookup(std::string_view registry) const;

 private:
  std::optional<Credentials> FromAuths(std::string_view registry) const;

  std::string origin_;
  std::map<std::string, Credentials> auths_;  // keyed by normalised host
  std::map<std::string, std::string> cred_helpers_;
  std::string creds_store_;
};

// "https://index.docker.io/v1/" -> "docker.io"; "http://host:5000/v2/" -> "host:5000".
std::string NormaliseAuthKey(std::string_view key);

// Runs `docker-credential-<helper> get` with the server URL on stdin. No credentials stored for
// the server is not an error (nullopt).
Result<std::optional<Credentials>> RunCredentialHelper(const std::string& helper,
                                                       const std::string& server_url);

}  // namespace freightliner::registry
