#include "registry/client.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/format.hpp"
#include "http/untrusted.hpp"
#include "registry/json_fields.hpp"
#include "registry/reference.hpp"

namespace freightliner::registry {
namespace {

// The longest digest the spec names: "sha512:" and 128 hex digits.
constexpr size_t kMaxDigestLength = 7 + 128;

// A digest a registry announced, checked before any use: valid, or nullopt.
std::optional<std::string> CheckedDigest(std::string_view announced) {
  if (announced.empty() || announced.size() > kMaxDigestLength) return std::nullopt;
  std::string digest(announced);
  if (!IsValidDigest(digest)) return std::nullopt;
  return digest;
}

// A registry's answer we will not act on (a lie, or more than a cap allows). Asking again would
// get the same answer: not retried.
tl::unexpected<Error> Refuse(std::string message) {
  Error error(ErrorCode::kServerError, std::move(message));
  error.no_retry = true;
  return tl::unexpected(std::move(error));
}

std::string MiB(size_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

std::string WithQuery(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

std::string StripMediaTypeParameters(std::string_view content_type) {
  std::string_view base = content_type.substr(0, content_type.find(';'));
  while (!base.empty() && base.back() == ' ')
    base.remove_suffix(1);
  return std::string(base);
}

std::optional<std::string> NextLink(const http::Headers& headers) {
  for (const std::string& value : headers.GetAll("Link")) {
    if (auto next = ParseNextLink(value)) return next;
  }
  return std::nullopt;
}

}  // namespace

// Link: </v2/_catalog?last=b&n=2>; rel="next"
std::optional<std::string> ParseNextLink(std::string_view value) {
  const size_t open = value.find('<');
  const size_t close = value.find('>', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
  if (value.find("rel=\"next\"", close) == std::string_view::npos &&
      value.find("rel=next", close) == std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(value.substr(open + 1, close - open - 1));
}

Error ErrorFromResponse(const http::Response& response, const std::string& what) {
  ErrorCode code = ErrorCode::kClientError;
  if (response.status == 401 || response.status == 403) {
    code = ErrorCode::kAuth;
  } else if (response.status == 404) {
    code = ErrorCode::kNotFound;
  } else if (response.status == 429) {
    code = ErrorCode::kRateLimited;
  } else if (response.status >= 500) {
    code = ErrorCode::kServerError;
  }
  std::string message = what + ": HTTP " + std::to_string(response.status);
  auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object()) {
    if (auto errors = doc.find("errors"); errors != doc.end() && errors->is_array()) {
      for (const auto& e : *errors) {
        if (!e.is_object()) continue;
        // The registry's words, so quoted as data: no newline or escape reaches a log line.
        message += " " + EscapeUntrusted(StringField(e, "code"), 64) + ": " +
                   EscapeUntrusted(StringField(e, "message"));
        break;  // the first says enough; the rest repeat it
      }
    }
  }
  return Error(code, message);
}

RegistryClient::RegistryClient(std::string registry, std::optional<Credentials> credentials,
                               ClientOptions options, std::shared_ptr<http::Transport> transport)
    : registry_(std::move(registry)),
      api_host_(ApiHost(registry_)),
      options_(std::move(options)),
      transport_(std::move(transport)),
      auth_(registry_, std::move(credentials), *transport_, options_.hosts, *options_.clock,
            options_.on_auth_failure),
      limiter_(options_.limiter
                   ? options_.limiter
                   : std::make_shared<RegistryLimiter>(options_.limits, *options_.clock)) {}

http::TlsOptions RegistryClient::Tls() const {
  return {.verify = !options_.hosts.IsInsecure(api_host_), .ca_file = options_.hosts.ca_file()};
}

std::string RegistryClient::Absolute(const std::string& url_or_path,
                                     const std::string& base) const {
  if (url_or_path.rfind("http://", 0) == 0 || url_or_path.rfind("https://", 0) == 0) {
    return url_or_path;
  }
  if (!url_or_path.empty() && url_or_path.front() == '/') return base + url_or_path;
  return base + "/" + url_or_path;
}

Status RegistryClient::Ping(std::stop_token stop) {
  auto base = BaseUrl(stop);
  if (!base) return tl::unexpected(base.error());
  return Ok();
}

Result<std::string> RegistryClient::BaseUrl(std::stop_token stop) {
  std::lock_guard lock(base_mu_);
  if (!base_url_.empty()) return base_url_;
  const bool insecure = options_.hosts.IsInsecure(api_host_);
  std::vector<std::string> schemes = {"https://"};
  if (insecure) schemes.push_back("http://");  // Docker's order: TLS first, then plain HTTP
  Error last(ErrorCode::kNetwork, "no scheme tried");
  for (const std::string& scheme : schemes) {
    const std::string base = scheme + api_host_;
    // With a plain-HTTP fallback waiting, one TLS attempt is enough to learn the scheme.
    registry::RetryPolicy policy = options_.retry;
    if (scheme != schemes.back()) policy.max_attempts = 1;
    auto response = RetryCall<http::Response>(
        policy, *options_.clock, stop,
        [&]() -> Result<http::Response> {
          auto r = transport_->Perform({.method = "GET",
                                        .url = base + "/v2/",
                                        .tls = Tls(),
                                        .max_buffered_body = http::kMaxErrorBodyBytes,
                                        .body_cap_name = "max_response_bytes"},
                                       stop);
          if (r && r->status >= 500) return tl::unexpected(ErrorFromResponse(*r, "GET /v2/"));
          return r;
        },
        [&](int attempt, const Error& e, Clock::Duration delay) {
          LogRetry("GET " + base + "/v2/", attempt, policy.max_attempts, e, delay);
          if (options_.on_retry) options_.on_retry(e, delay);
        });
    if (!response) {
      last = response.error();
      if (!insecure && last.message.find(http::kPlainHttpAnswer) != std::string::npos) {
        return MakeError(ErrorCode::kNetwork,
                         registry_ +
                             " speaks plain HTTP, not HTTPS: if that is intended, allow "
                             "it with --insecure-registry " +
                             api_host_ +
                             " (or --tls-verify=false; in a sync or server config: insecure: "
                             "true)");
      }
      // A TLS handshake against a plain-HTTP server fails at once: try the next scheme.
      if (last.code == ErrorCode::kNetwork || last.code == ErrorCode::kTimeout) continue;
      return tl::unexpected(last.WithContext(registry_));
    }
    if (response->status != 200 && response->status != 401) {
      return MakeError(ErrorCode::kClientError, registry_ +
                                                    " is not a registry: GET /v2/ answered HTTP " +
                                                    std::to_string(response->status));
    }
    std::optional<Challenge> challenge;
    if (response->status == 401) {
      if (auto value = response->headers.Get("WWW-Authenticate")) {
        challenge = PreferredChallenge(ParseChallenges(*value));
      }
    }
    auth_.SetChallenge(std::move(challenge));
    base_url_ = base;
    spdlog::debug("registry {} speaks {}", registry_, scheme.substr(0, scheme.size() - 3));
    return base_url_;
  }
  return tl::unexpected(last.WithContext("cannot reach registry " + registry_));
}

Result<http::Response> RegistryClient::SendOnce(const Call& call, std::stop_token stop) {
  auto base = BaseUrl(stop);
  if (!base) return tl::unexpected(base.error());
  auto permit = limiter_->Acquire(stop);
  if (!permit) return tl::unexpected(permit.error());

  http::Request request{.method = call.method,
                        .url = Absolute(call.url, *base),
                        .headers = call.headers,
                        .body = call.body,
                        .body_source = call.body_source,
                        .body_size = call.body_size,
                        .body_sink = call.body_sink,
                        .tls = Tls(),
                        .max_buffered_body = call.max_body,
                        .body_cap_name = call.body_cap_name};
  // Credentials are bound to the registry's origin (scheme, host and port), as Docker binds
  // them: a Location or Link elsewhere gets the request without them. A plain-HTTP URL handed
  // out by a TLS registry is refused outright, not just sent without credentials: whatever it
  // carries (a blob, a page) would travel in clear where the operator chose TLS, and a
  // man-in-the-middle able to rewrite one answer would otherwise steer the rest.
  if (base->rfind("https://", 0) == 0 && request.url.rfind("https://", 0) != 0) {
    return Refuse(registry_ + " speaks HTTPS but sent " + call.method + " to " +
                  EscapeUntrusted(request.url) + ": refusing to downgrade to plain HTTP");
  }
  const bool same_host = http::SameOrigin(request.url, *base);
  Result<http::Response> response = MakeError(ErrorCode::kInternal, "not sent");
  for (int attempt = 0; attempt < 2; ++attempt) {
    request.headers = call.headers;
    if (same_host) {
      auto header = auth_.Header(call.scopes, stop);
      if (!header) return tl::unexpected(header.error());
      if (*header) request.headers.push_back(**header);
    }
    response = transport_->Perform(request, stop);
    if (!response || response->status != 401 || !same_host || call.body_source) break;
    if (attempt == 0) {
      auth_.OnUnauthorized(response->headers, call.scopes);  // one re-auth, then give up
    } else if (options_.on_auth_failure) {
      options_.on_auth_failure();
    }
  }
  if (!response) return response;
  if ((response->status == 401 || response->status == 403) && same_host) {
    // Refused after a re-authentication: say with what, so that a user can tell a wrong
    // password from the wrong file or helper answering.
    Error error = ErrorFromResponse(*response, call.method + " " + call.url);
    error.message += " (tried " + auth_.CredentialSource() + ")";
    return tl::unexpected(std::move(error));
  }
  if (response->status == 429) {
    Error error = ErrorFromResponse(*response, call.method + " " + call.url);
    auto retry_after = response->headers.Get("Retry-After");
    if (retry_after) {
      if (auto d = ParseRetryAfter(*retry_after, options_.clock->WallNow())) {
        error.retry_after_seconds = std::chrono::duration<double>(*d).count();
        // Everyone waits, not only this worker: the limit is the registry's.
        limiter_->PauseUntil(options_.clock->Now() + *d);
      }
    }
    return tl::unexpected(error);
  }
  if (response->status >= 500) {
    return tl::unexpected(ErrorFromResponse(*response, call.method + " " + call.url));
  }
  return response;
}

Result<http::Response> RegistryClient::Send(const Call& call, std::stop_token stop) {
  if (!call.replayable) return SendOnce(call, stop);
  return RetryCall<http::Response>(
      options_.retry, *options_.clock, stop, [&] { return SendOnce(call, stop); },
      [&](int attempt, const Error& e, Clock::Duration delay) {
        LogRetry(call.method + " " + call.url + " on " + registry_, attempt,
                 options_.retry.max_attempts, e, delay);
        if (options_.on_retry) options_.on_retry(e, delay);
      });
}

Result<std::optional<ManifestHead>> RegistryClient::HeadManifest(const std::string& repo,
                                                                 const std::string& reference,
                                                                 std::stop_token stop) {
  auto r = Send({.method = "HEAD",
                 .url = "/v2/" + repo + "/manifests/" + reference,
                 .headers = {"Accept: " + ManifestAcceptHeader()},
                 .scopes = {{repo, options_.push_scopes}}},
                stop);
  if (!r) return tl::unexpected(r.error());
  if (r->status == 404) return std::optional<ManifestHead>();
  if (r->status != 200) {
    return tl::unexpected(
        ErrorFromResponse(*r, "HEAD manifest " + registry_ + "/" + repo + ":" + reference));
  }
  const std::string what = "HEAD manifest " + registry_ + "/" + repo + ":" + reference;
  ManifestHead head;
  // An empty header is no announcement (as before); anything else must be a digest.
  if (auto announced = r->headers.Get("Docker-Content-Digest"); announced && !announced->empty()) {
    auto digest = CheckedDigest(*announced);
    if (!digest) {
      return Refuse(what + ": invalid Docker-Content-Digest \"" + EscapeUntrusted(*announced) +
                    "\"");
    }
    head.digest = *digest;
  }
  head.media_type = StripMediaTypeParameters(r->headers.Get("Content-Type").value_or(""));
  if (auto length = r->headers.Get("Content-Length")) {
    auto size = http::ParseBoundedUnsigned(*length, INT64_MAX);
    if (!size) {
      return Refuse(what + ": invalid Content-Length \"" + EscapeUntrusted(*length) + "\"");
    }
    if (*size > options_.max_manifest_bytes) {
      return Refuse(what + ": manifest of " + std::to_string(*size) +
                    " bytes is larger than the built-in limit max_manifest_bytes (" +
                    MiB(options_.max_manifest_bytes) + ")");
    }
    head.size = static_cast<int64_t>(*size);
  }
  return std::optional<ManifestHead>(std::move(head));
}

Result<Manifest> RegistryClient::GetManifest(const std::string& repo, const std::string& reference,
                                             std::stop_token stop) {
  const std::string what =
      registry_ + "/" + repo + (IsValidDigest(reference) ? "@" : ":") + reference;
  auto r = Send({.method = "GET",
                 .url = "/v2/" + repo + "/manifests/" + reference,
                 .headers = {"Accept: " + ManifestAcceptHeader()},
                 .scopes = {{repo, options_.push_scopes}},
                 .max_body = options_.max_manifest_bytes,
                 .body_cap_name = "max_manifest_bytes"},
                stop);
  if (!r) return tl::unexpected(r.error().WithContext("GET manifest " + what));
  if (r->status == 404) {
    return MakeError(ErrorCode::kNotFound, "manifest " + what + " not found");
  }
  if (r->status != 200) return tl::unexpected(ErrorFromResponse(*r, "GET manifest " + what));
  auto manifest = ParseManifest(std::move(r->body), r->headers.Get("Content-Type").value_or(""));
  if (!manifest) return tl::unexpected(manifest.error().WithContext(what));
  std::string expected = IsValidDigest(reference) ? reference : "";
  if (auto announced = r->headers.Get("Docker-Content-Digest");
      announced && !announced->empty() && expected.empty()) {
    auto digest = CheckedDigest(*announced);
    if (!digest) {
      return Refuse("manifest " + what + ": invalid Docker-Content-Digest \"" +
                    EscapeUntrusted(*announced) + "\"");
    }
    if (digest->rfind("sha256:", 0) == 0) expected = *digest;
  }
  if (!expected.empty() && expected != manifest->digest) {
    return MakeError(ErrorCode::kDigestMismatch, "manifest " + what + " hashes to " +
                                                     manifest->digest + ", expected " + expected);
  }
  return manifest;
}

Status RegistryClient::PutManifest(const std::string& repo, const std::string& reference,
                                   const Manifest& manifest, std::stop_token stop) {
  const std::string what = registry_ + "/" + repo + ":" + reference;
  // distribution 2.8 rewrites a blob's link file in place when it is mounted again; a manifest
  // PUT that checks the blob at that moment gets 400 DIGEST_INVALID (or MANIFEST_BLOB_UNKNOWN)
  // although the blob is there. A few short, bounded retries absorb that race; a blob that is
  // really missing still fails after them.
  constexpr int kAttempts = 4;
  Result<http::Response> r;
  for (int attempt = 1;; ++attempt) {
    r = Send({.method = "PUT",
              .url = "/v2/" + repo + "/manifests/" + reference,
              .headers = {"Content-Type: " + manifest.media_type},
              .body = manifest.bytes,
              .scopes = {{repo, true}}},
             stop);
    if (!r) return tl::unexpected(r.error());
    const bool blob_race =
        r->status == 400 && (r->body.find("DIGEST_INVALID") != std::string::npos ||
                             r->body.find("BLOB_UNKNOWN") != std::string::npos);
    if (!blob_race || attempt == kAttempts) break;
    spdlog::debug("PUT manifest {}: registry did not see a blob yet ({}); retrying", what,
                  r->status);
    if (!options_.clock->SleepFor(std::chrono::milliseconds(100 * attempt), stop)) {
      return MakeError(ErrorCode::kCanceled, "canceled");
    }
  }
  if (r->status != 201 && r->status != 200) {
    return tl::unexpected(ErrorFromResponse(*r, "PUT manifest " + what));
  }
  const std::string stored = r->headers.Get("Docker-Content-Digest").value_or(manifest.digest);
  if (stored != manifest.digest) {
    return MakeError(
        ErrorCode::kDigestMismatch,
        what + " was stored as " + EscapeUntrusted(stored) + ", not " + manifest.digest);
  }
  return Ok();
}

Result<RegistryClient::Deleted> RegistryClient::DeleteManifest(const std::string& repo,
                                                               const std::string& reference,
                                                               std::stop_token stop) {
  auto r = Send({.method = "DELETE",
                 .url = "/v2/" + repo + "/manifests/" + reference,
                 .scopes = {{.repository = repo, .remove = true}}},
                stop);
  if (!r) return tl::unexpected(r.error());
  if (r->status == 202 || r->status == 200 || r->status == 204) return Deleted::kDeleted;
  if (r->status == 404) return Deleted::kAbsent;
  const bool by_tag = !IsValidDigest(reference);
  if (by_tag && (r->status == 400 || r->status == 405 || r->status == 501)) {
    return Deleted::kUnsupported;
  }
  return tl::unexpected(
      ErrorFromResponse(*r, "DELETE manifest " + registry_ + "/" + repo + ":" + reference));
}

Result<bool> RegistryClient::BlobExists(const std::string& repo, const std::string& digest,
                                        std::stop_token stop) {
  auto r = Send({.method = "HEAD",
                 .url = "/v2/" + repo + "/blobs/" + digest,
                 .scopes = {{repo, options_.push_scopes}}},
                stop);
  if (!r) return tl::unexpected(r.error());
  if (r->status == 200) return true;
  if (r->status == 404) return false;
  return tl::unexpected(
      ErrorFromResponse(*r, "HEAD blob " + registry_ + "/" + repo + "@" + digest));
}

Status RegistryClient::GetBlob(const std::string& repo, const std::string& digest,
                               const http::BodySink& sink, std::stop_token stop) {
  auto r = Send({.method = "GET",
                 .url = "/v2/" + repo + "/blobs/" + digest,
                 .body_sink = sink,
                 .scopes = {{repo, false}},
                 .replayable = false},
                stop);
  if (!r) return tl::unexpected(r.error());
  if (r->status != 200) {
    return tl::unexpected(
        ErrorFromResponse(*r, "GET blob " + registry_ + "/" + repo + "@" + digest));
  }
  return Ok();
}

Result<UploadSession> RegistryClient::StartUpload(const std::string& repo,
                                                  const std::string& digest,
                                                  const std::string& mount_from,
                                                  std::stop_token stop) {
  Call call{.method = "POST", .url = "/v2/" + repo + "/blobs/uploads/", .scopes = {{repo, true}}};
  if (!mount_from.empty()) {
    call.url += "?mount=" + http::UrlEncode(digest) + "&from=" + http::UrlEncode(mount_from);
    call.scopes.push_back({mount_from, false});
  }
  auto r = Send(call, stop);
  if (!r) return tl::unexpected(r.error());
  if (r->status == 201 && !mount_from.empty()) return UploadSession{.mounted = true};
  if (r->status != 202) {
    return tl::unexpected(ErrorFromResponse(*r, "start upload to " + registry_ + "/" + repo));
  }
  auto location = r->headers.Get("Location");
  if (!location || location->empty()) {
    return MakeError(ErrorCode::kServerError,
                     registry_ + " started an upload without a Location header");
  }
  auto base = BaseUrl(stop);
  if (!base) return tl::unexpected(base.error());
  return UploadSession{.mounted = false, .location = Absolute(*location, *base)};
}

Status RegistryClient::PutBlob(const UploadSession& session, const std::string& repo,
                               const std::string& digest, uint64_t size,
                               const http::BodySource& source, std::stop_token stop,
                               long* refused_status) {
  auto r = Send({.method = "PUT",
                 .url = WithQuery(session.location, "digest=" + http::UrlEncode(digest)),
                 .headers = {"Content-Type: application/octet-stream"},
                 .body_source = source,
                 .body_size = size,
                 .scopes = {{repo, true}},
                 .replayable = false},
                stop);
  if (!r) return tl::unexpected(r.error());
  if (r->status != 201) {
    if (refused_status != nullptr) *refused_status = r->status;
    return tl::unexpected(
        ErrorFromResponse(*r, "upload blob " + digest + " to " + registry_ + "/" + repo));
  }
  return Ok();
}

Status RegistryClient::PutBlobChunked(UploadSession session, const std::string& repo,
                                      const std::string& digest, uint64_t size, uint64_t chunk_size,
                                      const http::BodySource& source, std::stop_token stop) {
  uint64_t offset = 0;
  while (offset < size) {
    const uint64_t n = std::min(chunk_size, size - offset);
    uint64_t sent = 0;
    http::BodySource chunk_source = [&](char* buffer, size_t capacity) -> Result<size_t> {
      const auto want = static_cast<size_t>(std::min<uint64_t>(capacity, n - sent));
      if (want == 0) return size_t{0};
      auto got = source(buffer, want);
      if (got) sent += *got;
      return got;
    };
    auto r = Send({.method = "PATCH",
                   .url = session.location,
                   .headers = {"Content-Type: application/octet-stream",
                               "Content-Range: " + std::to_string(offset) + "-" +
                                   std::to_string(offset + n - 1)},
                   .body_source = chunk_source,
                   .body_size = n,
                   .scopes = {{repo, true}},
                   .replayable = false},
                  stop);
    if (!r) return tl::unexpected(r.error());
    if (r->status != 202) {
      return tl::unexpected(
          ErrorFromResponse(*r, "upload chunk of " + digest + " to " + registry_ + "/" + repo));
    }
    if (auto location = r->headers.Get("Location"); location && !location->empty()) {
      auto base = BaseUrl(stop);
      if (!base) return tl::unexpected(base.error());
      session.location = Absolute(*location, *base);
    }
    offset += n;
  }
  auto r = Send({.method = "PUT",
                 .url = WithQuery(session.location, "digest=" + http::UrlEncode(digest)),
                 .scopes = {{repo, true}},
                 .replayable = false},
                stop);
  if (!r) return tl::unexpected(r.error());
  if (r->status != 201) {
    return tl::unexpected(
        ErrorFromResponse(*r, "complete upload of " + digest + " to " + registry_ + "/" + repo));
  }
  return Ok();
}

void RegistryClient::CancelUpload(const UploadSession& session, const std::string& repo) {
  if (session.mounted || session.location.empty()) return;
  // A fresh stop token: cleanup runs even when the copy itself was canceled.
  (void)Send(
      {.method = "DELETE", .url = session.location, .scopes = {{repo, true}}, .replayable = false},
      {});
}

Result<std::vector<std::string>> RegistryClient::ListPaged(std::string first_path,
                                                           const std::string& field,
                                                           const std::vector<Scope>& scopes,
                                                           std::stop_token stop) {
  auto base = BaseUrl(stop);
  if (!base) return tl::unexpected(base.error());
  std::vector<std::string> items;
  std::set<std::string> seen_pages;
  std::string url = std::move(first_path);
  const std::string first = url;
  for (size_t pages = 0;; ++pages) {
    // Every cap reached is an error naming it: a shortened list would look complete, and a
    // mirror planned from it would silently miss what lies past the cap.
    if (pages == options_.max_list_pages) {
      return Refuse(
          registry_ + " listing " + EscapeUntrusted(first) + " has more than " +
          std::to_string(options_.max_list_pages) +
          " pages (the built-in limit max_list_pages): refusing to follow its Link further");
    }
    if (!seen_pages.insert(url).second) {
      return Refuse(registry_ + " paginates in a loop at " + EscapeUntrusted(url));
    }
    auto r = Send({.method = "GET",
                   .url = url,
                   .scopes = scopes,
                   .max_body = options_.max_list_page_bytes,
                   .body_cap_name = "max_list_page_bytes"},
                  stop);
    if (!r) return tl::unexpected(r.error());
    if (r->status != 200)
      return tl::unexpected(ErrorFromResponse(*r, "GET " + EscapeUntrusted(url)));
    auto doc = nlohmann::json::parse(r->body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return MakeError(ErrorCode::kServerError,
                       registry_ + " answered " + EscapeUntrusted(url) + " without JSON");
    }
    if (auto list = doc.find(field); list != doc.end() && list->is_array()) {
      if (items.size() + list->size() > options_.max_list_entries) {
        return Refuse(registry_ + " listing " + EscapeUntrusted(first) + " has more than " +
                      std::to_string(options_.max_list_entries) +
                      " entries (the built-in limit max_list_entries)");
      }
      for (const auto& item : *list) {
        if (item.is_string()) items.push_back(item.get<std::string>());
      }
    }
    auto next = NextLink(r->headers);
    if (!next) return items;
    // The next page is the registry's own: a Link elsewhere (another host, port or scheme)
    // would make us fetch, and trust, a list from a server nobody configured.
    if (!http::SameOrigin(Absolute(*next, *base), *base)) {
      return Refuse(registry_ + " links its listing to " + EscapeUntrusted(*next) +
                    ", outside the registry: refusing to follow");
    }
    url = *next;
  }
}

Result<std::vector<std::string>> RegistryClient::ListTags(const std::string& repo,
                                                          std::stop_token stop, int page_size) {
  std::string path = "/v2/" + repo + "/tags/list";
  if (page_size > 0) path += "?n=" + std::to_string(page_size);
  auto tags = ListPaged(path, "tags", {{repo, options_.push_scopes}}, stop);
  if (!tags && tags.error().code == ErrorCode::kNotFound) {
    return MakeError(ErrorCode::kNotFound, "repository " + registry_ + "/" + repo + " not found");
  }
  return tags;
}

Result<std::vector<std::string>> RegistryClient::Catalog(std::stop_token stop, int page_size) {
  std::string path = "/v2/_catalog";
  if (page_size > 0) path += "?n=" + std::to_string(page_size);
  // Registries with token auth want the "registry:catalog:*" scope; Scope only speaks
  // repositories, so the catalog relies on the challenge's own scope via a 401 round.
  return ListPaged(path, "repositories", {}, stop);
}

}  // namespace freightliner::registry
