#include "registry/client_pool.hpp"

#include <cstdlib>

#include "common/yaml_reader.hpp"
#include "registry/reference.hpp"

namespace freightliner::registry {

ClientPool::ClientPool(ClientPoolOptions options, std::shared_ptr<http::Transport> transport)
    : options_(std::move(options)), transport_(std::move(transport)) {}

const RegistryOverride* ClientPool::Override(const std::string& registry) const {
  for (const RegistryOverride& o : options_.overrides) {
    if (o.host == registry) return &o;
  }
  return nullptr;
}

Result<std::optional<Credentials>> ClientPool::ResolveCredentials(
    const std::string& registry, Role role, const RegistryOverride* override_entry) {
  if (override_entry != nullptr) {
    if (override_entry->credentials) {
      Credentials c = *override_entry->credentials;
      c.source = "the configuration's entry for " + registry;
      return std::optional<Credentials>(std::move(c));
    }
    if (!override_entry->credential_helper.empty()) {
      return RunCredentialHelper(override_entry->credential_helper, CredentialKey(registry));
    }
  }
  const bool source = role == Role::kSource;
  const std::string& flag = source ? options_.src_creds : options_.dest_creds;
  if (!flag.empty()) {
    const std::string& flag_name = source ? options_.src_creds_flag : options_.dest_creds_flag;
    auto c = ParseUserPass(flag);
    if (!c) return tl::unexpected(c.error().WithContext(flag_name));
    c->source = flag_name;
    return std::optional<Credentials>(*c);
  }
  if (options_.read_credentials_from_env) {
    const char* env_name = source ? "FREIGHTLINER_SRC_CREDS" : "FREIGHTLINER_DEST_CREDS";
    if (const char* env = std::getenv(env_name); env != nullptr && env[0] != '\0') {
      auto c = ParseUserPass(env);
      if (!c) return tl::unexpected(c.error().WithContext(env_name));
      c->source = env_name;
      return std::optional<Credentials>(*c);
    }
  }
  if (!auth_files_) {
    std::string path = options_.auth_file;
    std::string named_by = options_.auth_file_flag;
    if (path.empty()) {
      path = ProcessEnvironment()("REGISTRY_AUTH_FILE").value_or("");
      named_by = "REGISTRY_AUTH_FILE";
    }
    auto loaded = AuthFiles::Load(path, named_by, ProcessEnvironment());
    if (!loaded) return tl::unexpected(loaded.error());
    auth_files_ = std::move(*loaded);
  }
  return auth_files_->Lookup(registry);
}

Result<std::shared_ptr<RegistryClient>> ClientPool::Get(const std::string& registry, Role role) {
  std::lock_guard lock(mu_);
  if (auto it = clients_.find({registry, role}); it != clients_.end()) return it->second;
  const RegistryOverride* entry = Override(registry);
  auto creds = ResolveCredentials(registry, role, entry);
  if (!creds) return tl::unexpected(creds.error().WithContext("credentials for " + registry));

  ClientOptions o;
  std::set<std::string> insecure = options_.insecure_hosts;
  if (entry != nullptr && entry->insecure) insecure.insert(registry);
  o.hosts =
      HostPolicy(std::move(insecure),
                 entry != nullptr && !entry->ca_file.empty() ? entry->ca_file : options_.ca_file);
  o.retry = options_.retry;
  o.push_scopes = role == Role::kDestination;
  o.on_auth_failure = options_.on_auth_failure;
  if (options_.on_retry) {
    o.on_retry = [on_retry = options_.on_retry, registry](const Error& e, Clock::Duration d) {
      on_retry(registry, e, d);
    };
  }
  auto& limiter = limiters_[registry];
  if (!limiter) {
    limiter = std::make_shared<RegistryLimiter>(
        entry != nullptr ? entry->limits : options_.default_limits, *o.clock);
  }
  o.limiter = limiter;
  auto client =
      std::make_shared<RegistryClient>(registry, std::move(*creds), std::move(o), transport_);
  clients_[{registry, role}] = client;
  return client;
}

}  // namespace freightliner::registry
