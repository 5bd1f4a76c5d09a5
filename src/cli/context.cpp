#include "cli/context.hpp"

#include <iostream>

#include "common/version.hpp"
#include "common/yaml_reader.hpp"

namespace freightliner::cli {

Context::Context(GlobalOptions options, std::stop_token stop)
    : options_(std::move(options)),
      stop_(stop),
      retry_policy_(RetryPolicyOf(options_)),
      transport_(std::make_shared<http::Transport>(http::TransportOptions{
          .user_agent = std::string("freightliner/") + kVersion,
          .proxy = http::ProxySettings::FromEnvironment(ProcessEnvironment())})) {}

std::unique_ptr<registry::ClientPool> Context::MakePool(registry::ClientPoolOptions options) const {
  options.insecure_hosts.insert(options_.insecure_registries.begin(),
                                options_.insecure_registries.end());
  if (options.ca_file.empty()) options.ca_file = options_.ca_file;
  if (options.auth_file.empty() && !options_.authfile.empty()) {
    options.auth_file = options_.authfile;
    options.auth_file_flag = "--authfile";
  }
  options.retry = retry_policy_;
  return std::make_unique<registry::ClientPool>(std::move(options), transport_);
}

registry::RetryPolicy RetryPolicyOf(const GlobalOptions& options) {
  std::optional<Clock::Duration> delay;
  if (!options.retry_delay.empty()) {
    // The flag's validator ran ParseRetryDelay already: the fallback is never used.
    delay = registry::ParseRetryDelay(options.retry_delay)
                .value_or(registry::RetryPolicy().initial_backoff);
  }
  return registry::RetryPolicyFromFlags(options.retry_times, delay);
}

int ExitCodeFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kAuth:
      return kExitAuth;
    case ErrorCode::kNotFound:
      return kExitNotFound;
    case ErrorCode::kCanceled:
      return kExitCanceled;
    default:
      return kExitFailed;
  }
}

int Fail(const Error& error) {
  std::cerr << "error: " << error.ToString() << "\n";
  return ExitCodeFor(error);
}

}  // namespace freightliner::cli
