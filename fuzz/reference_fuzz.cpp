// Image references, repositories and tree prefixes as they come from callers, files and
// registries (catalog and tag listings end up in the same parsers).
#include "fuzz_input.hpp"
#include "registry/reference.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace registry = freightliner::registry;
  const auto text = freightliner::fuzz::Text(data, size);
  if (!text) return 0;
  auto ref = registry::ParseReference(*text);
  (void)registry::ParseReference(*text, /*default_tag_latest=*/false);
  (void)registry::ParseRepository(*text);
  (void)registry::ParseRepositoryPrefix(*text);
  if (auto stripped = registry::StripTransport(*text)) (void)registry::ParseReference(*stripped);
  if (ref) {
    (void)ref->String();
    (void)registry::ParseCopyDestination(*ref, *text);
  }
  return 0;
}
