#pragma once
// For unit tests of commands that only print: runs cli::Main in this process with its stdout
// captured, so that a test reads what the real command definitions produce.

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"

namespace freightliner::cli {

// `args` without the program name; fails the test unless Main returns 0.
inline std::string MainOutput(std::vector<std::string> args) {
  args.insert(args.begin(), "freightliner");
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  std::ostringstream captured;
  std::streambuf* saved = std::cout.rdbuf(captured.rdbuf());
  const int exit_code = Main(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(saved);
  EXPECT_EQ(exit_code, 0) << "freightliner " << testing::PrintToString(args);
  return captured.str();
}

}  // namespace freightliner::cli
