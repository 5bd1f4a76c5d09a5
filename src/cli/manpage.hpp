#pragma once
// The freightliner(1) man page in roff (man macros), generated from the command definitions
// (`freightliner man`), so that it lists exactly the commands and flags the parser accepts.

#include <string>
#include <string_view>

#include "cli/command_tree.hpp"

namespace freightliner::cli {

// NAME, SYNOPSIS, DESCRIPTION, OPTIONS (global), COMMANDS (each with its arguments and
// options), EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO. No date, so that a build is reproducible.
std::string ManPage(const CommandInfo& root, std::string_view version);

// Text made literal for roff: backslashes, hyphens (as \- so that they copy and search as
// ASCII minus) and a leading . or ' (which would start a request).
std::string RoffEscape(std::string_view text);

}  // namespace freightliner::cli
