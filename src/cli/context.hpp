#pragma once
// What every command needs: global flags, the shared HTTP transport, registry client pools, and
// the stop token that Ctrl-C triggers.

#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "http/transport.hpp"
#include "registry/client_pool.hpp"

namespace freightliner::cli {

struct GlobalOptions {
  std::string log_level = "info";
  std::string log_format = "text";
  std::string authfile;  // empty: $REGISTRY_AUTH_FILE, else Docker's default
  std::vector<std::string> insecure_registries;
  std::string ca_file;
  std::string output = "text";  // text | json
  int retry_times = 4;          // retries after the first attempt (--retry-times)
  std::string retry_delay;      // fixed wait between retries; empty: exponential backoff
  bool password_stdin = false;  // the password of a USER-only credential flag is on stdin
};

// From --retry-times and --retry-delay (already checked by their validators).
registry::RetryPolicy RetryPolicyOf(const GlobalOptions& options);

// Not thread-safe; built once per command.
class Context {
 public:
  Context(GlobalOptions options, std::stop_token stop);

  // A client pool with the global flags applied on top of `options` (credentials, overrides).
  std::unique_ptr<registry::ClientPool> MakePool(registry::ClientPoolOptions options) const;

  std::stop_token stop() const { return stop_; }
  const GlobalOptions& options() const { return options_; }
  bool json_output() const { return options_.output == "json"; }
  // From --retry-times and --retry-delay: for registry requests and whole blob transfers.
  const registry::RetryPolicy& retry_policy() const { return retry_policy_; }

 private:
  GlobalOptions options_;
  std::stop_token stop_;
  registry::RetryPolicy retry_policy_;
  std::shared_ptr<http::Transport> transport_;
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
