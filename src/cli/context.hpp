#pragma once
// What every command needs: global flags, the shared HTTP transport, registry clients built with
// the right credentials, and the stop token that Ctrl-C triggers.

#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "http/transport.hpp"
#include "registry/client.hpp"
#include "registry/credentials.hpp"

namespace freightliner::cli {

struct GlobalOptions {
  std::string log_level = "info";
  std::string log_format = "text";
  std::string authfile;  // empty: $REGISTRY_AUTH_FILE, else Docker's default
  std::vector<std::string> insecure_registries;
  std::string ca_file;
  std::string output = "text";  // text | json
};

// Which side of a copy a client serves: it decides the credential flag and environment variable.
enum class Role { kSource, kDestination };

// Not thread-safe; built once per command, then read by the command.
class Context {
 public:
  Context(GlobalOptions options, std::stop_token stop);

  // A client for `registry`. Credentials: `flag_creds` ("USER:PASS") if given, else the role's
  // environment variable (FREIGHTLINER_SRC_CREDS / FREIGHTLINER_DEST_CREDS), else the auth file.
  Result<std::shared_ptr<registry::RegistryClient>> Client(const std::string& registry, Role role,
                                                           const std::string& flag_creds);

  std::stop_token stop() const { return stop_; }
  const GlobalOptions& options() const { return options_; }
  registry::ClientOptions ClientOptionsFor(Role role) const;

 private:
  Result<std::optional<registry::Credentials>> ResolveCredentials(const std::string& registry,
                                                                  Role role,
                                                                  const std::string& flag_creds);

  GlobalOptions options_;
  std::stop_token stop_;
  std::shared_ptr<http::Transport> transport_;
  std::optional<registry::DockerConfig> auth_file_;
};

// Exit codes (docs/CLI.md): a script can tell bad input from a refused login from a failed copy.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitAuth = 3;
inline constexpr int kExitNotFound = 4;
inline constexpr int kExitCanceled = 130;

int ExitCodeFor(const Error& error);
// Prints "error: <message>" on stderr (one line) and returns the matching exit code.
int Fail(const Error& error);

}  // namespace freightliner::cli
