#include "cli/app.hpp"

int main(int argc, char** argv) {
  return freightliner::cli::Main(argc, argv);
}
