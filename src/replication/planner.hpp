#pragma once
// Turns mappings (a repository or a prefix, tag selection, platforms) into the tags to copy,
// repository by repository. Listing is cheap and done once: the source catalog (all pages), each
// repository's tags (all pages), and each destination repository's tags, so that the copy of a
// tag the destination lacks needs no HEAD there. Every name a registry lists is checked against
// the distribution grammar here, before it reaches a URL, a log line or the checkpoint.

#include <functional>
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

// Gets one repository's selected tags (in tag order, numbered on from the tasks before), as
// soon as its tags are listed; never called concurrently. A failure stops the planning.
using RepositoryPlanned = std::function<Status(std::vector<CopyTask> tasks)>;

// Gets a placeholder task (see CopyTask::rejected, seq kNotInPlan) for each name the source listed
// that breaks the distribution grammar (a `_catalog` entry under the source prefix, a `tags/list`
// entry), and for each destination that would fall outside its mapping's prefix. Such a name is
// never copied, stored or logged verbatim; the planning goes on. Never called concurrently (nor
// at once with `on_repository`).
using NameRejected = std::function<void(CopyTask placeholder)>;

// Lists what `mappings` select, repository by repository (several at once, in no fixed order),
// and hands each repository's tags to `on_repository`: copying can start before the listing ends.
Status PlanMappings(registry::ClientPool& clients, const std::vector<SyncMapping>& mappings,
                    const PlanOptions& options, std::stop_token stop,
                    const RepositoryPlanned& on_repository, const NameRejected& on_rejected = {});

// Whether `destination` is a valid repository path at `prefix` or below it (an empty prefix is
// the registry root).
bool IsInsidePrefix(const std::string& prefix, const std::string& destination);

}  // namespace freightliner::replication
