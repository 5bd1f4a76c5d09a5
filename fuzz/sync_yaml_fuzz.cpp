// Sync files (sync.yaml).
#include "fuzz_input.hpp"
#include "replication/sync_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = freightliner::fuzz::Text(data, size);
  if (!text) return 0;
  // A registry's ca_file is opened to check that it can be read: the one filesystem access of
  // the parser, left out so that the target stays hermetic.
  if (text->find("ca_file") != std::string_view::npos) return 0;
  static const freightliner::EnvLookup env =
      freightliner::FixedEnvironment({{"USER", "robot"}, {"TOKEN", "s3cret"}});
  (void)freightliner::replication::ParseSyncConfig(*text, "sync.yaml", env);
  return 0;
}
