#pragma once
// The one-image commands: replicate, inspect, list-tags. Each returns a process exit code.

#include <optional>
#include <string>

#include "cli/context.hpp"
#include "replication/copier.hpp"

namespace freightliner::cli {

struct ReplicateArgs {
  std::string source;
  std::string destination;
  std::string platform;
  bool force = false;
  bool dry_run = false;
  std::string src_creds;
  std::string dest_creds;
  int blob_concurrency = 4;
  uint64_t chunk_size = 0;
  TlsFlags tls;
};

struct InspectArgs {
  std::string image;
  bool raw = false;
  std::string creds;
  TlsFlags tls;
};

struct ListTagsArgs {
  std::string repository;
  std::string creds;
  int page_size = 0;
  TlsFlags tls;
};

int RunReplicate(Context& ctx, const ReplicateArgs& args);
int RunInspect(Context& ctx, const InspectArgs& args);
int RunListTags(Context& ctx, const ListTagsArgs& args);

}  // namespace freightliner::cli
