#include "server/job_request.hpp"

#include <algorithm>
#include <map>

#include "common/format.hpp"
#include "registry/reference.hpp"
#include "replication/narrow.hpp"
#include "replication/sync_config.hpp"

namespace freightliner::server {
namespace {

using nlohmann::json;
using replication::CopyTask;

// The fields a request may carry and their JSON kinds; anything else is refused, so that a
// misspelt option cannot be silently ignored.
enum class Kind { kString, kBool, kStrings };
using Fields = std::map<std::string, Kind>;

const Fields kReplicateFields = {{"source", Kind::kString},
                                 {"destination", Kind::kString},
                                 {"platforms", Kind::kStrings},
                                 {"force", Kind::kBool},
                                 {"dry_run", Kind::kBool}};
const Fields kTreeFields = {{"source", Kind::kString},         {"destination", Kind::kString},
                            {"include_repos", Kind::kStrings}, {"exclude_repos", Kind::kStrings},
                            {"include_tags", Kind::kStrings},  {"exclude_tags", Kind::kStrings},
                            {"platforms", Kind::kStrings},     {"force", Kind::kBool},
                            {"dry_run", Kind::kBool},          {"allow_empty", Kind::kBool}};
// registry, repository and tag (all three or none) narrow the sync to that one tag, as a push
// event does (see replication/narrow.hpp); `delete` (with them) propagates a delete event.
const Fields kSyncFields = {{"name", Kind::kString},       {"force", Kind::kBool},
                            {"dry_run", Kind::kBool},      {"registry", Kind::kString},
                            {"repository", Kind::kString}, {"tag", Kind::kString},
                            {"delete", Kind::kBool}};

bool IsString(const json& v) {
  return v.is_string() && v.get_ref<const std::string&>().size() <= kMaxRequestString;
}

Status CheckFields(const json& request, const Fields& fields,
                   const std::vector<std::string>& required) {
  if (!request.is_object())
    return MakeError(ErrorCode::kInvalidArgument, "body must be a JSON object");
  for (const auto& [key, value] : request.items()) {
    auto it = fields.find(key);
    if (it == fields.end()) {
      return MakeError(ErrorCode::kInvalidArgument, "unknown field \"" + key.substr(0, 64) + "\"");
    }
    bool ok = false;
    switch (it->second) {
      case Kind::kString:
        ok = IsString(value);
        break;
      case Kind::kBool:
        ok = value.is_boolean();
        break;
      case Kind::kStrings:
        ok = value.is_array() && value.size() <= kMaxRequestListEntries &&
             std::all_of(value.begin(), value.end(), IsString);
        break;
    }
    if (!ok) {
      const std::string kind =
          it->second == Kind::kString
              ? "a string of at most " + std::to_string(kMaxRequestString) + " bytes"
          : it->second == Kind::kBool
              ? "true or false"
              : "a list of strings (at most " + std::to_string(kMaxRequestListEntries) +
                    " of up to " + std::to_string(kMaxRequestString) + " bytes)";
      return MakeError(ErrorCode::kInvalidArgument, "field \"" + key + "\" must be " + kind);
    }
  }
  for (const std::string& key : required) {
    if (!request.contains(key) || request[key].get_ref<const std::string&>().empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "field \"" + key + "\" is required");
    }
  }
  return Ok();
}

// The checked fields, in a fixed order: what is stored, whatever else the body held.
json Normalized(const json& request, const Fields& fields) {
  json out = json::object();
  for (const auto& [key, kind] : fields) {
    if (request.contains(key)) out[key] = request[key];
  }
  return out;
}

std::string JoinStrings(const json& list) {
  std::string out;
  for (const json& v : list)
    out += (out.empty() ? "" : ",") + v.get<std::string>();
  return out;
}

Result<PreparedJob> PrepareReplicate(const json& r) {
  if (Status s = CheckFields(r, kReplicateFields, {"source", "destination"}); !s) {
    return tl::unexpected(s.error());
  }
  PreparedJob p;
  auto src_text = registry::StripTransport(r["source"].get_ref<const std::string&>());
  if (!src_text) return tl::unexpected(src_text.error().WithContext("source"));
  auto src = registry::ParseReference(*src_text);
  if (!src) return tl::unexpected(src.error().WithContext("source"));
  auto dst_text = registry::StripTransport(r["destination"].get_ref<const std::string&>());
  if (!dst_text) return tl::unexpected(dst_text.error().WithContext("destination"));
  auto dst = registry::ParseCopyDestination(*src, *dst_text);
  if (!dst) return tl::unexpected(dst.error().WithContext("destination"));
  auto platforms = replication::SplitPlatforms(JoinStrings(r.value("platforms", json::array())));
  if (!platforms) return tl::unexpected(platforms.error().WithContext("platforms"));
  p.task = CopyTask{.seq = 0, .source = *src, .destination = *dst, .platforms = *platforms};
  return p;
}

Result<PreparedJob> PrepareTree(const json& r) {
  if (Status s = CheckFields(r, kTreeFields, {"source", "destination"}); !s) {
    return tl::unexpected(s.error());
  }
  json spec = r;
  spec["platforms"] = JoinStrings(r.value("platforms", json::array()));
  auto mapping = replication::TreeMapping(spec);
  if (!mapping) return tl::unexpected(mapping.error());
  PreparedJob p;
  p.mappings = {*mapping};
  return p;
}

Result<PreparedJob> PrepareSync(const json& r, const ServerConfig& config) {
  if (Status s = CheckFields(r, kSyncFields, {"name"}); !s) return tl::unexpected(s.error());
  const NamedSync* sync = config.Sync(r["name"].get<std::string>());
  if (sync == nullptr) {
    std::string known;
    for (const NamedSync& s : config.syncs)
      known += (known.empty() ? "" : ", ") + s.name;
    return MakeError(ErrorCode::kInvalidArgument,
                     "no sync named \"" + r["name"].get<std::string>().substr(0, 128) +
                         "\" in the config" +
                         (known.empty() ? " (it defines none)" : " (known: " + known + ")"));
  }
  auto file = replication::LoadSyncConfig(sync->file, ProcessEnvironment());
  if (!file) return tl::unexpected(file.error());
  PreparedJob p;
  p.mappings = file->mappings;
  p.pool = replication::PoolFromSyncConfig(*file);
  const int narrowing = r.contains("registry") + r.contains("repository") + r.contains("tag");
  const bool deletion = r.value("delete", false);
  if (deletion && narrowing != 3) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "delete needs registry, repository and tag: the tag deleted at the source");
  }
  if (deletion && r.value("dry_run", false)) {
    return MakeError(ErrorCode::kInvalidArgument, "delete and dry_run do not go together");
  }
  if (narrowing == 0) return p;
  if (narrowing != 3) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "registry, repository and tag narrow a sync together: give all three");
  }
  const std::string registry = r["registry"], repository = r["repository"], tag = r["tag"];
  if (!registry::IsValidRegistryHost(registry) || !registry::IsValidRepositoryPath(repository) ||
      !registry::IsValidTag(tag)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "registry, repository or tag is not a valid name: " +
                         QuoteUntrusted(registry + "/" + repository + ":" + tag));
  }
  auto narrowed = replication::NarrowToTag(file->mappings, registry, repository, tag);
  if (!narrowed) return tl::unexpected(narrowed.error());
  if (narrowed->empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "sync \"" + sync->name + "\" does not mirror " +
                                                      registry + "/" + repository + ":" + tag);
  }
  if (deletion) {
    std::erase_if(*narrowed,
                  [](const replication::SyncMapping& m) { return !m.propagate_deletes; });
    if (narrowed->empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "sync \"" + sync->name + "\" does not propagate deletes of " + registry +
                           "/" + repository + ":" + tag + " (propagate_deletes: true)");
    }
    p.deletion = file->mappings;
  }
  p.mappings = std::move(*narrowed);
  return p;
}

// The same answer for a registry that exists and one that does not: nothing is contacted.
Status CheckAllowed(const ServerConfig& config, const std::string& field,
                    const std::string& registry) {
  if (RegistryAllowed(config, registry)) return Ok();
  return MakeError(ErrorCode::kAuth, "the " + field +
                                         " registry is not in the server's allowed_registries; "
                                         "ask its operator to allow it");
}

}  // namespace

Result<PreparedJob> PrepareJob(const std::string& type, const json& request,
                               const ServerConfig& config) {
  Result<PreparedJob> p = type == "replicate"        ? PrepareReplicate(request)
                          : type == "replicate-tree" ? PrepareTree(request)
                          : type == "sync"           ? PrepareSync(request, config)
                                                     : MakeError(ErrorCode::kInvalidArgument,
                                                                 "unknown job type " + type.substr(0, 64));
  if (!p) return p;
  // Settings of the server's config come after the sync file's own (first match wins).
  for (const auto& r : config.registries)
    p->pool.overrides.push_back(replication::ToOverride(r));
  p->pool.insecure_hosts.insert(config.insecure_registries.begin(),
                                config.insecure_registries.end());
  p->pool.ca_file = config.ca_file;
  p->pool.auth_file = config.auth_file;
  p->pool.retry = config.retry;
  p->engine = {.dry_run = request.value("dry_run", false),
               .force = request.value("force", false),
               .blob_concurrency = config.blob_concurrency,
               .max_transfers = config.max_transfers};
  return p;
}

Result<json> ValidateJobRequest(const std::string& type, const json& request,
                                const ServerConfig& config) {
  auto prepared = PrepareJob(type, request, config);
  if (!prepared) return tl::unexpected(prepared.error());
  // Syncs named in the config are the operator's own: trusted as they stand.
  if (prepared->task) {
    if (Status s = CheckAllowed(config, "source", prepared->task->source.repository.registry); !s)
      return tl::unexpected(s.error());
    if (Status s =
            CheckAllowed(config, "destination", prepared->task->destination.repository.registry);
        !s)
      return tl::unexpected(s.error());
    return Normalized(request, kReplicateFields);
  }
  if (type == "replicate-tree") {
    for (const auto& m : prepared->mappings) {
      if (Status s = CheckAllowed(config, "source", m.source.registry); !s)
        return tl::unexpected(s.error());
      if (Status s = CheckAllowed(config, "destination", m.destination.registry); !s)
        return tl::unexpected(s.error());
    }
    return Normalized(request, kTreeFields);
  }
  return Normalized(request, kSyncFields);
}

}  // namespace freightliner::server
