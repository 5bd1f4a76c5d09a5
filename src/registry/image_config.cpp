#include "registry/image_config.hpp"

#include <nlohmann/json.hpp>

#include "common/sha256.hpp"
#include "registry/json_fields.hpp"

namespace freightliner::registry {
namespace {

using nlohmann::json;

// The strings of an array field; entries of another type are dropped.
std::vector<std::string> StringArrayField(const json& object, const std::string& key) {
  std::vector<std::string> out;
  if (!object.is_object()) return out;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return out;
  for (const json& entry : *it) {
    if (entry.is_string()) out.push_back(entry.get<std::string>());
  }
  return out;
}

// The string values of an object field; values of another type are dropped.
std::map<std::string, std::string> StringMapField(const json& object, const std::string& key) {
  std::map<std::string, std::string> out;
  if (!object.is_object()) return out;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return out;
  for (const auto& [name, value] : it->items()) {
    if (value.is_string()) out.emplace(name, value.get<std::string>());
  }
  return out;
}

}  // namespace

Result<ImageConfig> ParseImageConfig(std::string_view bytes) {
  const json doc = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "image config is not a JSON object");
  }
  ImageConfig c;
  c.architecture = StringField(doc, "architecture");
  c.os = StringField(doc, "os");
  c.variant = StringField(doc, "variant");
  c.created = StringField(doc, "created");
  c.author = StringField(doc, "author");
  // The runtime settings: "config" in OCI and Docker configs.
  const auto it = doc.find("config");
  const json& run = it != doc.end() && it->is_object() ? *it : json::object();
  c.labels = StringMapField(run, "Labels");
  c.env = StringArrayField(run, "Env");
  c.entrypoint = StringArrayField(run, "Entrypoint");
  c.cmd = StringArrayField(run, "Cmd");
  c.working_dir = StringField(run, "WorkingDir");
  c.user = StringField(run, "User");
  return c;
}

Result<std::string> FetchConfigBlob(RegistryClient& client, const std::string& repo,
                                    const Descriptor& descriptor, std::stop_token stop,
                                    size_t max_bytes) {
  const auto declared = static_cast<uint64_t>(descriptor.size);
  // Like a manifest over its cap, or a digest we cannot check: an answer not to act on.
  if (declared > max_bytes) {
    return MakeError(ErrorCode::kServerError,
                     "config blob " + descriptor.digest + " of " + std::to_string(declared) +
                         " bytes is larger than the built-in limit max_manifest_bytes (" +
                         std::to_string(max_bytes >> 20) + " MiB)");
  }
  if (!descriptor.digest.starts_with("sha256:")) {
    return MakeError(ErrorCode::kServerError,
                     "config blob " + descriptor.digest + ": only sha256 digests can be verified");
  }
  std::string bytes;
  Status got = client.GetBlob(
      repo, descriptor.digest,
      [&](std::string_view chunk) -> Status {
        if (bytes.size() + chunk.size() > declared) {
          return MakeError(ErrorCode::kDigestMismatch, "config blob is larger than the " +
                                                           std::to_string(declared) +
                                                           " bytes its descriptor declares");
        }
        bytes.append(chunk);
        return Ok();
      },
      stop);
  if (!got) return tl::unexpected(got.error().WithContext("config blob " + descriptor.digest));
  if (bytes.size() != declared || Sha256Digest(bytes) != descriptor.digest) {
    return MakeError(ErrorCode::kDigestMismatch,
                     "config blob " + descriptor.digest + " does not match its digest and size");
  }
  return bytes;
}

}  // namespace freightliner::registry
