#pragma once
// A sync narrowed to one tag: what a registry push event asks for. The sync's own mappings decide
// whether it mirrors that tag and where it goes, so an event copies exactly what the next
// scheduled run would have copied for it, and nothing the sync would not.
//
//   auto mappings = NarrowToTag(sync.mappings, "registry.example.com", "team/app", "v3");
//   // empty: the sync does not mirror team/app:v3

#include <string>
#include <vector>

#include "common/error.hpp"
#include "replication/sync_config.hpp"

namespace freightliner::replication {

// For each mapping whose source is `registry` and holds `repository` (its own repository, or one
// under its prefix that its repository filters keep) and whose tag filters keep `tag`: the same
// mapping for that one repository and tag (same destination and platforms, not recursive).
// `tag` is judged alone: include and exclude filters apply as written, a semver constraint keeps
// a version inside it, and `latest` keeps any version (which N tags are the latest needs the
// whole tag list; the scheduled run prunes nothing, so copying one more is safe).
// Errors only when a mapping's filters do not compile (the sync file was checked when loaded).
Result<std::vector<SyncMapping>> NarrowToTag(const std::vector<SyncMapping>& mappings,
                                             const std::string& registry,
                                             const std::string& repository, const std::string& tag);

}  // namespace freightliner::replication
