#pragma once
// Shell completion scripts for bash and zsh, generated from the command definitions themselves
// (`freightliner completion bash|zsh`): a new flag or command completes without editing a script.

#include <string>

#include "cli/command_tree.hpp"

namespace freightliner::cli {

// A script for bash 4+ that defines _freightliner and registers it with `complete`. Needs
// nothing from the bash-completion package; installed as
// share/bash-completion/completions/freightliner, or loaded with
// `source <(freightliner completion bash)`.
std::string BashCompletion(const CommandInfo& root);

// A zsh completion function (#compdef freightliner) for a directory on $fpath, named
// _freightliner; `source <(freightliner completion zsh)` works too, after compinit.
std::string ZshCompletion(const CommandInfo& root);

}  // namespace freightliner::cli
