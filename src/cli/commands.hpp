#pragma once
// The one-image commands: replicate, inspect, digest (inspect.cpp), list-tags. Each returns a
// process exit code.

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
};

struct InspectArgs {
  std::string image;
  bool raw = false;
  std::string creds;
  std::string platform;  // os/arch[/variant]: one platform of an index
  std::string format;    // a template ({{.Digest}}) or a path (.config.Labels)
};

struct DigestArgs {
  std::string image;
  std::string platform;
  std::string creds;
};

struct ListTagsArgs {
  std::string repository;
  std::string creds;
  int page_size = 0;
};

int RunReplicate(Context& ctx, const ReplicateArgs& args);
int RunInspect(Context& ctx, const InspectArgs& args);
int RunDigest(Context& ctx, const DigestArgs& args);
int RunListTags(Context& ctx, const ListTagsArgs& args);

}  // namespace freightliner::cli
