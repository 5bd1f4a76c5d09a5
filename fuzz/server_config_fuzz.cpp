// The server's config file (server.yaml). Only the parse: the checks that read api_keys_file,
// ca_file and sync files live in LoadServerConfig.
#include "fuzz_input.hpp"
#include "server/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = freightliner::fuzz::Text(data, size);
  if (!text) return 0;
  // A registry's ca_file is opened to check that it can be read (see sync_yaml_fuzz.cpp).
  if (text->find("ca_file") != std::string_view::npos) return 0;
  static const freightliner::EnvLookup env =
      freightliner::FixedEnvironment({{"REGISTRY_USER", "robot"}, {"REGISTRY_PASSWORD", "pw"}});
  (void)freightliner::server::ParseServerConfig(*text, "/etc/freightliner/server.yaml", env);
  return 0;
}
