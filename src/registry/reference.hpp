#pragma once
// Image references, normalised the way Docker does it.
//
//   auto ref = ParseReference("nginx");          // docker.io/library/nginx:latest
//   auto ref = ParseReference("127.0.0.1:5001/team/app:v1@sha256:...");

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace freightliner::registry {

inline constexpr std::string_view kDockerHub = "docker.io";
inline constexpr std::string_view kDockerHubApiHost = "registry-1.docker.io";
inline constexpr std::string_view kDockerHubCredentialKey = "https://index.docker.io/v1/";

// A repository on a registry: "127.0.0.1:5001" + "team/app".
struct Repository {
  std::string registry;  // normalised host[:port]; "docker.io" for Docker Hub
  std::string path;      // "library/nginx", "team/app"

  std::string String() const { return registry + "/" + path; }
  bool operator==(const Repository&) const = default;
};

struct Reference {
  Repository repository;
  std::string tag;     // empty when only a digest was given
  std::string digest;  // "sha256:<hex>" or empty

  // What to ask the registry for: the digest when there is one, else the tag.
  std::string Identifier() const { return digest.empty() ? tag : digest; }
  // "host/path:tag@digest" with the parts that are set.
  std::string String() const;
  bool operator==(const Reference&) const = default;
};

// Parses an image reference. With `default_tag_latest`, a reference without tag or digest gets
// "latest" (like `docker pull`); without it the tag stays empty so that the caller can fill it.
Result<Reference> ParseReference(std::string_view text, bool default_tag_latest = true);

// The destination of a copy of `source`: a DST without tag or digest takes the source's tag,
// else its digest; a DST digest that differs from the source's is an error.
Result<Reference> ParseCopyDestination(const Reference& source, std::string_view destination);

// Parses "host[:port]/path" (no tag, no digest) as used by list-tags and tree commands.
Result<Repository> ParseRepository(std::string_view text);

// Like ParseRepository, but also accepts a bare registry ("127.0.0.1:5001", "ghcr.io/") as the
// registry's root (empty path): the prefix form that tree copies take.
Result<Repository> ParseRepositoryPrefix(std::string_view text);

// A reference as a person writes it, in a flag, a sync file or an API request: skopeo's
// "docker://" transport prefix is dropped ("docker://ghcr.io/a/b:1" -> "ghcr.io/a/b:1"); any other
// transport ("containers-storage:", "docker-daemon:", "oci:", "dir:", ...) or a URL scheme is a
// kInvalidArgument error that says how to write a registry reference. Called at each edge, once,
// before ParseReference and its kin (which never see a prefix).
Result<std::string_view> StripTransport(std::string_view text);

// The host that serves the registry API: Docker Hub's name "docker.io" is served elsewhere.
std::string ApiHost(std::string_view registry);

// The key under which a Docker config file stores this registry's credentials.
std::string CredentialKey(std::string_view registry);

// No reference is longer: longer text is refused before it is parsed (and error messages quote
// at most a short, escaped prefix of it).
inline constexpr size_t kMaxReferenceLength = 4096;
inline constexpr size_t kMaxTagLength = 128;

// The distribution grammar, checked in one linear pass (no regex, no recursion). Every name that
// comes from a registry, a file or a caller goes through one of these before it reaches a URL, a
// path, a log line or the database.
//   tag:        [A-Za-z0-9_][A-Za-z0-9._-]{0,127}
//   digest:     sha256:<64 lowercase hex> | sha512:<128 lowercase hex>
//   repository: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* components joined by '/', at most 255 bytes
//   registry:   host(.host)*(:port)? or [ipv6](:port)?
bool IsValidTag(std::string_view tag);
bool IsValidDigest(std::string_view digest);
bool IsValidRepositoryPath(std::string_view path);
bool IsValidRegistryHost(std::string_view host);

}  // namespace freightliner::registry
