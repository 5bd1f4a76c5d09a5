#pragma once

namespace freightliner::cli {

// Parses the command line, runs one command, and returns the process exit code (see docs/CLI.md).
int Main(int argc, char** argv);

}  // namespace freightliner::cli
