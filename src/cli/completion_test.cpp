#include "cli/completion.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "cli/main_output_testing.hpp"
#include "common/subprocess.hpp"

namespace freightliner::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

bool HaveProgram(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

// A fresh directory for one test, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "completion_test.XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }

 private:
  fs::path path_;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  return lines;
}

class BashCompletionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveProgram("bash")) GTEST_SKIP() << "bash is not installed";
    script_ = dir_.Write("freightliner.bash", MainOutput({"completion", "bash"}));
  }

  // What real bash offers for the command line `words` with the cursor on the last word,
  // as it calls the function that `complete -F` registered.
  std::vector<std::string> Complete(const std::vector<std::string>& words) {
    std::string array;
    for (const std::string& word : words)
      array += " '" + word + "'";
    const std::string program = "source '" + script_.string() + "' && cd '" + dir_.path().string() +
                                "' && COMP_WORDS=(freightliner" + array +
                                ") && COMP_CWORD=" + std::to_string(words.size()) +
                                " && _freightliner && printf '%s\\n' \"${COMPREPLY[@]}\"";
    auto result = RunProcess({"bash", "-c", program}, "", std::chrono::seconds(20));
    EXPECT_TRUE(result.has_value());
    if (!result) return {};
    EXPECT_EQ(result->exit_code, 0) << result->err;
    std::vector<std::string> lines = Lines(result->out);
    std::erase(lines, "");
    return lines;
  }

  ScratchDir dir_;
  fs::path script_;
};

TEST_F(BashCompletionTest, ScriptIsValidBash) {
  auto result = RunProcess({"bash", "-n", script_.string()}, "", std::chrono::seconds(20));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_THAT(result->err, ::testing::IsEmpty());
  if (HaveProgram("shellcheck")) {
    auto lint =
        RunProcess({"shellcheck", "-s", "bash", script_.string()}, "", std::chrono::seconds(30));
    ASSERT_TRUE(lint.has_value());
    EXPECT_EQ(lint->exit_code, 0) << lint->out;
  }
}

TEST_F(BashCompletionTest, CompletesEveryVisibleCommandButNotHiddenOnes) {
  const std::vector<std::string> commands = Complete({""});
  for (const char* name : {"replicate", "inspect", "list-tags", "replicate-tree", "sync",
                           "checkpoint", "serve", "version", "completion"}) {
    EXPECT_THAT(commands, Contains(name));
  }
  EXPECT_THAT(commands, Not(Contains("man")));
  EXPECT_THAT(Complete({"rep"}), UnorderedElementsAre("replicate", "replicate-tree"));
}

TEST_F(BashCompletionTest, CompletesTheOptionsOfTheCommandUnderTheCursor) {
  EXPECT_THAT(Complete({"replicate", "--pl"}), UnorderedElementsAre("--platform"));
  EXPECT_THAT(Complete({"replicate-tree", "--include-"}), Contains("--include-repo"));
  EXPECT_THAT(Complete({"replicate", "--"}), Not(Contains("--include-repo")));
  EXPECT_THAT(Complete({"--log-"}), UnorderedElementsAre("--log-level", "--log-format"));
  EXPECT_THAT(Complete({"sync", "--"}), Contains("--dry-run"));
}

TEST_F(BashCompletionTest, CompletesChoicesOfOptionsAndArguments) {
  EXPECT_THAT(Complete({"--log-format", ""}), UnorderedElementsAre("text", "json"));
  // COMP_WORDBREAKS splits --output=j into "--output" "=" "j".
  EXPECT_THAT(Complete({"--output", "=", "j"}), UnorderedElementsAre("json"));
  EXPECT_THAT(Complete({"checkpoint", ""}), UnorderedElementsAre("list", "show", "delete"));
  // An option's value is not taken for the command or an argument.
  EXPECT_THAT(Complete({"-o", "json", "checkpoint", "s"}), UnorderedElementsAre("show"));
  EXPECT_THAT(Complete({"completion", ""}), UnorderedElementsAre("bash", "zsh"));
  EXPECT_THAT(Complete({"checkpoint", "show", ""}), ::testing::IsEmpty());
}

TEST_F(BashCompletionTest, CompletesFilesForPathOptions) {
  dir_.Write("sync.yaml", "");
  EXPECT_THAT(Complete({"sync", "--config", "sy"}), UnorderedElementsAre("sync.yaml"));
  EXPECT_THAT(Complete({"--authfile", "sy"}), UnorderedElementsAre("sync.yaml"));
  // Free text (a platform) gets no file names.
  EXPECT_THAT(Complete({"replicate", "--platform", "sy"}), ::testing::IsEmpty());
}

// Types WORDS and a Tab into an interactive zsh (on a pty, zsh/zpty) whose completion system
// has _freightliner on $fpath; compadd is wrapped to write each candidate to DIR/hits.
constexpr const char* kZshHarness = R"zsh(
dir=$1 line=$2
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PROMPT='' RPROMPT=''; fpath=($dir \$fpath); autoload -U compinit; compinit -u -d $dir/dump"
zpty -w z "compadd() { local -a h; builtin compadd -A h \"\$@\"; print -rl -- \$h >> $dir/hits; builtin compadd \"\$@\"; }"
zpty -w z "comppostfuncs=(exit); bindkey '^I' complete-word"
zpty -w -n z "$line"$'\t'
# Until the candidates stop coming (or 10 s without any).
size=-1
for i in {1..100}; do
  sleep 0.1
  [[ -s $dir/hits ]] || continue
  new=$(wc -c < $dir/hits)
  (( new == size )) && break
  size=$new
done
zpty -d z
)zsh";

class ZshCompletionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveProgram("zsh")) GTEST_SKIP() << "zsh is not installed";
    script_ = dir_.Write("_freightliner", MainOutput({"completion", "zsh"}));
    harness_ = dir_.Write("harness.zsh", kZshHarness);
  }

  // The distinct candidates zsh offers for `line` (the cursor at its end).
  std::set<std::string> Complete(const std::string& line) {
    fs::remove(dir_.path() / "hits");
    auto result = RunProcess({"zsh", "-f", harness_.string(), dir_.path().string(), line}, "",
                             std::chrono::seconds(30));
    EXPECT_TRUE(result.has_value());
    std::ifstream in(dir_.path() / "hits");
    std::set<std::string> hits;
    for (std::string hit; std::getline(in, hit);) {
      if (!hit.empty()) hits.insert(hit);
    }
    return hits;
  }

  ScratchDir dir_;
  fs::path script_;
  fs::path harness_;
};

TEST_F(ZshCompletionTest, ScriptIsValidZshAndRegistersItself) {
  auto syntax = RunProcess({"zsh", "-n", script_.string()}, "", std::chrono::seconds(20));
  ASSERT_TRUE(syntax.has_value());
  EXPECT_EQ(syntax->exit_code, 0) << syntax->err;

  // Sourced after compinit, it binds _freightliner to the command and defines one function
  // per command.
  const std::string program = "autoload -U compinit && compinit -u -d '" +
                              (dir_.path() / "zcompdump").string() + "' && source '" +
                              script_.string() +
                              "' && print -r -- $_comps[freightliner] "
                              "$+functions[_freightliner_replicate_tree]";
  auto loaded = RunProcess({"zsh", "-f", "-c", program}, "", std::chrono::seconds(20));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->exit_code, 0) << loaded->err;
  EXPECT_EQ(loaded->out, "_freightliner 1\n");
}

TEST_F(ZshCompletionTest, CompletesCommandsOptionsAndChoicesInRealZsh) {
  EXPECT_THAT(Complete("freightliner rep"), UnorderedElementsAre("replicate", "replicate-tree"));
  EXPECT_THAT(Complete("freightliner replicate-tree --inc"),
              UnorderedElementsAre("--include-repo", "--include-tag", "--include-tag-regex"));
  EXPECT_THAT(Complete("freightliner --log-format "), UnorderedElementsAre("text", "json"));
  EXPECT_THAT(Complete("freightliner checkpoint "), UnorderedElementsAre("list", "show", "delete"));
  EXPECT_THAT(Complete("freightliner completion "), UnorderedElementsAre("bash", "zsh"));
}

TEST(ZshCompletionScriptTest, DescribesCommandsAndOptionsWithTheirChoices) {
  const std::string script = MainOutput({"completion", "zsh"});
  EXPECT_THAT(script, HasSubstr("#compdef freightliner\n"));
  EXPECT_THAT(script, HasSubstr("'replicate-tree:Copy every repository under a prefix"));
  EXPECT_THAT(script, HasSubstr("'(-o --output)'{-o,--output}'[text|json\\: the format of "
                                "results on stdout]:TEXT:(text json)'"));
  EXPECT_THAT(script, HasSubstr("'*'--include-repo'[glob on the path below the prefix"));
  EXPECT_THAT(script, HasSubstr("':action:(list show delete)'"));
  EXPECT_THAT(script, Not(HasSubstr("'man:")));
}

}  // namespace
}  // namespace freightliner::cli
