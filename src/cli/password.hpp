#pragma once
// Credential flags given as USER alone, as skopeo allows (`--creds USER`): the password comes
// from stdin with --password-stdin, else from a prompt on the terminal, without echo.
//
//   CompletePasswords({{"--creds", &args.creds}}, global.password_stdin, ProcessPasswordInput());

#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace freightliner::cli {

// The longest password read from stdin or a terminal: a token is far shorter; more is a
// mistake (a file piped in by accident), not a password.
inline constexpr size_t kMaxPasswordBytes = 4096;

// How passwords are read; the process's stdin and terminal, or a test's.
struct PasswordInput {
  std::function<bool()> stdin_is_terminal;
  // Shows `prompt` on stderr and reads one line from the terminal without echo.
  std::function<Result<std::string>(const std::string& prompt)> prompt;
  // All of stdin (up to kMaxPasswordBytes + 1 bytes).
  std::function<Result<std::string>()> read_stdin;
};
PasswordInput ProcessPasswordInput();

struct CredentialFlag {
  std::string name;    // "--src-creds"
  std::string* value;  // "USER:PASSWORD", "USER" (completed here) or empty (not given)
};

// Turns each flag given as USER into USER:PASSWORD. With `password_stdin` exactly one flag must
// be USER alone, and stdin (one trailing newline dropped) is its password, as with
// `skopeo login --password-stdin`. Without it each such flag prompts on the terminal; when stdin
// is not a terminal that is an error naming --password-stdin.
Status CompletePasswords(const std::vector<CredentialFlag>& flags, bool password_stdin,
                         const PasswordInput& input);

}  // namespace freightliner::cli
