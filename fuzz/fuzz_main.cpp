// Linked into every fuzz target: runs once before the first input.
#include <spdlog/spdlog.h>

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // A parser's warnings would be written for every input: slow, and noise around a finding.
  spdlog::set_level(spdlog::level::off);
  return 0;
}
