#pragma once
// POST /api/v1/events/{distribution,harbor}[/REGISTRY]: registry push events become jobs, each a
// configured sync narrowed to the pushed tag (replication/narrow.hpp), within seconds of the push.
//
// The registry an event is about is the one the endpoint is bound to: REGISTRY in the URL (a
// source registry of the configured syncs), or, without it, the only source registry they have.
// Never the body's request.host, which whoever can reach the endpoint writes.
//
// Pushes by tag of manifests become jobs; so do deletes of tags, for the mappings that say
// `propagate_deletes: true` (replication/tag_delete.hpp). Pushes by digest, blob events, pulls,
// deletes by digest and other deletes are counted and ignored (the scheduled sync remains the
// backstop for pushes: distribution keeps its event queue in memory, so events can be lost; a
// lost delete leaves the tag at the destination, as a sync without propagate_deletes does).

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "server/config.hpp"
#include "server/jobs.hpp"
#include "server/metrics.hpp"

namespace freightliner::server {

class EventIntake {
 public:
  EventIntake(const ServerConfig& config, JobManager& jobs, Metrics& metrics)
      : config_(config), jobs_(jobs), metrics_(metrics) {}

  // `source`: distribution or harbor; `registry`: from the URL, empty when it names none.
  // Returns what became of the body's events: {"registry", "jobs": [ids queued], "collapsed",
  // "ignored", "invalid"}. Errors: kInvalidArgument for a body that is not an envelope or an
  // endpoint bound to no single source registry; kNotFound for a registry no sync mirrors.
  Result<nlohmann::json> Receive(const std::string& source, const std::string& registry,
                                 std::string_view body);

 private:
  const ServerConfig& config_;
  JobManager& jobs_;
  Metrics& metrics_;
};

}  // namespace freightliner::server
