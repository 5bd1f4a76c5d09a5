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
                       const std::map<std::string, std::string>& env) {
  // `env -u` keeps a developer's own credentials out of the tests.
  std::vector<std::string> argv = {"env",
                                   "-u",
                                   "FREIGHTLINER_SRC_CREDS",
                                   "-u",
                                   "FREIGHTLINER_DEST_CREDS",
                                   "-u",
                                   "REGISTRY_AUTH_FILE",
                                   "DOCKER_CONFIG=/nonexistent/freightliner-test"};
  for (const auto& [k, v] : env)
    argv.push_back(k + "=" + v);
  argv.push_back(FREIGHTLINER_BINARY);
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunCommand(argv);
  return {r.exit_code, r.out, r.err};
}

}  // namespace freightliner::testing
