// Manifests and indexes as a registry serves them, under each Content-Type it may claim.
#include <array>
#include <string>

#include "fuzz_input.hpp"
#include "registry/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace registry = freightliner::registry;
  static constexpr std::array<std::string_view, 8> kContentTypes = {
      registry::media::kDockerManifest,
      registry::media::kDockerManifestList,
      registry::media::kOciManifest,
      registry::media::kOciIndex,
      "application/json",
      "",
      "text/plain",
      "application/vnd.docker.distribution.manifest.v1+prettyjws"};
  const auto input = freightliner::fuzz::SelectorAndText(data, size);
  if (!input) return 0;
  const std::string_view content_type = kContentTypes[input->first % kContentTypes.size()];
  auto manifest = registry::ParseManifest(std::string(input->second), content_type);
  if (manifest && manifest->is_index) {
    (void)registry::FilterIndex(*manifest, manifest->children);
  } else if (manifest) {
    (void)manifest->Blobs();
  }
  return 0;
}
