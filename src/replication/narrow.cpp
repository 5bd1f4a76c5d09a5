#include "replication/narrow.hpp"

#include <algorithm>
#include <optional>

#include "registry/reference.hpp"
#include "replication/planner.hpp"
#include "replication/selection.hpp"

namespace freightliner::replication {
namespace {

// Where `repository` goes under mapping `m`, if `m` takes it.
std::optional<std::string> DestinationOf(const SyncMapping& m, const std::string& repository) {
  if (!m.recursive) {
    if (repository != m.source.path) return std::nullopt;
    return m.destination.path;
  }
  auto relative = RelativeTo(m.source.path, repository);
  if (!relative || relative->empty() || !m.repos.Matches(*relative)) return std::nullopt;
  std::string destination = JoinPath(m.destination.path, *relative);
  if (!IsInsidePrefix(m.destination.path, destination)) return std::nullopt;
  return destination;
}

// Judged as the planner would judge it among the source's tags, with one difference: `latest`
// ranks the tag alone, so any version inside the rest of the selection is kept.
bool KeepsTag(const TagFilter& filter, const std::string& tag) {
  const std::vector<std::string> kept = filter.Select({tag});
  return std::find(kept.begin(), kept.end(), tag) != kept.end();
}

}  // namespace

Result<std::vector<SyncMapping>> NarrowToTag(const std::vector<SyncMapping>& mappings,
                                             const std::string& registry,
                                             const std::string& repository,
                                             const std::string& tag) {
  std::vector<SyncMapping> narrowed;
  if (!registry::IsValidRepositoryPath(repository) || !registry::IsValidTag(tag)) return narrowed;
  for (const SyncMapping& m : mappings) {
    if (m.source.registry != registry) continue;
    auto destination = DestinationOf(m, repository);
    if (!destination) continue;
    auto filter = TagFilter::Create(m.tags);
    if (!filter) return tl::unexpected(filter.error());
    if (!KeepsTag(*filter, tag)) continue;
    SyncMapping one = m;
    one.source.path = repository;
    one.destination.path = *destination;
    one.recursive = false;
    one.repos = {};
    one.tags = TagSelection{.list = {tag}};
    one.allow_empty = false;
    narrowed.push_back(std::move(one));
  }
  return narrowed;
}

}  // namespace freightliner::replication
