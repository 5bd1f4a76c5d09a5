#pragma once
// Turns mappings (a repository or a prefix, tag selection, platforms) into the list of tags to
// copy. Listing is cheap and done once: the source catalog (all pages), each repository's tags
// (all pages), and each destination repository's tags, so that the copy of a tag the destination
// lacks needs no HEAD there.

#include <stop_token>
#include <vector>

#include "common/error.hpp"
#include "registry/client_pool.hpp"
#include "replication/engine.hpp"
#include "replication/sync_config.hpp"

namespace freightliner::replication {

struct PlanOptions {
  int parallelism = 8;  // repositories listed at once
  int page_size = 0;    // n= on catalog and tag listings; 0: the registry's default
};

// Tasks in a stable order (by mapping, then source repository, then tag), numbered from 0.
Result<std::vector<CopyTask>> PlanMappings(registry::ClientPool& clients,
                                           const std::vector<SyncMapping>& mappings,
                                           const PlanOptions& options, std::stop_token stop);

}  // namespace freightliner::replication
