#pragma once
// Runs the real freightliner binary, as users do.

#include <map>
#include <string>
#include <vector>

#include "fixtures/process.hpp"

namespace freightliner::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  // Lines of stderr that start with "error:" (a failure must print exactly one).
  std::vector<std::string> ErrorLines() const;
};

// `input` is what the command reads on stdin (a pipe, never a terminal).
CliResult Freightliner(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {},
                       const std::string& input = "");

// The binary's path (for tests that start it as a ChildProcess).
std::string FreightlinerBinary();

}  // namespace freightliner::testing
