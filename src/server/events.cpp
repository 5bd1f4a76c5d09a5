#include "server/events.hpp"

#include <charconv>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "registry/manifest.hpp"
#include "registry/reference.hpp"

namespace freightliner::server {
namespace {

using nlohmann::json;

// A string field of an object, or empty when absent or not a string.
std::string Text(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

bool IsManifestMediaType(std::string_view media_type) {
  return registry::IsIndexMediaType(media_type) || registry::IsImageManifestMediaType(media_type) ||
         media_type == registry::media::kDockerSchema1Signed ||
         media_type == registry::media::kDockerSchema1;
}

// Names checked against the grammar: an event naming anything else is invalid as a whole.
bool CheckNames(const RegistryEvent& e) {
  return registry::IsValidRepositoryPath(e.repository) &&
         (e.tag.empty() || registry::IsValidTag(e.tag)) &&
         (e.digest.empty() || registry::IsValidDigest(e.digest));
}

Result<json> ParseObject(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return MakeError(ErrorCode::kInvalidArgument, "the body is not JSON");
  if (!doc.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "the body must be a JSON object");
  }
  return doc;
}

constexpr int kMinEventYear = 1970;
constexpr int kMaxEventYear = 2200;
constexpr int64_t kMaxEventUnixSeconds = 7258118400;  // 2200-01-01T00:00:00Z

template <typename T>
bool ReadNumber(std::string_view text, size_t pos, size_t len, T& out) {
  if (pos + len > text.size()) return false;
  const char* begin = text.data() + pos;
  const auto [end, ec] = std::from_chars(begin, begin + len, out);
  return ec == std::errc() && end == begin + len;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text) {
  using namespace std::chrono;
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 20 || text.size() > 64 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' ||
      !ReadNumber(text, 0, 4, y) || !ReadNumber(text, 5, 2, mo) || !ReadNumber(text, 8, 2, d) ||
      !ReadNumber(text, 11, 2, h) || !ReadNumber(text, 14, 2, mi) || !ReadNumber(text, 17, 2, s)) {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  // system_clock counts nanoseconds in 64 bits: years outside about 1678..2262 overflow it, and
  // an event is from now, give or take a wrong clock.
  if (y < kMinEventYear || y > kMaxEventYear) return std::nullopt;
  if (!date.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  size_t pos = 19;
  nanoseconds fraction{0};
  if (text[pos] == '.') {
    ++pos;
    int64_t scale = 100000000;
    const size_t digits_start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (scale > 0) fraction += nanoseconds((text[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == digits_start) return std::nullopt;
  }
  seconds offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
    // UTC
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (!ReadNumber(text, pos + 1, 2, oh) || !ReadNumber(text, pos + 4, 2, om) || oh > 23 ||
        om > 59) {
      return std::nullopt;
    }
    offset = hours(oh) + minutes(om);
    if (text[pos] == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  const sys_seconds utc = sys_days{date} + hours(h) + minutes(mi) + seconds(s) - offset;
  return time_point_cast<system_clock::duration>(utc + fraction);
}

Result<ParsedEvents> ParseDistributionEnvelope(std::string_view body) {
  auto doc = ParseObject(body);
  if (!doc) return tl::unexpected(doc.error());
  auto events = doc->find("events");
  if (events == doc->end() || !events->is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, "the envelope has no \"events\" list");
  }
  if (events->size() > kMaxEventsPerBody) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "more than " + std::to_string(kMaxEventsPerBody) + " events in one envelope");
  }
  ParsedEvents out;
  for (const json& entry : *events) {
    const json target = entry.is_object() ? entry.value("target", json()) : json();
    if (!target.is_object()) {
      ++out.invalid;
      continue;
    }
    RegistryEvent e;
    const std::string action = Text(entry, "action");
    e.action = action == "push" || action == "delete" || action == "pull" ? action : "ignored";
    e.repository = Text(target, "repository");
    e.tag = Text(target, "tag");
    e.digest = Text(target, "digest");
    // Deletes name no media type; distribution reports them for manifests only.
    e.manifest = action == "delete" || IsManifestMediaType(Text(target, "mediaType"));
    e.timestamp = ParseRfc3339(Text(entry, "timestamp"));
    if (!CheckNames(e)) {
      ++out.invalid;
      continue;
    }
    out.events.push_back(std::move(e));
  }
  return out;
}

Result<ParsedEvents> ParseHarborWebhook(std::string_view body) {
  auto doc = ParseObject(body);
  if (!doc) return tl::unexpected(doc.error());
  const std::string type = Text(*doc, "type");
  const json data = doc->value("event_data", json());
  const json repository = data.is_object() ? data.value("repository", json()) : json();
  const json resources = data.is_object() ? data.value("resources", json()) : json();
  if (type.empty() || !resources.is_array()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "not a Harbor webhook: no \"type\" or no \"event_data.resources\" list");
  }
  if (resources.size() > kMaxEventsPerBody) {
    return MakeError(ErrorCode::kInvalidArgument, "more than " + std::to_string(kMaxEventsPerBody) +
                                                      " resources in one webhook");
  }
  std::optional<std::chrono::system_clock::time_point> when;
  if (auto at = doc->find("occur_at"); at != doc->end() && at->is_number_integer()) {
    const int64_t seconds = at->get<int64_t>();
    // The same years as ParseRfc3339 (more would overflow the clock's nanoseconds).
    if (seconds > 0 && seconds < kMaxEventUnixSeconds) {
      when = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
    }
  }
  const std::string action = type == "PUSH_ARTIFACT"     ? "push"
                             : type == "DELETE_ARTIFACT" ? "delete"
                             : type == "PULL_ARTIFACT"   ? "pull"
                                                         : "ignored";
  ParsedEvents out;
  for (const json& resource : resources) {
    RegistryEvent e{.action = action,
                    .repository = Text(repository, "repo_full_name"),
                    .tag = Text(resource, "tag"),
                    .digest = Text(resource, "digest"),
                    .manifest = true,  // Harbor's artifact events are about manifests
                    .timestamp = when};
    if (!resource.is_object() || !CheckNames(e)) {
      ++out.invalid;
      continue;
    }
    out.events.push_back(std::move(e));
  }
  return out;
}

bool AwaitTagAt(registry::RegistryClient& source, const std::string& repo, const std::string& tag,
                const std::string& digest, std::chrono::milliseconds bound, std::stop_token stop) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  std::mutex mu;
  std::condition_variable_any pause;
  for (;;) {
    auto head = source.HeadManifest(repo, tag, stop);
    if (head && *head && (*head)->digest == digest) return true;
    if (std::chrono::steady_clock::now() >= deadline || stop.stop_requested()) return false;
    std::unique_lock lock(mu);
    pause.wait_for(lock, stop, std::chrono::milliseconds(100), [] { return false; });
  }
}

}  // namespace freightliner::server
