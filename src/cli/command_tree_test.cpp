#include "cli/command_tree.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/completion.hpp"
#include "cli/manpage.hpp"

namespace freightliner::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A small app with what the real one does not have yet: hidden entries, nesting, fallthrough.
class CommandTreeTest : public ::testing::Test {
 protected:
  CommandTreeTest() {
    app_.add_option("--format", format_, "how")->check(CLI::IsMember({"a", "b"}));
    app_.add_option("--secret", format_, "not shown")->group("");
    auto* remote = app_.add_subcommand("remote", "manage remotes");
    remote->fallthrough();
    auto* add = remote->add_subcommand("add", "add one");
    add->fallthrough();
    add->add_option("names", names_, "remote names")->required();
    add->add_option("--key-file", key_file_, "a key")->check(CLI::ExistingFile);
    app_.add_subcommand("debug", "internals")->group("");
  }

  CLI::App app_{"tool: does things"};
  std::string format_;
  std::string key_file_;
  std::vector<std::string> names_;
};

TEST_F(CommandTreeTest, LeavesOutHiddenOptionsAndCommands) {
  const CommandInfo root = DescribeCommands(app_);
  EXPECT_EQ(root.name, "freightliner");
  ASSERT_EQ(root.subcommands.size(), 1u);
  EXPECT_EQ(root.subcommands[0].name, "remote");
  std::vector<std::string> names;
  for (const OptionInfo& opt : root.options)
    names.push_back(opt.Names().back());
  EXPECT_THAT(names, ElementsAre("--help", "--format"));
}

TEST_F(CommandTreeTest, ReadsChoicesPathsRepetitionAndNesting) {
  const CommandInfo root = DescribeCommands(app_);
  const OptionInfo& format = root.options[1];
  EXPECT_EQ(format.value, ValueKind::kChoice);
  EXPECT_THAT(format.choices, ElementsAre("a", "b"));
  EXPECT_TRUE(root.options[0].is_help);

  const CommandInfo& add = root.subcommands[0].subcommands.at(0);
  EXPECT_TRUE(add.inherits_parent_options);
  ASSERT_EQ(add.positionals.size(), 1u);
  EXPECT_TRUE(add.positionals[0].repeatable);
  EXPECT_TRUE(add.positionals[0].required);
  const OptionInfo& key = add.options.at(1);
  EXPECT_EQ(key.value, ValueKind::kFile);
  EXPECT_EQ(key.value_name, "FILE");
}

TEST_F(CommandTreeTest, GeneratorsFollowNestingAndFallthrough) {
  const CommandInfo root = DescribeCommands(app_);
  const std::string bash = BashCompletion(root);
  // A nested command is known by its path; it accepts its parents' options.
  EXPECT_THAT(bash, HasSubstr("local commands=\"|remote|remote add|\""));
  EXPECT_THAT(bash, HasSubstr("\"remote add --format\") echo \"choice a b\" ;;"));
  EXPECT_THAT(bash, HasSubstr("\"remote add --key-file\") echo \"file\" ;;"));
  EXPECT_THAT(bash, HasSubstr("*) kind=\"text\" ;;  # names"));
  EXPECT_THAT(bash, Not(HasSubstr("secret")));
  EXPECT_THAT(bash, Not(HasSubstr("debug")));

  const std::string zsh = ZshCompletion(root);
  EXPECT_THAT(zsh, HasSubstr("_freightliner_remote_add() {"));
  EXPECT_THAT(zsh, HasSubstr("add) _freightliner_remote_add && ret=0 ;;"));

  const std::string page = ManPage(root, "9.9");
  EXPECT_THAT(page, HasSubstr(".SS \"remote add\"\n\\fBfreightliner remote add\\fR "
                              "[\\fIoptions\\fR] \\fInames\\fR ...\n"));
  EXPECT_THAT(page, HasSubstr("\"freightliner 9.9\""));
  EXPECT_THAT(page, Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace freightliner::cli
