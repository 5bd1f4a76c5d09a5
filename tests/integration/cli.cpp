#include "integration/cli.hpp"

#include <sstream>

namespace freightliner::testing {

std::vector<std::string> CliResult::ErrorLines() const {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("error:", 0) == 0) lines.push_back(line);
  }
  return lines;
}

std::string FreightlinerBinary() {
  return FREIGHTLINER_BINARY;
}

CliResult Freightliner(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env, const std::string& input) {
  // `env -u` keeps a developer's own credentials (and proxies) out of the tests; so do the
  // directories of the default auth files (Podman's and Docker's).
  std::vector<std::string> argv = {"env",
                                   "-u",
                                   "FREIGHTLINER_SRC_CREDS",
                                   "-u",
                                   "FREIGHTLINER_DEST_CREDS",
                                   "-u",
                                   "REGISTRY_AUTH_FILE",
                                   "-u",
                                   "HTTP_PROXY",
                                   "-u",
                                   "http_proxy",
                                   "-u",
                                   "HTTPS_PROXY",
                                   "-u",
                                   "https_proxy",
                                   "DOCKER_CONFIG=/nonexistent/freightliner-test",
                                   "XDG_RUNTIME_DIR=/nonexistent/freightliner-test",
                                   "XDG_CONFIG_HOME=/nonexistent/freightliner-test"};
  for (const auto& [k, v] : env)
    argv.push_back(k + "=" + v);
  argv.push_back(FREIGHTLINER_BINARY);
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunCommand(argv, input);
  return {r.exit_code, r.out, r.err};
}

}  // namespace freightliner::testing
