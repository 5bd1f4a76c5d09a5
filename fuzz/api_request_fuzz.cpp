// API request bodies (POST /api/v1/replicate, /replicate-tree, /sync): the JSON parse, the
// server's validation of each job type (fields, sizes, references, patterns, the registry
// allow-list), and the JSON the server stores and prints back.
#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "server/job_request.hpp"

namespace {

const freightliner::server::ServerConfig& Config() {
  static const freightliner::server::ServerConfig config = [] {
    freightliner::server::ServerConfig c;
    c.allowed_registries = std::vector<std::string>{"127.0.0.1:*", "*.example.com"};
    return c;
  }();
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = freightliner::fuzz::Text(data, size);
  if (!text) return 0;
  const nlohmann::json body = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  // Every JSON the tool prints is valid, whatever bytes its strings hold.
  (void)body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (const char* type : {"replicate", "replicate-tree", "sync"}) {
    auto stored = freightliner::server::ValidateJobRequest(type, body, Config());
    if (stored) (void)stored->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
