#include "cli/context.hpp"

#include <cstdlib>
#include <iostream>

#include "common/version.hpp"

namespace freightliner::cli {

Context::Context(GlobalOptions options, std::stop_token stop)
    : options_(std::move(options)),
      stop_(stop),
      transport_(std::make_shared<http::Transport>(
          http::TransportOptions{.user_agent = std::string("freightliner/") + kVersion})) {}

registry::ClientOptions Context::ClientOptionsFor(Role role) const {
  registry::ClientOptions o;
  o.hosts = registry::HostPolicy(
      std::set<std::string>(options_.insecure_registries.begin(),
                            options_.insecure_registries.end()),
      options_.ca_file);
  o.push_scopes = role == Role::kDestination;
  return o;
}

Result<std::optional<registry::Credentials>> Context::ResolveCredentials(
    const std::string& registry, Role role, const std::string& flag_creds) {
  if (!flag_creds.empty()) {
    auto c = registry::ParseUserPass(flag_creds);
    if (!c) return tl::unexpected(c.error());
    return std::optional<registry::Credentials>(*c);
  }
  const char* env_name =
      role == Role::kSource ? "FREIGHTLINER_SRC_CREDS" : "FREIGHTLINER_DEST_CREDS";
  if (const char* env = std::getenv(env_name); env != nullptr && env[0] != '\0') {
    auto c = registry::ParseUserPass(env);
    if (!c) return tl::unexpected(c.error().WithContext(env_name));
    return std::optional<registry::Credentials>(*c);
  }
  if (!auth_file_) {
    std::string path = options_.authfile;
    if (path.empty()) {
      const char* env = std::getenv("REGISTRY_AUTH_FILE");
      path = env != nullptr && env[0] != '\0' ? env : registry::DockerConfig::DefaultPath();
    }
    auto loaded = registry::DockerConfig::Load(path);
    if (!loaded) return tl::unexpected(loaded.error());
    auth_file_ = std::move(*loaded);
  }
  return auth_file_->Lookup(registry);
}

Result<std::shared_ptr<registry::RegistryClient>> Context::Client(const std::string& registry,
                                                                  Role role,
                                                                  const std::string& flag_creds) {
  auto creds = ResolveCredentials(registry, role, flag_creds);
  if (!creds) return tl::unexpected(creds.error());
  return std::make_shared<registry::RegistryClient>(registry, std::move(*creds),
                                                    ClientOptionsFor(role), transport_);
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
