#pragma once
// Manifests and indexes as read from a registry. The raw bytes are kept and pushed as they are:
// the digest is the hash of these exact bytes, so they are never re-serialised.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace freightliner::registry {

namespace media {
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
}  // namespace media

// The Accept header for manifest requests: every type we can copy, most specific first.
std::string ManifestAcceptHeader();
bool IsIndexMediaType(std::string_view media_type);
bool IsImageManifestMediaType(std::string_view media_type);
// Image configs (OCI, Docker, and artifact configs named like them): blobs that are not layers.
bool IsConfigMediaType(std::string_view media_type);

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;

  // "linux/arm64/v8", or "linux/amd64" without variant.
  std::string String() const;
  // A wanted platform without variant matches any variant.
  bool Matches(const Platform& wanted) const;
};

// Parses "os/arch[/variant]".
Result<Platform> ParsePlatform(std::string_view text);

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::optional<Platform> platform;  // index entries only
  bool foreign = false;  // a non-distributable layer with URLs: never copied, as in skopeo
};

struct Manifest {
  std::string bytes;  // exactly as served
  std::string media_type;
  std::string digest;  // sha256 of `bytes`
  bool is_index = false;
  std::vector<Descriptor> children;  // index: the platform manifests
  std::optional<Descriptor> config;  // image manifest
  std::vector<Descriptor> layers;    // image manifest

  // Every blob an image manifest references, config first (empty for an index).
  std::vector<Descriptor> Blobs() const;
};

// A new index with only `keep` of `index`'s children (same media type, other fields kept).
// Its bytes and digest are its own: the one place where a manifest is written, not copied.
Result<Manifest> FilterIndex(const Manifest& index, const std::vector<Descriptor>& keep);

// Parses manifest bytes. `content_type` is the response's Content-Type; when it is missing or
// generic, the `mediaType` field (or the document's shape) decides. Computes the digest.
Result<Manifest> ParseManifest(std::string bytes, std::string_view content_type);

}  // namespace freightliner::registry
