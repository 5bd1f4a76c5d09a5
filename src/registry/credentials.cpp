#include "registry/credentials.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "common/format.hpp"
#include "common/subprocess.hpp"
#include "registry/auth.hpp"
#include "registry/json_fields.hpp"
#include "registry/reference.hpp"

namespace freightliner::registry {
namespace {

using nlohmann::json;

}  // namespace

Result<Credentials> ParseUserPass(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    // Never echo the text: it may be a password typed in the wrong place.
    return MakeError(ErrorCode::kInvalidArgument, "credentials must be USER:PASSWORD");
  }
  Credentials c;
  c.username = std::string(text.substr(0, colon));
  c.password = std::string(text.substr(colon + 1));
  return c;
}

std::string NormaliseAuthKey(std::string_view key) {
  std::string_view k = key;
  for (std::string_view scheme : {"https://", "http://"}) {
    if (k.substr(0, scheme.size()) == scheme) k.remove_prefix(scheme.size());
  }
  if (const size_t slash = k.find('/'); slash != std::string_view::npos) k = k.substr(0, slash);
  std::string host(k);
  if (host == "index.docker.io" || host == "registry-1.docker.io") host = std::string(kDockerHub);
  return host;
}

Result<DockerConfig> DockerConfig::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (std::ifstream(path).good()) {
      return MakeError(ErrorCode::kInvalidArgument, "cannot read auth file " + path);
    }
    DockerConfig empty;
    empty.origin_ = path;
    return empty;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path);
}

Result<DockerConfig> DockerConfig::Parse(std::string_view json_text, const std::string& origin) {
  json doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "auth file " + origin + " is not valid JSON");
  }
  DockerConfig config;
  config.origin_ = origin;
  if (auto auths = doc.find("auths"); auths != doc.end() && auths->is_object()) {
    for (const auto& [key, entry] : auths->items()) {
      if (!entry.is_object()) continue;
      Credentials c;
      if (const auto auth = entry.find("auth");
          auth != entry.end() && auth->is_string() && !auth->get<std::string>().empty()) {
        auto decoded = Base64Decode(auth->get<std::string>());
        auto parsed = decoded ? ParseUserPass(*decoded) : Result<Credentials>();
        if (!decoded || !parsed) {
          return MakeError(ErrorCode::kInvalidArgument,
                           "auth file " + origin + ": entry \"" + key +
                               "\" has an \"auth\" value that is not base64 of USER:PASSWORD");
        }
        c = *parsed;
      } else {
        c.username = StringField(entry, "username");
        c.password = StringField(entry, "password");
      }
      c.identity_token = StringField(entry, "identitytoken");
      c.source = origin + " auths[" + QuoteUntrusted(key) + "]";
      if (!c.Empty()) config.auths_[NormaliseAuthKey(key)] = std::move(c);
    }
  }
  if (auto helpers = doc.find("credHelpers"); helpers != doc.end() && helpers->is_object()) {
    for (const auto& [key, name] : helpers->items()) {
      if (name.is_string()) config.cred_helpers_[NormaliseAuthKey(key)] = name.get<std::string>();
    }
  }
  config.creds_store_ = StringField(doc, "credsStore");
  return config;
}

std::optional<Credentials> DockerConfig::FromAuths(std::string_view registry) const {
  auto it = auths_.find(std::string(registry));
  if (it == auths_.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<Credentials>> DockerConfig::Lookup(std::string_view registry) const {
  const std::string host = NormaliseAuthKey(registry);
  if (auto helper = cred_helpers_.find(host); helper != cred_helpers_.end()) {
    return RunCredentialHelper(helper->second, CredentialKey(host));
  }
  if (auto c = FromAuths(host)) return c;
  if (!creds_store_.empty()) return FromCredsStore(host);
  return std::optional<Credentials>();
}

std::optional<Credentials> DockerConfig::FromCredsStore(std::string_view host) const {
  if (creds_store_failed_->load()) return std::nullopt;
  auto c = RunCredentialHelper(creds_store_, CredentialKey(std::string(host)));
  if (c) return *c;
  if (!creds_store_failed_->exchange(true)) {
    spdlog::warn(
        "the credential store docker-credential-{} of {} does not work ({}): going on without "
        "it (anonymous access unless credentials come from elsewhere)",
        EscapeUntrusted(creds_store_, 64), origin_, c.error().message);
  }
  return std::nullopt;
}

std::vector<std::string> AuthFilePaths(const std::string& explicit_path, const EnvLookup& env) {
  if (!explicit_path.empty()) return {explicit_path};
  const auto get = [&](const char* name) { return env(name).value_or(""); };
  const std::string home = get("HOME");
  std::vector<std::string> paths;
  const std::string runtime_dir = get("XDG_RUNTIME_DIR");
  paths.push_back(!runtime_dir.empty()
                      ? runtime_dir + "/containers/auth.json"
                      : "/run/containers/" + std::to_string(getuid()) + "/auth.json");
  const std::string config_home = get("XDG_CONFIG_HOME");
  paths.push_back((!config_home.empty() ? config_home : home + "/.config") +
                  "/containers/auth.json");
  const std::string docker_config = get("DOCKER_CONFIG");
  paths.push_back(!docker_config.empty() ? docker_config + "/config.json"
                                         : home + "/.docker/config.json");
  return paths;
}

Result<AuthFiles> AuthFiles::Load(const std::string& explicit_path, std::string_view named_by,
                                  const EnvLookup& env) {
  if (!explicit_path.empty() && access(explicit_path.c_str(), F_OK) != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "auth file " + explicit_path + " (given by " +
                                                      std::string(named_by) + ") does not exist");
  }
  AuthFiles files;
  for (const std::string& path : AuthFilePaths(explicit_path, env)) {
    auto loaded = DockerConfig::Load(path);
    if (!loaded) return tl::unexpected(loaded.error());
    files.files_.push_back(std::move(*loaded));
  }
  return files;
}

Result<std::optional<Credentials>> AuthFiles::Lookup(std::string_view registry) const {
  for (const DockerConfig& file : files_) {
    auto found = file.Lookup(registry);
    if (!found || found->has_value()) return found;
  }
  return std::optional<Credentials>();
}

Result<std::optional<Credentials>> RunCredentialHelper(const std::string& helper,
                                                       const std::string& server_url) {
  const std::string program = "docker-credential-" + helper;
  auto run = RunProcess({program, "get"}, server_url, std::chrono::seconds(30));
  if (!run) return tl::unexpected(run.error().WithContext("credential helper"));
  if (run->exit_code != 0) {
    // The helpers' protocol: this message means "nothing stored", not a failure.
    if (run->out.find("credentials not found") != std::string::npos ||
        run->err.find("credentials not found") != std::string::npos) {
      return std::optional<Credentials>();
    }
    return MakeError(ErrorCode::kAuth, program + " get failed with exit code " +
                                           std::to_string(run->exit_code) + " for " + server_url);
  }
  json doc = json::parse(run->out, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(ErrorCode::kAuth, program + " printed something that is not JSON");
  }
  Credentials c;
  const std::string username = StringField(doc, "Username");
  const std::string secret = StringField(doc, "Secret");
  c.source = "credential helper " + program;
  if (username == "<token>") {
    c.identity_token = secret;  // Docker's convention for identity tokens
  } else {
    c.username = username;
    c.password = secret;
  }
  if (c.Empty()) return std::optional<Credentials>();
  return std::optional<Credentials>(std::move(c));
}

}  // namespace freightliner::registry
