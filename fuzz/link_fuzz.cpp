// Link header values of paginated listings (_catalog, tags/list).
#include "fuzz_input.hpp"
#include "registry/client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = freightliner::fuzz::Text(data, size);
  if (!text) return 0;
  (void)freightliner::registry::ParseNextLink(*text);
  return 0;
}
