#include "cli/password.hpp"

#include <gtest/gtest.h>

namespace freightliner::cli {
namespace {

// A terminal (or not) and a stdin that record how they were used.
struct FakeInput {
  bool terminal = false;
  std::string typed;  // what the user types at the prompt
  std::string piped;  // what stdin holds
  std::vector<std::string> prompts;
  int stdin_reads = 0;

  PasswordInput Input() {
    return {.stdin_is_terminal = [this] { return terminal; },
            .prompt = [this](const std::string& prompt) -> Result<std::string> {
              prompts.push_back(prompt);
              return typed;
            },
            .read_stdin = [this]() -> Result<std::string> {
              ++stdin_reads;
              return piped;
            }};
  }
};

TEST(PasswordTest, FullCredentialsAreLeftAlone) {
  FakeInput input;
  std::string src = "alice:pw", dst;
  ASSERT_TRUE(
      CompletePasswords({{"--src-creds", &src}, {"--dest-creds", &dst}}, false, input.Input()));
  EXPECT_EQ(src, "alice:pw");
  EXPECT_EQ(dst, "");
  EXPECT_TRUE(input.prompts.empty());
  EXPECT_EQ(input.stdin_reads, 0);
}

TEST(PasswordTest, UserAlonePromptsOnATerminal) {
  FakeInput input{.terminal = true, .typed = "typed pass"};
  std::string creds = "alice";
  ASSERT_TRUE(CompletePasswords({{"--creds", &creds}}, false, input.Input()));
  EXPECT_EQ(creds, "alice:typed pass");
  EXPECT_EQ(input.prompts, std::vector<std::string>{"Password for alice (--creds): "});
}

TEST(PasswordTest, UserAloneWithoutATerminalNamesPasswordStdin) {
  FakeInput input{.terminal = false};
  std::string creds = "alice";
  auto s = CompletePasswords({{"--src-creds", &creds}}, false, input.Input());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message,
            "--src-creds has no password and stdin is not a terminal to ask for it: give "
            "USER:PASSWORD, or pipe the password in with --password-stdin");
  EXPECT_TRUE(input.prompts.empty());
}

TEST(PasswordTest, PasswordStdinCompletesTheOneUserAloneFlag) {
  FakeInput input{.piped = "pa:ss word\r\n"};
  std::string src = "bob:other", dst = "alice";
  ASSERT_TRUE(
      CompletePasswords({{"--src-creds", &src}, {"--dest-creds", &dst}}, true, input.Input()));
  EXPECT_EQ(dst, "alice:pa:ss word");  // one line end dropped, the rest is the password
  EXPECT_EQ(src, "bob:other");
  EXPECT_EQ(input.stdin_reads, 1);
}

TEST(PasswordTest, PasswordStdinNeedsExactlyOneUserAloneFlag) {
  FakeInput input{.piped = "pw\n"};
  std::string a = "alice", b = "bob";
  EXPECT_FALSE(CompletePasswords({{"--src-creds", &a}, {"--dest-creds", &b}}, true, input.Input()));
  std::string full = "alice:pw";
  EXPECT_FALSE(CompletePasswords({{"--creds", &full}}, true, input.Input()));
  EXPECT_EQ(input.stdin_reads, 0);
}

TEST(PasswordTest, AnEmptyPasswordIsAnError) {
  FakeInput input{.piped = "\n"};
  std::string creds = "alice";
  auto s = CompletePasswords({{"--creds", &creds}}, true, input.Input());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "empty password for --creds");
}

}  // namespace
}  // namespace freightliner::cli
