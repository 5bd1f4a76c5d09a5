#include "cli/completion.hpp"

#include <set>
#include <sstream>

namespace freightliner::cli {
namespace {

std::string Join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += separator;
    out += word;
  }
  return out;
}

// A command with its path from the root ("" for the root, "checkpoint", "a b" when nested) and
// every option it accepts: its own, and its parent's when CLI11 passes unknown options up.
struct FlatCommand {
  std::string path;
  const CommandInfo* info;
  std::vector<OptionInfo> options;
};

void Flatten(const CommandInfo& cmd, const std::string& path,
             const std::vector<OptionInfo>& inherited, std::vector<FlatCommand>& out) {
  FlatCommand flat{path, &cmd, cmd.options};
  if (cmd.inherits_parent_options) {
    std::set<std::string> own;
    for (const OptionInfo& opt : cmd.options) {
      for (const std::string& name : opt.Names())
        own.insert(name);
    }
    for (const OptionInfo& opt : inherited) {
      if (!own.contains(opt.Names().front())) flat.options.push_back(opt);
    }
  }
  const std::vector<OptionInfo> options = flat.options;
  out.push_back(std::move(flat));
  for (const CommandInfo& sub : cmd.subcommands) {
    Flatten(sub, path.empty() ? sub.name : path + " " + sub.name, options, out);
  }
}

std::vector<FlatCommand> FlattenTree(const CommandInfo& root) {
  std::vector<FlatCommand> out;
  Flatten(root, "", {}, out);
  return out;
}

// What _freightliner_value prints: "choice A B", "file", "dir" or "text".
std::string BashValueKind(ValueKind kind, const std::vector<std::string>& choices) {
  switch (kind) {
    case ValueKind::kChoice:
      return "choice " + Join(choices, " ");
    case ValueKind::kFile:
      return "file";
    case ValueKind::kDirectory:
      return "dir";
    default:
      return "text";
  }
}

std::vector<std::string> OptionNames(const std::vector<OptionInfo>& options) {
  std::vector<std::string> names;
  for (const OptionInfo& opt : options) {
    for (const std::string& name : opt.Names())
      names.push_back(name);
  }
  return names;
}

std::vector<std::string> SubcommandNames(const CommandInfo& cmd) {
  std::vector<std::string> names;
  for (const CommandInfo& sub : cmd.subcommands)
    names.push_back(sub.name);
  return names;
}

void WriteBashValueFunction(std::ostream& out, const std::vector<FlatCommand>& commands) {
  out << "# _freightliner_value COMMAND OPTION: how to complete the value of OPTION of COMMAND\n"
         "# (\"\" is the program itself): prints \"choice WORD...\", \"file\", \"dir\" or "
         "\"text\";\n"
         "# fails when OPTION takes no value.\n"
         "_freightliner_value() {\n"
         "  case \"$1 $2\" in\n";
  for (const FlatCommand& cmd : commands) {
    for (const OptionInfo& opt : cmd.options) {
      if (opt.is_flag()) continue;
      std::vector<std::string> patterns;
      for (const std::string& name : opt.Names())
        patterns.push_back("\"" + cmd.path + " " + name + "\"");
      out << "    " << Join(patterns, "|") << ") echo \"" << BashValueKind(opt.value, opt.choices)
          << "\" ;;\n";
    }
  }
  out << "    *) return 1 ;;\n"
         "  esac\n"
         "}\n\n";
}

// The case arm that sets `kind` for the word under the cursor of one command.
void WriteBashWordsArm(std::ostream& out, const FlatCommand& cmd) {
  out << "      \"" << cmd.path << "\")\n"
      << "        if [[ $cur == -* ]]; then\n"
      << "          kind=\"choice " << Join(OptionNames(cmd.options), " ") << "\"\n";
  if (!cmd.info->subcommands.empty()) {
    out << "        elif ((npos == 0)); then\n"
        << "          kind=\"choice " << Join(SubcommandNames(*cmd.info), " ") << "\"\n";
  } else if (!cmd.info->positionals.empty()) {
    out << "        else\n"
        << "          case $npos in\n";
    const auto& positionals = cmd.info->positionals;
    for (size_t i = 0; i < positionals.size(); ++i) {
      const bool last_repeats = i + 1 == positionals.size() && positionals[i].repeatable;
      out << "            " << (last_repeats ? "*" : std::to_string(i)) << ") kind=\""
          << BashValueKind(positionals[i].value, positionals[i].choices) << "\" ;;  # "
          << positionals[i].name << "\n";
    }
    out << "          esac\n";
  }
  out << "        fi\n"
      << "        ;;\n";
}

void WriteBashMainFunction(std::ostream& out, const std::vector<FlatCommand>& commands) {
  std::vector<std::string> paths;
  for (const FlatCommand& cmd : commands) {
    if (!cmd.path.empty()) paths.push_back(cmd.path);
  }
  out << "_freightliner() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev=''\n"
         "  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
         "  # COMP_WORDBREAKS splits --option=value into \"--option\" \"=\" \"value\".\n"
         "  if [[ $cur == = ]]; then\n"
         "    cur=\n"
         "  elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then\n"
         "    prev=${COMP_WORDS[COMP_CWORD - 2]}\n"
         "  fi\n\n"
         "  # Which command the words so far name, and how many of its arguments they give.\n"
         "  local commands=\"|"
      << Join(paths, "|")
      << "|\"\n"
         "  local cmd='' npos=0 i word candidate\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    word=${COMP_WORDS[i]}\n"
         "    if [[ $word == = ]]; then\n"
         "      ((i++))\n"
         "    elif [[ $word == -* ]]; then\n"
         "      if [[ ${COMP_WORDS[i + 1]} != = ]] && _freightliner_value \"$cmd\" \"$word\" "
         ">/dev/null; then\n"
         "        ((i++))\n"
         "      fi\n"
         "    else\n"
         "      candidate=${cmd:+$cmd }$word\n"
         "      if ((npos == 0)) && [[ $commands == *\"|$candidate|\"* ]]; then\n"
         "        cmd=$candidate\n"
         "      else\n"
         "        ((npos++))\n"
         "      fi\n"
         "    fi\n"
         "  done\n\n"
         "  # After an option that takes a value: its choices or paths; else by command.\n"
         "  local kind=\n"
         "  if ! { [[ $prev == -* ]] && kind=$(_freightliner_value \"$cmd\" \"$prev\"); }; then\n"
         "    case $cmd in\n";
  for (const FlatCommand& cmd : commands)
    WriteBashWordsArm(out, cmd);
  out << "    esac\n"
         "  fi\n\n"
         "  COMPREPLY=()\n"
         "  case $kind in\n"
         "    choice\\ *) mapfile -t COMPREPLY < <(compgen -W \"${kind#choice }\" -- \"$cur\") ;;\n"
         "    file)\n"
         "      compopt -o filenames 2>/dev/null\n"
         "      mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
         "      ;;\n"
         "    dir)\n"
         "      compopt -o filenames 2>/dev/null\n"
         "      mapfile -t COMPREPLY < <(compgen -d -- \"$cur\")\n"
         "      ;;\n"
         "  esac\n"
         "  return 0\n"
         "}\n\n"
         "complete -F _freightliner "
      << kProgramName << "\n";
}

// zsh's _arguments specs are single-quoted words: a quote becomes '\'', and the characters
// that _arguments itself reads inside a description ([ ] : \) get a backslash.
std::string ZshDescription(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else if (c == '[' || c == ']' || c == ':' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string ZshAction(ValueKind kind, const std::vector<std::string>& choices) {
  switch (kind) {
    case ValueKind::kChoice:
      return "(" + Join(choices, " ") + ")";
    case ValueKind::kFile:
      return "_files";
    case ValueKind::kDirectory:
      return "_files -/";
    default:
      return " ";  // a value without suggestions: zsh shows the message only
  }
}

// One _arguments spec per option: '(-o --output)'{-o,--output}'[...]:TEXT:(text json)'.
std::string ZshOptionSpec(const OptionInfo& opt) {
  const std::vector<std::string> names = opt.Names();
  std::string spec;
  if (opt.repeatable) {
    spec = "'*'";
  } else if (names.size() > 1) {
    spec = "'(" + Join(names, " ") + ")'";
  }
  spec += names.size() > 1 ? "{" + Join(names, ",") + "}" : names.front();
  spec += "'[" + ZshDescription(opt.description) + "]";
  if (!opt.is_flag()) {
    spec += ":" + ZshDescription(opt.value_name) + ":" + ZshAction(opt.value, opt.choices);
  }
  return spec + "'";
}

std::string ZshPositionalSpec(const PositionalInfo& pos) {
  return std::string("'") + (pos.repeatable ? "*" : "") + ":" + ZshDescription(pos.name) + ":" +
         ZshAction(pos.value, pos.choices) + "'";
}

std::string ZshFunctionName(const std::string& path) {
  std::string name = "_freightliner";
  for (char c : path)
    name += (c == ' ' || c == '-') ? '_' : c;
  return name;
}

void WriteZshFunction(std::ostream& out, const FlatCommand& cmd) {
  out << ZshFunctionName(cmd.path.empty() ? "" : " " + cmd.path) << "() {\n"
      << "  local curcontext=$curcontext state line ret=1\n"
      << "  typeset -A opt_args\n"
      << "  _arguments -C";
  for (const OptionInfo& opt : cmd.options)
    out << " \\\n    " << ZshOptionSpec(opt);
  const CommandInfo& info = *cmd.info;
  if (!info.subcommands.empty()) {
    out << " \\\n    '1: :->command' \\\n    '*:: :->argument' && ret=0\n"
        << "  case $state in\n"
        << "    command)\n"
        << "      local -a commands=(\n";
    for (const CommandInfo& sub : info.subcommands) {
      out << "        '" << sub.name << ":" << ZshDescription(sub.description) << "'\n";
    }
    out << "      )\n"
        << "      _describe -t commands command commands && ret=0\n"
        << "      ;;\n"
        << "    argument)\n"
        << "      curcontext=${curcontext%:*:*}:" << kProgramName << "-$words[1]:\n"
        << "      case $words[1] in\n";
    for (const CommandInfo& sub : info.subcommands) {
      const std::string sub_path = cmd.path.empty() ? sub.name : cmd.path + " " + sub.name;
      out << "        " << sub.name << ") " << ZshFunctionName(" " + sub_path) << " && ret=0 ;;\n";
    }
    out << "      esac\n"
        << "      ;;\n"
        << "  esac\n";
  } else {
    for (const PositionalInfo& pos : info.positionals)
      out << " \\\n    " << ZshPositionalSpec(pos);
    out << " && ret=0\n";
  }
  out << "  return ret\n"
      << "}\n\n";
}

}  // namespace

std::string BashCompletion(const CommandInfo& root) {
  const std::vector<FlatCommand> commands = FlattenTree(root);
  std::ostringstream out;
  out << "# bash completion for " << kProgramName << ", generated by `" << kProgramName
      << " completion bash` from its command definitions.\n"
      << "# Load it with: source <(" << kProgramName << " completion bash)\n\n";
  WriteBashValueFunction(out, commands);
  WriteBashMainFunction(out, commands);
  return out.str();
}

std::string ZshCompletion(const CommandInfo& root) {
  const std::vector<FlatCommand> commands = FlattenTree(root);
  std::ostringstream out;
  out << "#compdef " << kProgramName << "\n"
      << "# zsh completion for " << kProgramName << ", generated by `" << kProgramName
      << " completion zsh` from its command definitions.\n"
      << "# Install it as _" << kProgramName << " in a directory on $fpath, or load it with\n"
      << "# source <(" << kProgramName << " completion zsh) after compinit.\n\n";
  for (const FlatCommand& cmd : commands)
    WriteZshFunction(out, cmd);
  // Autoloaded from $fpath, the file is the body of _freightliner: run it. Sourced: register it.
  out << "if [[ $funcstack[1] == _" << kProgramName << " ]]; then\n"
      << "  _" << kProgramName << " \"$@\"\n"
      << "else\n"
      << "  compdef _" << kProgramName << " " << kProgramName << "\n"
      << "fi\n";
  return out.str();
}

}  // namespace freightliner::cli
