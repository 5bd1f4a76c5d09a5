// Docker/Podman auth files (config.json). Only the parse: a lookup may run a credential helper.
#include "fuzz_input.hpp"
#include "registry/credentials.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace registry = freightliner::registry;
  const auto text = freightliner::fuzz::Text(data, size);
  if (!text) return 0;
  (void)registry::DockerConfig::Parse(*text, "config.json");
  (void)registry::ParseUserPass(*text);
  return 0;
}
