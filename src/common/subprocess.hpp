#pragma once
// Runs a short-lived helper program (a Docker credential helper) with data on its stdin.
// Arguments carry no secrets by design: secrets travel over pipes only.

#include <chrono>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace freightliner {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv[0]` (looked up on PATH) and waits for it, killing it after `timeout`.
// Fails when the program cannot be started or times out.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::string& input,
                                 std::chrono::milliseconds timeout);

}  // namespace freightliner
