#include "registry/auth.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "http/untrusted.hpp"
#include "registry/json_fields.hpp"

namespace freightliner::registry {
namespace {

// A token goes into an Authorization header as it is: it must be one visible-ASCII word, or a
// token service could inject header lines (CR LF) into every later request.
bool IsHeaderSafeToken(std::string_view token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F;
  });
}

// Longer than a day is not a lifetime but a number chosen to overflow the clock.
constexpr uint64_t kMaxTokenLifetimeSeconds = 24 * 3600;
constexpr size_t kMaxTokenResponseBytes = 1u << 20;

std::string UrlHost(std::string_view url) {
  std::string_view u = url;
  const size_t scheme = u.find("://");
  if (scheme != std::string_view::npos) u.remove_prefix(scheme + 3);
  return std::string(u.substr(0, u.find_first_of("/?#")));
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  std::string clean;
  for (char c : in) {
    if (c != '\n' && c != '\r' && c != ' ') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> out(clean.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes: drop them.
  for (size_t i = clean.size(); i > 0 && clean[i - 1] == '='; --i)
    --len;
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

std::string Scope::String() const {
  return "repository:" + repository + ":pull" + (push ? ",push" : "") + (remove ? ",delete" : "");
}

Authenticator::Authenticator(std::string registry, std::optional<Credentials> credentials,
                             http::Transport& transport, const HostPolicy& hosts, Clock& clock,
                             std::function<void()> on_auth_failure)
    : registry_(std::move(registry)),
      credentials_(std::move(credentials)),
      transport_(transport),
      hosts_(hosts),
      clock_(clock),
      on_auth_failure_(std::move(on_auth_failure)) {}

std::string Authenticator::CredentialSource() const {
  if (!credentials_ || credentials_->Empty()) return "anonymous access";
  return "credentials from " +
         (credentials_->source.empty() ? std::string("an unnamed source") : credentials_->source);
}

void Authenticator::SetChallenge(std::optional<Challenge> challenge) {
  std::lock_guard lock(mu_);
  challenge_ = std::move(challenge);
}

std::string Authenticator::ScopeKey(const std::vector<Scope>& scopes) {
  std::set<std::string> sorted;
  for (const Scope& s : scopes)
    sorted.insert(s.String());
  std::string key;
  for (const std::string& s : sorted)
    key += s + " ";
  return key;
}

void Authenticator::OnUnauthorized(const http::Headers& headers, const std::vector<Scope>& scopes) {
  std::lock_guard lock(mu_);
  if (auto value = headers.Get("WWW-Authenticate")) {
    if (auto c = PreferredChallenge(ParseChallenges(*value))) challenge_ = std::move(c);
  }
  tokens_.erase(ScopeKey(scopes));
}

Result<std::optional<std::string>> Authenticator::Header(const std::vector<Scope>& scopes,
                                                         std::stop_token stop) {
  std::optional<Challenge> challenge;
  {
    std::lock_guard lock(mu_);
    challenge = challenge_;
  }
  if (!challenge) return std::optional<std::string>();
  if (challenge->scheme == "basic") {
    if (!credentials_ || credentials_->username.empty()) {
      if (on_auth_failure_) on_auth_failure_();
      return MakeError(ErrorCode::kAuth, registry_ +
                                             " requires a login and no credentials were given "
                                             "for it (tried " +
                                             CredentialSource() + ")");
    }
    return std::optional<std::string>(
        "Authorization: Basic " +
        Base64Encode(credentials_->username + ":" + credentials_->password));
  }
  const std::string key = ScopeKey(scopes);
  std::lock_guard fetch_lock(fetch_mu_);
  {
    std::lock_guard lock(mu_);
    if (auto it = tokens_.find(key); it != tokens_.end() && it->second.expires > clock_.Now()) {
      return std::optional<std::string>("Authorization: Bearer " + it->second.token);
    }
  }
  auto token = FetchToken(*challenge, scopes, stop);
  if (!token) return tl::unexpected(token.error());
  std::lock_guard lock(mu_);
  tokens_[key] = *token;
  return std::optional<std::string>("Authorization: Bearer " + token->token);
}

Result<Authenticator::CachedToken> Authenticator::FetchToken(const Challenge& challenge,
                                                             const std::vector<Scope>& scopes,
                                                             std::stop_token stop) {
  const std::string realm = challenge.Param("realm");
  if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0) {
    return MakeError(ErrorCode::kAuth,
                     registry_ + " sent a Bearer challenge without a usable realm");
  }
  const std::string service = challenge.Param("service");
  const bool plain_http_realm = realm.rfind("http://", 0) == 0;
  if (plain_http_realm && !hosts_.IsInsecure(UrlHost(realm))) {
    return MakeError(ErrorCode::kAuth,
                     "refusing to send credentials to the plain-HTTP token "
                     "service " +
                         UrlHost(realm) + " (allow it with --insecure-registry)");
  }
  http::Request request;
  request.max_buffered_body = kMaxTokenResponseBytes;
  request.body_cap_name = "max_token_response_bytes";
  request.tls.verify = !hosts_.IsInsecure(UrlHost(realm));
  request.tls.ca_file = hosts_.ca_file();
  std::string query;
  if (!service.empty()) query += "service=" + http::UrlEncode(service);
  for (const Scope& s : scopes) {
    query += std::string(query.empty() ? "" : "&") + "scope=" + http::UrlEncode(s.String());
  }
  const bool has_identity_token = credentials_ && !credentials_->identity_token.empty();
  if (has_identity_token) {
    // OAuth2 refresh-token grant, as `docker login` identity tokens require.
    std::string scope_list;
    for (const Scope& s : scopes)
      scope_list += (scope_list.empty() ? "" : " ") + s.String();
    request.method = "POST";
    request.url = realm;
    request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    request.body = "grant_type=refresh_token&client_id=freightliner&refresh_token=" +
                   http::UrlEncode(credentials_->identity_token) +
                   "&service=" + http::UrlEncode(service) + "&scope=" + http::UrlEncode(scope_list);
  } else {
    request.url = realm + (realm.find('?') == std::string::npos ? "?" : "&") + query;
    if (credentials_ && !credentials_->username.empty()) {
      request.headers.push_back(
          "Authorization: Basic " +
          Base64Encode(credentials_->username + ":" + credentials_->password));
    }
  }
  auto response = transport_.Perform(request, stop);
  if (!response)
    return tl::unexpected(response.error().WithContext("token request for " + registry_));
  if (response->status == 401 || response->status == 403) {
    if (on_auth_failure_) on_auth_failure_();
    return MakeError(ErrorCode::kAuth, "the token service of " + registry_ + " refused " +
                                           CredentialSource() + " (HTTP " +
                                           std::to_string(response->status) + ")");
  }
  if (response->status != 200) {
    return MakeError(
        response->status >= 500 ? ErrorCode::kServerError : ErrorCode::kAuth,
        "the token service of " + registry_ + " answered HTTP " + std::to_string(response->status));
  }
  auto doc = nlohmann::json::parse(response->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(ErrorCode::kAuth, "the token service of " + registry_ + " sent no JSON");
  }
  CachedToken token;
  token.token = StringField(doc, "token");
  if (token.token.empty()) token.token = StringField(doc, "access_token");
  if (token.token.empty()) {
    return MakeError(ErrorCode::kAuth, "the token service of " + registry_ + " sent no token");
  }
  if (!IsHeaderSafeToken(token.token)) {
    return MakeError(ErrorCode::kAuth, "the token service of " + registry_ +
                                           " sent a token with spaces or control characters");
  }
  // 60 s is the spec's default lifetime; renew a little early so a token never dies mid-request.
  // Out of range (negative, huge, not an integer): the default, not an overflowing deadline.
  int64_t lifetime = 60;
  if (auto e = BoundedUnsignedField(doc, "expires_in", kMaxTokenLifetimeSeconds)) {
    lifetime = std::max<int64_t>(1, static_cast<int64_t>(*e));
  }
  const int64_t margin = std::min<int64_t>(10, lifetime / 5);
  token.expires = clock_.Now() + std::chrono::seconds(lifetime - margin);
  ++tokens_fetched_;
  return token;
}

}  // namespace freightliner::registry
