#include "server/event_intake.hpp"

#include <spdlog/spdlog.h>

#include <set>
#include <utility>
#include <vector>

#include "common/format.hpp"
#include "common/yaml_reader.hpp"
#include "replication/narrow.hpp"
#include "replication/sync_config.hpp"
#include "server/events.hpp"

namespace freightliner::server {
namespace {

using nlohmann::json;

struct LoadedSync {
  std::string name;
  replication::SyncConfig file;
};

std::string Join(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

Result<json> EventIntake::Receive(const std::string& source, const std::string& registry,
                                  std::string_view body) {
  // The syncs as their files say now: an edited file applies to the next event, as to the next
  // scheduled run.
  std::vector<LoadedSync> syncs;
  std::set<std::string> sources;
  for (const NamedSync& named : config_.syncs) {
    auto file = replication::LoadSyncConfig(named.file, ProcessEnvironment());
    if (!file) {
      spdlog::error("events: sync {}: {}", named.name, file.error().ToString());
      continue;
    }
    for (const auto& m : file->mappings)
      sources.insert(m.source.registry);
    syncs.push_back({named.name, std::move(*file)});
  }
  std::string bound = registry;
  if (bound.empty()) {
    if (sources.size() != 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "name the source registry in the URL (/api/v1/events/" + source +
                           "/REGISTRY): the syncs mirror " +
                           (sources.empty() ? std::string("none") : Join(sources)));
    }
    bound = *sources.begin();
  } else if (!sources.contains(bound)) {
    return MakeError(ErrorCode::kNotFound,
                     "no configured sync mirrors registry " + QuoteUntrusted(bound) +
                         (sources.empty() ? "" : " (they mirror " + Join(sources) + ")"));
  }

  auto parsed = source == "harbor" ? ParseHarborWebhook(body) : ParseDistributionEnvelope(body);
  if (!parsed) return tl::unexpected(parsed.error());
  for (int i = 0; i < parsed->invalid; ++i)
    metrics_.RecordEvent(source, "invalid");

  json queued = json::array();
  int collapsed = 0, ignored = 0;
  for (const RegistryEvent& e : parsed->events) {
    const bool copy = e.action == "push" && e.manifest && !e.tag.empty();
    // A tag's delete (distribution reports a manifest deleted by digest once, then once per tag
    // it took: the tags are what a destination deletes).
    const bool deletion = e.action == "delete" && !e.tag.empty();
    const bool blob_push = e.action == "push" && !e.manifest;
    metrics_.RecordEvent(source, blob_push ? "ignored" : e.action);
    if (!copy && !deletion) {
      ++ignored;
      continue;
    }
    bool matched = false;
    for (const LoadedSync& sync : syncs) {
      auto narrowed = replication::NarrowToTag(sync.file.mappings, bound, e.repository, e.tag);
      if (!narrowed) continue;
      if (deletion) {
        std::erase_if(*narrowed,
                      [](const replication::SyncMapping& m) { return !m.propagate_deletes; });
      }
      if (narrowed->empty()) continue;
      matched = true;
      bool joined = false;
      auto job = jobs_.SubmitEvent(
          {sync.name, bound, e.repository, e.tag, e.timestamp, e.digest, deletion}, joined);
      if (!job) {
        spdlog::error("events: {}/{}:{} for sync {}: {}", bound, e.repository, e.tag, sync.name,
                      job.error().ToString());
        return tl::unexpected(job.error());
      }
      if (joined) {
        ++collapsed;
      } else {
        queued.push_back((*job)["id"]);
        spdlog::info("events: {} {} {}/{}:{} -> job {} (sync {})", source, e.action, bound,
                     e.repository, e.tag, (*job)["id"].get<std::string>(), sync.name);
      }
    }
    if (!matched) ++ignored;  // a tag no sync mirrors
  }
  return json{{"registry", bound},
              {"jobs", std::move(queued)},
              {"collapsed", collapsed},
              {"ignored", ignored},
              {"invalid", parsed->invalid}};
}

}  // namespace freightliner::server
