#include "cli/command_tree.hpp"

#include <algorithm>

namespace freightliner::cli {
namespace {

// CLI11 names an IsMember check "{a,b,c}" in the option's type name ("TEXT:{text,json}").
std::vector<std::string> ChoicesOf(const std::string& type_name) {
  const size_t open = type_name.find('{');
  const size_t close = type_name.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> choices;
  std::string current;
  for (size_t i = open + 1; i < close; ++i) {
    if (type_name[i] == ',') {
      choices.push_back(current);
      current.clear();
    } else {
      current += type_name[i];
    }
  }
  choices.push_back(current);
  return choices;
}

// "TEXT:{text,json}" -> "TEXT"; "INT:INT in [1 - 256]" -> "INT in [1 - 256]"; "TEXT" -> "".
std::string ConstraintOf(const std::string& type_name) {
  const size_t colon = type_name.find(':');
  if (colon == std::string::npos) return "";
  std::string rest = type_name.substr(colon + 1);
  if (rest.find('{') != std::string::npos) return "";  // the choices are listed on their own
  return rest;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Paths get file or directory completion: by the check on the option (ExistingFile) or, for
// options without one, by the name's convention (--authfile, --ca-file, --config, --state-dir).
ValueKind KindOf(const CLI::Option& opt, const std::vector<std::string>& choices) {
  if (!choices.empty()) return ValueKind::kChoice;
  const std::string type_name = opt.get_type_name();
  if (type_name.find(":DIR") != std::string::npos) return ValueKind::kDirectory;
  if (type_name.find(":FILE") != std::string::npos) return ValueKind::kFile;
  for (const std::string& name : opt.get_lnames()) {
    if (EndsWith(name, "dir")) return ValueKind::kDirectory;
    if (EndsWith(name, "file") || name == "config") return ValueKind::kFile;
  }
  return ValueKind::kText;
}

std::string ValueNameOf(const std::string& type_name, ValueKind kind) {
  if (kind == ValueKind::kFile) return "FILE";
  if (kind == ValueKind::kDirectory) return "DIR";
  return type_name.substr(0, type_name.find(':'));
}

OptionInfo DescribeOption(const CLI::Option& opt, bool is_help) {
  OptionInfo info;
  for (const std::string& name : opt.get_lnames())
    info.long_names.push_back("--" + name);
  for (const std::string& name : opt.get_snames())
    info.short_names.push_back("-" + name);
  info.description = opt.get_description();
  info.is_help = is_help;
  if (opt.get_expected_max() == 0) return info;  // a flag
  const std::string type_name = opt.get_type_name();
  info.choices = ChoicesOf(type_name);
  info.value = KindOf(opt, info.choices);
  info.value_name = ValueNameOf(type_name, info.value);
  if (info.value == ValueKind::kText) info.constraint = ConstraintOf(type_name);
  if (opt.get_always_capture_default()) info.default_value = opt.get_default_str();
  info.repeatable = opt.get_items_expected_max() > 1;
  return info;
}

PositionalInfo DescribePositional(const CLI::Option& opt) {
  PositionalInfo info;
  info.name = opt.get_name();
  info.description = opt.get_description();
  info.choices = ChoicesOf(opt.get_type_name());
  info.value = KindOf(opt, info.choices);
  info.required = opt.get_required();
  info.repeatable = opt.get_items_expected_max() > 1;
  return info;
}

// CLI11 hides an option or a subcommand by putting it in the empty group.
bool Visible(const std::string& group) {
  return !group.empty();
}

CommandInfo Describe(const CLI::App& app, std::string name) {
  CommandInfo info;
  info.name = std::move(name);
  info.description = app.get_description();
  info.inherits_parent_options = app.get_fallthrough();
  for (const CLI::Option* opt : app.get_options()) {
    if (!Visible(opt->get_group())) continue;
    if (opt->get_positional()) {
      info.positionals.push_back(DescribePositional(*opt));
    } else {
      info.options.push_back(DescribeOption(*opt, opt == app.get_help_ptr()));
      info.options.back().is_global = opt->get_group() == kGlobalOptionsGroup;
    }
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name().empty() || !Visible(sub->get_group())) continue;
    info.subcommands.push_back(Describe(*sub, sub->get_name()));
  }
  return info;
}

}  // namespace

std::vector<std::string> OptionInfo::Names() const {
  std::vector<std::string> names = short_names;
  names.insert(names.end(), long_names.begin(), long_names.end());
  return names;
}

CommandInfo DescribeCommands(const CLI::App& app) {
  return Describe(app, kProgramName);
}

}  // namespace freightliner::cli
