#pragma once
// What an API or schedule request must be before it becomes a job, and what a job runs, rebuilt
// from its stored request each time it starts or resumes.
//
//   auto stored = ValidateJobRequest("replicate", body, config);  // 400 / 403 as an Error
//   auto prepared = PrepareJob("replicate", *stored, config);       // at run time

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "registry/client_pool.hpp"
#include "replication/engine.hpp"
#include "replication/fleet_run.hpp"
#include "server/config.hpp"

namespace freightliner::server {

// Caps on what one request may carry, so that a stored job stays small.
inline constexpr size_t kMaxRequestString = 4096;
inline constexpr size_t kMaxRequestListEntries = 256;

// What a job runs.
struct PreparedJob {
  std::vector<replication::SyncMapping> mappings;  // tree and sync
  // A sync narrowed to a tag the source deleted (request "delete": true): `mappings` are those
  // that propagate deletes, and these the whole file's, which judge what else a delete by digest
  // may take along (replication/tag_delete.hpp).
  std::optional<std::vector<replication::SyncMapping>> deletion;
  std::optional<replication::CopyTask> task;  // replicate
  registry::ClientPoolOptions pool;
  replication::EngineOptions engine;
};

// Checks a request of `type` (replicate, replicate-tree, sync): known fields of the right kinds
// and sizes, references that parse, patterns that compile, a sync the config names, and, for
// replicate and replicate-tree, a source and destination that `config.allowed_registries`
// allows (checked before any connection: kAuth, whose message does not depend on whether the
// registry exists). Returns the request to store: the checked fields only.
Result<nlohmann::json> ValidateJobRequest(const std::string& type, const nlohmann::json& request,
                                          const ServerConfig& config);

// Builds what a stored (validated) request runs, with the server's registry settings.
Result<PreparedJob> PrepareJob(const std::string& type, const nlohmann::json& request,
                               const ServerConfig& config);

}  // namespace freightliner::server
