// Registry event bodies (POST /api/v1/events/distribution and /harbor): distribution's
// notification envelopes and Harbor's webhooks, their RFC 3339 timestamps, and the names each
// event carries. The first byte picks the parser.
#include "fuzz_input.hpp"
#include "server/events.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto input = freightliner::fuzz::SelectorAndText(data, size);
  if (!input) return 0;
  const auto& [selector, text] = *input;
  switch (selector % 3) {
    case 0:
      (void)freightliner::server::ParseDistributionEnvelope(text);
      break;
    case 1:
      (void)freightliner::server::ParseHarborWebhook(text);
      break;
    default:
      (void)freightliner::server::ParseRfc3339(text);
      break;
  }
  return 0;
}
