#include "cli/manpage.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "cli/main_output_testing.hpp"
#include "common/subprocess.hpp"

namespace freightliner::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(RoffEscapeTest, KeepsRequestsAndEscapesOutOfText) {
  EXPECT_EQ(RoffEscape(".TH x"), "\\&.TH x");
  EXPECT_EQ(RoffEscape("a\n'b"), "a\n\\&'b");
  EXPECT_EQ(RoffEscape("--dry-run"), "\\-\\-dry\\-run");
  EXPECT_EQ(RoffEscape("C:\\dir"), "C:\\edir");
  EXPECT_EQ(RoffEscape("no.request"), "no.request");
}

TEST(ManPageTest, HasEverySectionOfAManPage) {
  const std::string page = MainOutput({"man"});
  EXPECT_THAT(page, HasSubstr(".TH FREIGHTLINER 1 "));
  for (const char* section : {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS",
                              "EXIT STATUS", "ENVIRONMENT", "FILES", "SEE ALSO"}) {
    EXPECT_THAT(page, HasSubstr(std::string("\n.SH ") + section + "\n")) << section;
  }
  EXPECT_THAT(page, HasSubstr(".SH NAME\nfreightliner \\- replicate container images"));
}

TEST(ManPageTest, ListsEveryCommandWithItsOptionsAndArguments) {
  const std::string page = MainOutput({"man"});
  for (const char* command : {"replicate", "inspect", "list-tags", "replicate-tree", "sync",
                              "checkpoint", "serve", "version", "completion"}) {
    EXPECT_THAT(page, HasSubstr(".SS \"" + RoffEscape(command) + "\"\n")) << command;
  }
  EXPECT_THAT(page, Not(HasSubstr(".SS \"man\"")));  // hidden
  EXPECT_THAT(page, HasSubstr("\\fB\\-\\-platform\\fR \\fITEXT\\fR\n"));
  EXPECT_THAT(page, HasSubstr("\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fITEXT\\fR\n"));
  EXPECT_THAT(page, HasSubstr("One of: \\fBtext\\fR, \\fBjson\\fR."));
  EXPECT_THAT(page, HasSubstr("\\fB\\-\\-ca\\-file\\fR \\fIFILE\\fR\n"));
  EXPECT_THAT(page, HasSubstr("\\fB\\-\\-workers\\fR \\fIINT\\fR\n"));
  EXPECT_THAT(page, HasSubstr("Value: INT in [1 \\- 256]."));
  EXPECT_THAT(page, HasSubstr("\\fBfreightliner checkpoint\\fR [\\fIoptions\\fR] "
                              "\\fIaction\\fR [\\fIid\\fR]\n"));
  EXPECT_THAT(page, HasSubstr("One of: \\fBlist\\fR, \\fBshow\\fR, \\fBdelete\\fR."));
}

TEST(ManPageTest, ExitStatusAndEnvironmentAreTheDocumentedOnes) {
  const std::string page = MainOutput({"man"});
  for (const char* code : {"0", "1", "2", "3", "4", "130"}) {
    EXPECT_THAT(page, HasSubstr(std::string(".TP\n\\fB") + code + "\\fR\n")) << code;
  }
  EXPECT_THAT(page, HasSubstr("error: CODE: what failed: why."));
  EXPECT_THAT(page, HasSubstr("\\fBFREIGHTLINER_SRC_CREDS\\fR"));
  EXPECT_THAT(page, HasSubstr("\\fBREGISTRY_AUTH_FILE\\fR"));
}

// groff reads it as man(7) without a warning, and the text a reader sees has the flags in it.
TEST(ManPageTest, FormatsWithoutWarnings) {
  if (std::system("command -v groff >/dev/null 2>&1") != 0) GTEST_SKIP() << "no groff";
  auto result = RunProcess({"groff", "-man", "-Tutf8", "-ww", "-P", "-cbou"}, MainOutput({"man"}),
                           std::chrono::seconds(30));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_THAT(result->err, IsEmpty());
  EXPECT_THAT(result->out, HasSubstr("--include-repo"));
  EXPECT_THAT(result->out, HasSubstr("freightliner replicate [options] source destination"));
}

}  // namespace
}  // namespace freightliner::cli
