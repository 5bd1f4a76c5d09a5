// API request bodies (POST /api/v1/replicate-tree and friends): the JSON parse, the tree
// mapping built from it, and the JSON the server prints back.
#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "replication/fleet_run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = freightliner::fuzz::Text(data, size);
  if (!text) return 0;
  const nlohmann::json body = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  // Every JSON the tool prints is valid, whatever bytes its strings hold.
  (void)body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (!body.is_object()) return 0;
  try {
    (void)freightliner::replication::TreeMapping(body);
  } catch (const nlohmann::json::exception&) {
    // A field of the wrong JSON type: the API answers 500 through its handler's catch.
  }
  return 0;
}
