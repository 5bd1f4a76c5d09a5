#pragma once
// A tag deleted at the source, deleted at a destination too (a sync's `propagate_deletes`, driven
// by the source registry's delete events). Nothing is deleted on doubt: the tag must be absent at
// the source when the delete runs (a push after the delete event keeps it), and a registry that
// deletes only by digest (distribution 2.8 among them) is asked to only when every other
// destination tag at that digest would go too: one this sync mirrors and the source deleted.
//
//   auto outcome = PropagateTagDelete(*source, *destination,
//                                     {"team/app", "mirror/app", "v1", is_mirrored}, stop);

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "registry/client.hpp"

namespace freightliner::replication {

// How many destination tags are looked at (a HEAD each) before a delete by digest.
inline constexpr size_t kMaxTagsCheckedForDelete = 1000;

struct TagDelete {
  std::string source_repository;
  std::string destination_repository;
  std::string tag;
  // Whether the sync mirrors this tag of the source repository into this destination with
  // propagate_deletes: only such tags may be taken along by a delete by digest.
  std::function<bool(const std::string& tag)> mirrored;
  // Asked right before the destination is changed (a cluster runner checks its lease); an
  // error stops the delete.
  std::function<Status()> before_delete;
};

struct TagDeleteOutcome {
  enum class Kind { kDeleted, kAbsent, kStillAtSource };
  Kind kind = Kind::kAbsent;
  std::string digest;                  // what the destination tag pointed at (kDeleted)
  std::vector<std::string> also_gone;  // other tags a delete by digest took along
};

// Errors: the registries' (the source's HEAD included: not knowing is not "absent"), and
// kClientError when a delete by digest would take a tag the source still has, or one this sync
// does not mirror (the message names it; nothing was deleted).
Result<TagDeleteOutcome> PropagateTagDelete(registry::RegistryClient& source,
                                            registry::RegistryClient& destination,
                                            const TagDelete& request, std::stop_token stop);

// One line for a job's plan: "deleted HOST/REPO:TAG (sha256:...)", "kept ...: still at the source".
std::string DescribeTagDelete(const std::string& destination, const TagDeleteOutcome& outcome);

}  // namespace freightliner::replication
