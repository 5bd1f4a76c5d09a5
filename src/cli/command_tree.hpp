#pragma once
// The command line as data, read from the CLI11 definitions at run time, so that the shell
// completions and the man page describe exactly the flags and commands the parser accepts.
//
//   CommandInfo root = DescribeCommands(app);   // after every add_option/add_subcommand
//   for (const CommandInfo& cmd : root.subcommands) ...

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace freightliner::cli {

// The name the generated scripts and the man page use, whatever argv[0] was.
inline constexpr const char* kProgramName = "freightliner";

// What a shell should offer as an option's or a positional's value.
enum class ValueKind { kNone, kText, kChoice, kFile, kDirectory };

// The help group of the options every command accepts (before or after its name).
inline constexpr const char* kGlobalOptionsGroup = "Global options (before or after the command)";

struct OptionInfo {
  std::vector<std::string> long_names;   // "--output"
  std::vector<std::string> short_names;  // "-o"
  std::string description;
  std::string value_name;            // "TEXT", "INT" (CLI11's type name); empty for a flag
  std::string constraint;            // "INT in [1 - 256]" and the like; empty when none
  std::vector<std::string> choices;  // the values of an IsMember check
  std::string default_value;         // shown only when the definition captures it
  ValueKind value = ValueKind::kNone;
  bool repeatable = false;
  bool is_help = false;    // -h, --help: every command has it
  bool is_global = false;  // in kGlobalOptionsGroup: repeated on every command

  bool is_flag() const { return value == ValueKind::kNone; }
  // "-o, --output" / "--log-level": every name, short ones first.
  std::vector<std::string> Names() const;
};

struct PositionalInfo {
  std::string name;
  std::string description;
  std::vector<std::string> choices;
  ValueKind value = ValueKind::kText;
  bool required = false;
  bool repeatable = false;
};

struct CommandInfo {
  std::string name;  // kProgramName for the root
  std::string description;
  std::vector<OptionInfo> options;  // hidden ones (empty group) left out
  std::vector<PositionalInfo> positionals;
  std::vector<CommandInfo> subcommands;  // hidden ones left out
  // CLI11's fallthrough: options it does not know go to its parent, so the parent's apply.
  bool inherits_parent_options = false;
};

// Walks `app` and its visible subcommands. The root is named kProgramName.
CommandInfo DescribeCommands(const CLI::App& app);

}  // namespace freightliner::cli
