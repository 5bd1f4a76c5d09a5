#include "registry/manifest.hpp"

#include <nlohmann/json.hpp>

#include "common/format.hpp"
#include "common/sha256.hpp"
#include "http/untrusted.hpp"
#include "registry/json_fields.hpp"
#include "registry/reference.hpp"

namespace freightliner::registry {
namespace {

using nlohmann::json;

std::string StripParameters(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  std::string_view base = content_type.substr(0, semi);
  while (!base.empty() && base.back() == ' ')
    base.remove_suffix(1);
  return std::string(base);
}

bool IsForeignLayer(std::string_view media_type) {
  return media_type.find(".foreign.") != std::string_view::npos ||
         media_type.find(".nondistributable.") != std::string_view::npos;
}

Result<Descriptor> ParseDescriptor(const json& j, std::string_view where) {
  if (!j.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(where) + " is not an object");
  }
  Descriptor d;
  d.media_type = StringField(j, "mediaType");
  d.digest = StringField(j, "digest");
  // The length check first: a digest is at most "sha512:" and 128 hex digits.
  if (d.digest.size() > 7 + 128 || !IsValidDigest(d.digest)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(where) + " has an invalid digest " + QuoteUntrusted(d.digest));
  }
  const auto size = BoundedUnsignedField(j, "size", INT64_MAX);
  if (!size) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(where) + " has no valid size");
  }
  d.size = static_cast<int64_t>(*size);
  if (const auto p = j.find("platform"); p != j.end() && p->is_object()) {
    d.platform = Platform{StringField(*p, "os"), StringField(*p, "architecture"),
                          StringField(*p, "variant")};
  }
  const auto urls = j.find("urls");
  d.foreign = IsForeignLayer(d.media_type) && urls != j.end() && urls->is_array() && !urls->empty();
  return d;
}

std::string InferMediaType(const json& doc) {
  if (doc.contains("manifests")) return std::string(media::kOciIndex);
  if (doc.contains("config") && doc.contains("layers")) return std::string(media::kOciManifest);
  if (BoundedUnsignedField(doc, "schemaVersion", 2) == 1u)
    return std::string(media::kDockerSchema1);
  return "";
}

}  // namespace

std::string ManifestAcceptHeader() {
  return std::string(media::kOciIndex) + ", " + std::string(media::kDockerManifestList) + ", " +
         std::string(media::kOciManifest) + ", " + std::string(media::kDockerManifest);
}

bool IsIndexMediaType(std::string_view media_type) {
  return media_type == media::kOciIndex || media_type == media::kDockerManifestList;
}

bool IsImageManifestMediaType(std::string_view media_type) {
  return media_type == media::kOciManifest || media_type == media::kDockerManifest;
}

bool IsConfigMediaType(std::string_view media_type) {
  return media_type == "application/vnd.docker.container.image.v1+json" ||
         media_type.find(".config.") != std::string_view::npos ||
         media_type.find("+config") != std::string_view::npos;
}

std::string Platform::String() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

bool Platform::Matches(const Platform& wanted) const {
  return os == wanted.os && architecture == wanted.architecture &&
         (wanted.variant.empty() || variant == wanted.variant);
}

Result<Platform> ParsePlatform(std::string_view text) {
  Platform p;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty() ||
      (parts.size() == 3 && parts[2].empty())) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid platform " + QuoteUntrusted(text) + ": want os/arch[/variant]");
  }
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

std::vector<Descriptor> Manifest::Blobs() const {
  std::vector<Descriptor> out;
  if (config) out.push_back(*config);
  out.insert(out.end(), layers.begin(), layers.end());
  return out;
}

Result<Manifest> ParseManifest(std::string bytes, std::string_view content_type) {
  json doc = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "manifest is not a JSON object");
  }
  Manifest m;
  m.media_type = StripParameters(content_type);
  if (!IsIndexMediaType(m.media_type) && !IsImageManifestMediaType(m.media_type)) {
    // Generic or missing Content-Type: trust the document.
    m.media_type = StringField(doc, "mediaType");
    if (m.media_type.empty()) m.media_type = InferMediaType(doc);
  }
  if (m.media_type == media::kDockerSchema1 || m.media_type == media::kDockerSchema1Signed) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Docker schema 1 manifests are deprecated and not supported");
  }
  m.is_index = IsIndexMediaType(m.media_type);
  if (!m.is_index && !IsImageManifestMediaType(m.media_type)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "unsupported manifest media type " + QuoteUntrusted(m.media_type));
  }
  if (m.is_index) {
    const auto list = doc.find("manifests");
    if (list == doc.end() || !list->is_array()) {
      return MakeError(ErrorCode::kInvalidArgument, "index has no \"manifests\" array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      auto d = ParseDescriptor((*list)[i], "manifests[" + std::to_string(i) + "]");
      if (!d) return tl::unexpected(d.error());
      m.children.push_back(std::move(*d));
    }
  } else {
    const auto config = doc.find("config");
    if (config == doc.end()) {
      return MakeError(ErrorCode::kInvalidArgument, "image manifest has no config");
    }
    auto c = ParseDescriptor(*config, "config");
    if (!c) return tl::unexpected(c.error());
    m.config = std::move(*c);
    const auto layers = doc.find("layers");
    if (layers == doc.end() || !layers->is_array()) {
      return MakeError(ErrorCode::kInvalidArgument, "image manifest has no \"layers\" array");
    }
    for (size_t i = 0; i < layers->size(); ++i) {
      auto d = ParseDescriptor((*layers)[i], "layers[" + std::to_string(i) + "]");
      if (!d) return tl::unexpected(d.error());
      m.layers.push_back(std::move(*d));
    }
  }
  m.digest = Sha256Digest(bytes);
  m.bytes = std::move(bytes);
  return m;
}

}  // namespace freightliner::registry

namespace freightliner::registry {

Result<Manifest> FilterIndex(const Manifest& index, const std::vector<Descriptor>& keep) {
  json doc = json::parse(index.bytes, nullptr, false);
  if (doc.is_discarded() || !doc.contains("manifests")) {
    return MakeError(ErrorCode::kInvalidArgument, "not an index");
  }
  json kept = json::array();
  for (const auto& entry : doc["manifests"]) {
    const std::string digest = StringField(entry, "digest");
    for (const Descriptor& d : keep) {
      if (d.digest == digest) {
        kept.push_back(entry);
        break;
      }
    }
  }
  doc["manifests"] = std::move(kept);
  return ParseManifest(SafeDump(doc, 3), index.media_type);
}

}  // namespace freightliner::registry
