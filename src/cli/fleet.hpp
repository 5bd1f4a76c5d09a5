#pragma once
// Fleet commands: replicate-tree, sync, and checkpoint list|show|delete. Runs are planned,
// checkpointed in SQLite, executed on a worker pool, and resumable with --resume ID.

#include <string>
#include <vector>

#include "cli/context.hpp"

namespace freightliner::cli {

struct FleetFlags {
  int workers = 8;
  int blob_concurrency = 4;
  int max_transfers = 16;
  int page_size = 0;
  bool dry_run = false;
  bool force = false;
  bool fail_fast = false;
  bool assume_destination_unchanged = false;
  std::string resume;
  std::string state_dir;
};

struct TreeArgs {
  std::string source;
  std::string destination;
  std::vector<std::string> include_repos;
  std::vector<std::string> exclude_repos;
  std::vector<std::string> include_tag_globs;  // --include-tag
  std::vector<std::string> exclude_tag_globs;
  std::vector<std::string> include_tag_regexes;  // --include-tag-regex
  std::vector<std::string> exclude_tag_regexes;
  std::vector<std::string> platforms;
  std::string src_creds;
  std::string dest_creds;
  bool allow_empty = false;
  TlsFlags tls;
  FleetFlags fleet;
};

struct SyncArgs {
  std::string config;
  FleetFlags fleet;
  bool workers_set = false;  // --workers given: it wins over the file's `workers`
  bool allow_empty = false;  // every mapping may select nothing (as with allow_empty: true)
};

struct CheckpointArgs {
  std::string action;  // list | show | delete
  std::string id;
  std::string state_dir;
};

int RunReplicateTree(Context& ctx, const TreeArgs& args);
int RunSync(Context& ctx, const SyncArgs& args);
int RunCheckpoint(Context& ctx, const CheckpointArgs& args);

}  // namespace freightliner::cli
