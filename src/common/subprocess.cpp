#include "common/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace freightliner {
namespace {

// Closes a pipe end once; -1 means already closed.
void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

struct Pipe {
  int fds[2] = {-1, -1};
  bool Open() { return pipe2(fds, O_CLOEXEC) == 0; }
  ~Pipe() {
    CloseFd(fds[0]);
    CloseFd(fds[1]);
  }
};

}  // namespace

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::string& input,
                                 std::chrono::milliseconds timeout) {
  if (argv.empty()) return MakeError(ErrorCode::kInternal, "RunProcess: empty argv");
  Pipe in, out, err;
  if (!in.Open() || !out.Open() || !err.Open()) {
    return MakeError(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fds[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fds[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  CloseFd(in.fds[0]);
  CloseFd(out.fds[1]);
  CloseFd(err.fds[1]);

  // The helper may be slow to read; ignore SIGPIPE from writing to one that exited early.
  signal(SIGPIPE, SIG_IGN);
  size_t written = 0;
  if (input.empty()) CloseFd(in.fds[1]);
  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.fds[0] >= 0 || err.fds[0] >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return MakeError(ErrorCode::kTimeout, argv[0] + " did not finish in time");
    }
    std::array<pollfd, 3> fds = {pollfd{out.fds[0], POLLIN, 0}, pollfd{err.fds[0], POLLIN, 0},
                                 pollfd{in.fds[1], POLLOUT, 0}};
    if (poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    if (fds[2].revents != 0) {
      const ssize_t n = write(in.fds[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 || written == input.size()) CloseFd(in.fds[1]);
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[static_cast<size_t>(i)].revents == 0) continue;
      std::array<char, 4096> buf{};
      const ssize_t n = read(fds[static_cast<size_t>(i)].fd, buf.data(), buf.size());
      if (n <= 0) {
        CloseFd(i == 0 ? out.fds[0] : err.fds[0]);
      } else {
        (i == 0 ? result.out : result.err).append(buf.data(), static_cast<size_t>(n));
      }
    }
  }
  CloseFd(in.fds[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace freightliner
