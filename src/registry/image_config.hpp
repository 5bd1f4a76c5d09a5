#pragma once
// The image config a manifest names (OCI image-spec or Docker): what `inspect` shows. The config
// is a blob from the registry, so it is fetched with a size cap, checked against its digest, and
// read field by field: a field of another type than the spec's is left empty, never trusted.
//
//   auto bytes = FetchConfigBlob(client, "team/app", *manifest.config, stop);
//   auto config = ParseImageConfig(*bytes);

#include <map>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "registry/client.hpp"
#include "registry/manifest.hpp"

namespace freightliner::registry {

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string variant;
  std::string created;  // RFC 3339, as the config states it
  std::string author;
  std::map<std::string, std::string> labels;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string user;
};

// Reads the fields above from config bytes; an error when they are not a JSON object.
Result<ImageConfig> ParseImageConfig(std::string_view bytes);

// The config blob `descriptor` names, at most `max_bytes` (the manifest cap by default) and
// verified against its sha256 digest.
Result<std::string> FetchConfigBlob(RegistryClient& client, const std::string& repo,
                                    const Descriptor& descriptor, std::stop_token stop,
                                    size_t max_bytes = kMaxManifestBytes);

}  // namespace freightliner::registry
