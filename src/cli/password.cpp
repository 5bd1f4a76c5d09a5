#include "cli/password.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace freightliner::cli {
namespace {

bool IsUserAlone(const std::string& value) {
  return !value.empty() && value.find(':') == std::string::npos;
}

// Docker's and skopeo's rule: one trailing "\n" (or "\r\n") is the end of the line, not part of
// the password.
std::string WithoutLineEnd(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

Result<std::string> ReadFd(int fd, bool stop_at_newline) {
  std::string text;
  char c = 0;
  while (text.size() <= kMaxPasswordBytes) {
    const ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kInvalidArgument, "cannot read the password");
    if (n == 0 || (stop_at_newline && c == '\n')) return text;
    text.push_back(c);
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "the password is longer than " + std::to_string(kMaxPasswordBytes) + " bytes");
}

Result<std::string> PromptWithoutEcho(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios saved{};
  const bool have_terminal = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (have_terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  auto line = ReadFd(STDIN_FILENO, /*stop_at_newline=*/true);
  if (have_terminal) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::cerr << "\n";
  return line;
}

Status Complete(const CredentialFlag& flag, const std::string& password) {
  if (password.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "empty password for " + flag.name);
  }
  *flag.value += ":" + password;
  return Ok();
}

}  // namespace

PasswordInput ProcessPasswordInput() {
  return {.stdin_is_terminal = [] { return isatty(STDIN_FILENO) == 1; },
          .prompt = PromptWithoutEcho,
          .read_stdin = [] { return ReadFd(STDIN_FILENO, /*stop_at_newline=*/false); }};
}

Status CompletePasswords(const std::vector<CredentialFlag>& flags, bool password_stdin,
                         const PasswordInput& input) {
  std::vector<const CredentialFlag*> users_alone;
  for (const CredentialFlag& flag : flags) {
    if (IsUserAlone(*flag.value)) users_alone.push_back(&flag);
  }
  if (password_stdin) {
    if (users_alone.size() != 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--password-stdin reads one password: give exactly one of --creds, "
                       "--src-creds, --dest-creds as USER alone (the others as USER:PASSWORD)");
    }
    auto text = input.read_stdin();
    if (!text) return tl::unexpected(text.error());
    return Complete(*users_alone.front(), WithoutLineEnd(std::move(*text)));
  }
  for (const CredentialFlag* flag : users_alone) {
    if (!input.stdin_is_terminal()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       flag->name +
                           " has no password and stdin is not a terminal to ask for "
                           "it: give USER:PASSWORD, or pipe the password in with --password-stdin");
    }
    auto password = input.prompt("Password for " + *flag->value + " (" + flag->name + "): ");
    if (!password) return tl::unexpected(password.error());
    if (Status s = Complete(*flag, WithoutLineEnd(std::move(*password))); !s) return s;
  }
  return Ok();
}

}  // namespace freightliner::cli
