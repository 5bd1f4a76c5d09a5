#include "replication/tag_delete.hpp"

namespace freightliner::replication {
namespace {

using registry::RegistryClient;
using Kind = TagDeleteOutcome::Kind;

tl::unexpected<Error> Refused(const std::string& what) {
  return MakeError(ErrorCode::kClientError, what);
}

// The other destination tags at `digest`: those a delete by digest would take along. Each must be
// one this sync mirrors and the source no longer has; else the delete is refused.
Result<std::vector<std::string>> TagsTakenAlong(RegistryClient& source, RegistryClient& destination,
                                                const TagDelete& d, const std::string& digest,
                                                std::stop_token stop) {
  auto tags = destination.ListTags(d.destination_repository, stop);
  if (!tags) return tl::unexpected(tags.error());
  const std::string where = destination.registry() + "/" + d.destination_repository;
  if (tags->size() > kMaxTagsCheckedForDelete) {
    return Refused(where + " deletes only by digest and has " + std::to_string(tags->size()) +
                   " tags, more than the " + std::to_string(kMaxTagsCheckedForDelete) +
                   " checked before one: " + d.tag + " left in place");
  }
  std::vector<std::string> along;
  for (const std::string& tag : *tags) {
    if (tag == d.tag) continue;
    auto head = destination.HeadManifest(d.destination_repository, tag, stop);
    if (!head) return tl::unexpected(head.error());
    if (!*head || (*head)->digest != digest) continue;
    const std::string refusal =
        where + " deletes only by digest, and " + digest + " is also its tag " + tag + ", ";
    if (!d.mirrored || !d.mirrored(tag)) {
      return Refused(refusal + "which this sync does not mirror: " + d.tag + " left in place");
    }
    auto at_source = source.HeadManifest(d.source_repository, tag, stop);
    if (!at_source) return tl::unexpected(at_source.error());
    if (*at_source) {
      return Refused(refusal + "still at the source: " + d.tag + " left in place");
    }
    along.push_back(tag);
  }
  return along;
}

}  // namespace

Result<TagDeleteOutcome> PropagateTagDelete(RegistryClient& source, RegistryClient& destination,
                                            const TagDelete& d, std::stop_token stop) {
  auto at_source = source.HeadManifest(d.source_repository, d.tag, stop);
  if (!at_source) return tl::unexpected(at_source.error());
  if (*at_source) return TagDeleteOutcome{.kind = Kind::kStillAtSource};

  auto head = destination.HeadManifest(d.destination_repository, d.tag, stop);
  if (!head) return tl::unexpected(head.error());
  if (!*head) return TagDeleteOutcome{.kind = Kind::kAbsent};
  TagDeleteOutcome outcome{.kind = Kind::kDeleted, .digest = (*head)->digest};

  if (d.before_delete) {
    if (Status s = d.before_delete(); !s) return tl::unexpected(s.error());
  }
  auto by_tag = destination.DeleteManifest(d.destination_repository, d.tag, stop);
  if (!by_tag) return tl::unexpected(by_tag.error());
  if (*by_tag == RegistryClient::Deleted::kDeleted) return outcome;
  if (*by_tag == RegistryClient::Deleted::kAbsent) return TagDeleteOutcome{.kind = Kind::kAbsent};

  auto along = TagsTakenAlong(source, destination, d, outcome.digest, stop);
  if (!along) return tl::unexpected(along.error());
  outcome.also_gone = std::move(*along);
  // The listing and HEADs took a while: the lease is checked again right before the delete.
  if (d.before_delete) {
    if (Status s = d.before_delete(); !s) return tl::unexpected(s.error());
  }
  auto by_digest = destination.DeleteManifest(d.destination_repository, outcome.digest, stop);
  if (!by_digest) return tl::unexpected(by_digest.error());
  if (*by_digest != RegistryClient::Deleted::kDeleted) {
    // Deleted meanwhile (another delete event of the same image, say).
    return TagDeleteOutcome{.kind = Kind::kAbsent};
  }
  return outcome;
}

std::string DescribeTagDelete(const std::string& destination, const TagDeleteOutcome& outcome) {
  switch (outcome.kind) {
    case Kind::kStillAtSource:
      return "kept " + destination + ": the tag is at the source again";
    case Kind::kAbsent:
      return "absent " + destination + ": nothing to delete";
    case Kind::kDeleted:
      break;
  }
  std::string line = "deleted " + destination + " (" + outcome.digest + ")";
  if (!outcome.also_gone.empty()) {
    line += ", with the tags at the same digest, deleted at the source too:";
    for (const std::string& tag : outcome.also_gone)
      line += " " + tag;
  }
  return line;
}

}  // namespace freightliner::replication
