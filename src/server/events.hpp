#pragma once
// Registry push events, from untrusted bodies: CNCF distribution's notification envelopes
// (application/vnd.docker.distribution.events.v1+json) and Harbor's webhook payloads. Only the
// facts replication needs are kept, each checked against the distribution grammar; an entry
// that does not parse is counted and skipped, never thrown on, and never stops the others.
//
//   auto parsed = ParseDistributionEnvelope(body);   // error: not an envelope at all
//   for (const RegistryEvent& e : parsed->events) ...

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "registry/client.hpp"

namespace freightliner::server {

// Entries one body may carry: distribution sends a few per envelope (its `threshold`).
inline constexpr size_t kMaxEventsPerBody = 1000;

struct RegistryEvent {
  // One of kEventActions except "invalid": push, delete, pull, or ignored (anything else).
  std::string action;
  std::string repository;  // valid repository path
  std::string tag;         // valid tag, or empty (pushed by digest, or no tag)
  std::string digest;      // valid digest, or empty
  bool manifest = false;   // false: a blob event (distribution also reports layer pushes)
  std::optional<std::chrono::system_clock::time_point> timestamp;
};

struct ParsedEvents {
  std::vector<RegistryEvent> events;
  int invalid = 0;  // entries skipped: not objects, or names outside the grammar
};

// Errors (kInvalidArgument) only for a body that is not JSON, has no `events` list, or has more
// than kMaxEventsPerBody entries.
Result<ParsedEvents> ParseDistributionEnvelope(std::string_view body);
// Harbor 2.x: {"type": "PUSH_ARTIFACT", "occur_at": UNIX, "event_data": {"repository":
// {"repo_full_name": ...}, "resources": [{"tag", "digest"}, ...]}}: one event per resource.
Result<ParsedEvents> ParseHarborWebhook(std::string_view body);

// RFC 3339 ("2026-12-02T05:01:20.123456789-08:00", "...Z"); nullopt when it is not one, or
// when its year is outside 1970..2200 (the clock's range is about 1678..2262).
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

// Distribution sends a push's event before it writes the tag (its manifest store notifies, then
// the tag store links), so a runner quick enough finds the tag absent, or still at the image it
// replaced. Waits until `repo:tag` at the source is at `digest`, asking every 100 ms for at most
// `bound`; true when it is. After the bound (a later push moved the tag on, say) the copy goes
// on with whatever the tag holds: the newest state is what a mirror wants anyway.
bool AwaitTagAt(registry::RegistryClient& source, const std::string& repo, const std::string& tag,
                const std::string& digest, std::chrono::milliseconds bound, std::stop_token stop);

}  // namespace freightliner::server
