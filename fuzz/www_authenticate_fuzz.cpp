// WWW-Authenticate header values from a registry's 401.
#include "fuzz_input.hpp"
#include "registry/challenge.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace registry = freightliner::registry;
  const auto text = freightliner::fuzz::Text(data, size);
  if (!text) return 0;
  (void)registry::PreferredChallenge(registry::ParseChallenges(*text));
  return 0;
}
