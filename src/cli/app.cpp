#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "common/version.hpp"

namespace freightliner::cli {

int Main(int argc, char** argv) {
  CLI::App app{"freightliner: replicate container images between OCI registries"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "Print the version and revision");
  version->callback([] { std::cout << "freightliner " << kVersion << " (" << kRevision << ")\n"; });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}

}  // namespace freightliner::cli
