#pragma once
// Answers a registry's auth challenge: nothing, Basic, or the Bearer token flow
// (GET realm?service=..&scope=.., with Basic credentials when we have them). Tokens are cached
// per scope set until shortly before they expire.

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "http/transport.hpp"
#include "registry/challenge.hpp"
#include "registry/credentials.hpp"
#include "registry/host_policy.hpp"

namespace freightliner::registry {

// "repository:team/app:pull" or "repository:team/app:pull,push".
struct Scope {
  std::string repository;
  bool push = false;
  bool remove = false;  // the `delete` action: deleting manifests
  std::string String() const;
};

// Thread-safe. One per registry.
class Authenticator {
 public:
  Authenticator(std::string registry, std::optional<Credentials> credentials,
                http::Transport& transport, const HostPolicy& hosts, Clock& clock,
                std::function<void()> on_auth_failure);

  // Remembers the challenge from a ping or a 401 (an absent challenge means anonymous access).
  void SetChallenge(std::optional<Challenge> challenge);
  // The Authorization header value for a request needing `scopes`; nullopt for none.
  Result<std::optional<std::string>> Header(const std::vector<Scope>& scopes, std::stop_token stop);
  // After a 401: take the new challenge and forget cached tokens for these scopes.
  void OnUnauthorized(const http::Headers& headers, const std::vector<Scope>& scopes);

  uint64_t tokens_fetched() const { return tokens_fetched_.load(); }
  // What a refusal names: "credentials from --src-creds", "credentials from credential helper
  // docker-credential-pass", or "anonymous access". Never a secret.
  std::string CredentialSource() const;

 private:
  struct CachedToken {
    std::string token;
    Clock::TimePoint expires;
  };
  Result<CachedToken> FetchToken(const Challenge& challenge, const std::vector<Scope>& scopes,
                                 std::stop_token stop);
  static std::string ScopeKey(const std::vector<Scope>& scopes);

  const std::string registry_;
  const std::optional<Credentials> credentials_;
  http::Transport& transport_;
  const HostPolicy& hosts_;
  Clock& clock_;
  std::function<void()> on_auth_failure_;

  std::mutex mu_;
  std::optional<Challenge> challenge_;
  std::map<std::string, CachedToken> tokens_;
  std::mutex fetch_mu_;  // one token request at a time: concurrent workers share its answer
  std::atomic<uint64_t> tokens_fetched_{0};
};

std::string Base64Encode(std::string_view data);
// nullopt for text that is not base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace freightliner::registry
