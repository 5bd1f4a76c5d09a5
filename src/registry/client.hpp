#pragma once
// A client for one registry (OCI Distribution Spec v1.1 / Docker Registry HTTP API v2).
// It knows the scheme, the auth flow, the per-registry limits and the retry policy; callers
// speak in repositories, tags and digests.
//
//   RegistryClient src("127.0.0.1:5001", creds, options, transport);
//   Result<Manifest> m = src.GetManifest("team/app", "v1", stop);

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "http/transport.hpp"
#include "registry/auth.hpp"
#include "registry/credentials.hpp"
#include "registry/host_policy.hpp"
#include "registry/limiter.hpp"
#include "registry/manifest.hpp"
#include "registry/retry.hpp"

namespace freightliner::registry {

// containers/image's cap on a manifest: larger is not a manifest but an attack.
inline constexpr size_t kMaxManifestBytes = 4u << 20;
// One page of _catalog or tags/list.
inline constexpr size_t kMaxListPageBytes = 1u << 20;
inline constexpr size_t kMaxListPages = 10000;
inline constexpr size_t kMaxListEntries = 1000000;

struct ClientOptions {
  HostPolicy hosts;  // insecure hosts and CA file
  RetryPolicy retry;
  LimiterOptions limits;
  // A limiter shared with other clients of the same registry; when empty, one is made from
  // `limits` for this client alone.
  std::shared_ptr<RegistryLimiter> limiter;
  Clock* clock = &SystemClock::Instance();
  // Ask for push access on every repository scope (a destination), or pull only (a source).
  bool push_scopes = false;
  // Caps on what a registry can make us hold. Reaching one is an error that names it.
  size_t max_manifest_bytes = kMaxManifestBytes;
  size_t max_list_page_bytes = kMaxListPageBytes;
  size_t max_list_pages = kMaxListPages;
  size_t max_list_entries = kMaxListEntries;
  // Metrics hooks; may be empty.
  std::function<void()> on_auth_failure;
  std::function<void(const Error&, Clock::Duration)> on_retry;
};

struct ManifestHead {
  std::string digest;
  std::string media_type;
  int64_t size = 0;
};

// An upload session: where the next request goes. Absolute URL.
struct UploadSession {
  bool mounted = false;  // the blob was mounted; there is nothing to upload
  std::string location;
};

// Thread-safe: one instance per registry, shared by every worker that uses that registry.
class RegistryClient {
 public:
  RegistryClient(std::string registry, std::optional<Credentials> credentials,
                 ClientOptions options, std::shared_ptr<http::Transport> transport);

  const std::string& registry() const { return registry_; }
  // Checks that the registry answers the API (and learns scheme and auth). Called lazily.
  Status Ping(std::stop_token stop);

  // Manifests. HeadManifest returns nullopt when absent.
  Result<std::optional<ManifestHead>> HeadManifest(const std::string& repo,
                                                   const std::string& reference,
                                                   std::stop_token stop);
  // Fetches and verifies: by digest the bytes must hash to it; by tag they must hash to the
  // Docker-Content-Digest the registry announced.
  Result<Manifest> GetManifest(const std::string& repo, const std::string& reference,
                               std::stop_token stop);
  // Pushes the exact bytes with their media type under `reference` (a tag or the digest).
  Status PutManifest(const std::string& repo, const std::string& reference,
                     const Manifest& manifest, std::stop_token stop);

  // Deletes a manifest by digest, or a tag alone where the registry can (OCI distribution 1.1;
  // many, distribution 2.8 among them, answer 400 or 405 to a tag: kUnsupported). A manifest
  // deleted by digest takes every tag that points at it.
  enum class Deleted { kDeleted, kAbsent, kUnsupported };
  Result<Deleted> DeleteManifest(const std::string& repo, const std::string& reference,
                                 std::stop_token stop);

  // Blobs.
  Result<bool> BlobExists(const std::string& repo, const std::string& digest, std::stop_token stop);
  // Streams a blob into `sink`. Not retried here: the caller restarts the whole transfer.
  Status GetBlob(const std::string& repo, const std::string& digest, const http::BodySink& sink,
                 std::stop_token stop);
  // Starts an upload; with `mount_from`, first asks the registry to mount the blob from that
  // repository of the same registry (it answers 201 when it did, 202 with a session when not).
  Result<UploadSession> StartUpload(const std::string& repo, const std::string& digest,
                                    const std::string& mount_from, std::stop_token stop);
  // Monolithic upload: one PUT carrying the whole blob. Returns the HTTP status on refusal as an
  // error with code kClientError and the status in the message.
  Status PutBlob(const UploadSession& session, const std::string& repo, const std::string& digest,
                 uint64_t size, const http::BodySource& source, std::stop_token stop,
                 long* refused_status = nullptr);
  // Chunked upload: PATCH requests of at most `chunk_size` bytes, then PUT ?digest=.
  Status PutBlobChunked(UploadSession session, const std::string& repo, const std::string& digest,
                        uint64_t size, uint64_t chunk_size, const http::BodySource& source,
                        std::stop_token stop);
  // Best effort: abandons an upload session.
  void CancelUpload(const UploadSession& session, const std::string& repo);

  // Listing, following Link pagination to the end.
  Result<std::vector<std::string>> ListTags(const std::string& repo, std::stop_token stop,
                                            int page_size = 0);
  Result<std::vector<std::string>> Catalog(std::stop_token stop, int page_size = 0);

  uint64_t tokens_fetched() const { return auth_.tokens_fetched(); }
  RegistryLimiter& limiter() { return *limiter_; }

 private:
  struct Call {
    std::string method = "GET";
    std::string url;  // absolute, or a path starting with /v2/
    std::vector<std::string> headers;
    std::string body;
    http::BodySource body_source;
    std::optional<uint64_t> body_size;
    http::BodySink body_sink;
    std::vector<Scope> scopes;
    bool replayable = true;  // safe to send again (no stream consumed)
    // A buffered body (2xx without a sink) larger than this fails, naming body_cap_name.
    size_t max_body = http::kMaxErrorBodyBytes;
    std::string body_cap_name = "max_response_bytes";
  };

  // Sends with auth (one re-auth on 401), limits and, for replayable calls, retries.
  // 429 and 5xx come back as errors; every other status as a response.
  Result<http::Response> Send(const Call& call, std::stop_token stop);
  Result<http::Response> SendOnce(const Call& call, std::stop_token stop);
  Result<std::string> BaseUrl(std::stop_token stop);
  std::string Absolute(const std::string& url_or_path, const std::string& base) const;
  http::TlsOptions Tls() const;
  Result<std::vector<std::string>> ListPaged(std::string first_path, const std::string& field,
                                             const std::vector<Scope>& scopes,
                                             std::stop_token stop);

  const std::string registry_;
  const std::string api_host_;
  ClientOptions options_;
  std::shared_ptr<http::Transport> transport_;
  Authenticator auth_;
  std::shared_ptr<RegistryLimiter> limiter_;

  std::mutex base_mu_;
  std::string base_url_;  // "https://host" or "http://host" once pinged
};

// The target of a `Link` header value's rel="next" link, if it has one:
// `</v2/_catalog?last=b&n=2>; rel="next"` -> "/v2/_catalog?last=b&n=2".
std::optional<std::string> ParseNextLink(std::string_view link_header_value);

// Maps a registry's non-2xx answer to an Error, with the registry's own error code and message
// when its body carries them ({"errors":[{"code","message"}]}).
Error ErrorFromResponse(const http::Response& response, const std::string& what);

}  // namespace freightliner::registry
