#pragma once
// Every freightliner_* metric of the spec (docs/METRICS.md), plus build_info and process_*.
// Label children with bounded values are created at 0 up front (per registry pair as soon as a
// pair is seen), so the first failure or panic is visible to rate() and increase().
//
//   Metrics metrics;
//   metrics.SetWorkerPool([&] { return WorkerPoolStats{pool.size(), pool.active(), pool.queued()};
//   }); metrics.RecordReplication("src:5000", "dst:5000", {.ok = true, .seconds = 1.2, ...});

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace freightliner::server {

struct WorkerPoolStats {
  int size = 0;
  int active = 0;
  int queued = 0;
};

// How one tag's copy ended. An up-to-date tag (the destination already had it) moved nothing: it
// is neither a success nor timed, so that the success rate and the duration histogram describe
// real copies.
enum class ReplicationStatus { kSuccess, kFailed, kUpToDate };

struct ReplicationOutcome {
  ReplicationStatus status = ReplicationStatus::kFailed;
  double seconds = 0;
  uint64_t layers = 0;                     // layer blobs transferred
  ErrorCode error = ErrorCode::kInternal;  // when failed
};

inline constexpr const char* kReplicationStatuses[] = {"success", "failed", "up_to_date"};
// Distinct registries (beyond the reserved ones) that get a label value of their own.
inline constexpr size_t kMaxRegistryLabels = 100;
inline constexpr const char* kOtherRegistryLabel = "other";

inline constexpr const char* kJobTypes[] = {"replicate", "replicate-tree", "sync"};
inline constexpr const char* kJobStatuses[] = {"succeeded", "failed", "canceled"};
inline constexpr const char* kComponents[] = {"worker", "api", "scheduler"};
inline constexpr const char* kAuthFailureTypes[] = {"api_key", "registry"};
inline constexpr const char* kStoreOperations[] = {"insert", "update", "read",  "purge",
                                                   "probe",  "check",  "claim", "renew"};
inline constexpr const char* kEventSources[] = {"distribution", "harbor"};
inline constexpr const char* kEventActions[] = {"push", "delete", "pull", "ignored", "invalid"};

// Thread-safe.
class Metrics {
 public:
  Metrics(std::string version, std::string revision);

  // What the exposer serves: the families above plus process_* and the live gauges.
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  std::shared_ptr<prometheus::Collectable> process_collector() const { return process_; }

  void SetWorkerPool(std::function<WorkerPoolStats()> stats);

  // Registries always labelled by name: the exact (wildcard-free) entries of allowed_registries.
  // Entries with a `*` are skipped: what they match is chosen by API callers.
  void ReserveRegistryLabels(const std::vector<std::string>& allowed_registries);
  // The source_registry/dest_registry label value of a registry: its name for a reserved one
  // and for the first kMaxRegistryLabels others seen, then "other" (bounded series even when a
  // wildcard allow-list lets callers pick registry names).
  std::string RegistryLabel(const std::string& registry);

  // Creates the pair's children at 0 (every status and error type), and its registries'.
  void ObservePair(const std::string& source_registry, const std::string& dest_registry);
  void RecordReplication(const std::string& source_registry, const std::string& dest_registry,
                         const ReplicationOutcome& outcome);
  // Blob bytes as they stream, failed transfers included (the tag's end adds nothing more).
  void AddReplicationBytes(const std::string& source_registry, const std::string& dest_registry,
                           uint64_t bytes);

  // Creates the registry's retry counters at 0, one per reason (registry::kRetryReasons).
  void ObserveRegistry(const std::string& registry);
  // `reason`: one of registry::kRetryReasons.
  void RecordRetry(const std::string& registry, const std::string& reason);

  // A configured sync's gauges, created at start: its interval (only when `interval_seconds` is
  // set: a scheduled sync), when its last run started (0: never) and when a run last succeeded.
  void ObserveSync(const std::string& name, std::optional<double> interval_seconds,
                   double last_start, double last_success);
  void RecordSyncStart(const std::string& name, double unix_seconds);
  void RecordSyncSuccess(const std::string& name, double unix_seconds);
  // Creates the route's server-error counters (500, 503) at 0, so that the first 5xx is visible
  // to rate() and the 5xx ratio is 0, not absent, while all is well.
  void ObserveRoute(const std::string& method, const std::string& path);
  void RecordHttp(const std::string& method, const std::string& path, int status, double seconds);
  prometheus::Gauge& http_in_flight() { return *http_in_flight_; }
  void RecordPanic(const std::string& component);
  void RecordJob(const std::string& type, const std::string& status, double seconds);
  prometheus::Gauge& jobs_active() { return *jobs_active_; }
  // From the job store, so every replica of a cluster reports the same: jobs waiting for a
  // runner, and how long the oldest of them has waited (0 when none waits).
  void ObserveQueue(int64_t queued, double oldest_age_seconds);
  // Cluster mode: a job this replica claimed after its holder stopped renewing the lease (a
  // replica killed or cut off); a write refused because another replica took the lease over.
  prometheus::Counter& lease_takeovers() { return *lease_takeovers_; }
  prometheus::Counter& fencing_rejections() { return *fencing_rejections_; }
  void RecordAuthFailure(const std::string& type);
  // `operation`: one of kStoreOperations.
  void RecordStoreError(const std::string& operation);
  // A registry event received: `source` is distribution or harbor, `action` one of
  // kEventActions (push, delete, pull, ignored, invalid).
  void RecordEvent(const std::string& source, const std::string& action);
  // From an event's timestamp to the end of the job that copied its tag.
  void ObserveEventLag(double seconds);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_;

  prometheus::Family<prometheus::Counter>* replications_;
  prometheus::Family<prometheus::Histogram>* replication_duration_;
  prometheus::Family<prometheus::Counter>* replication_bytes_;
  prometheus::Family<prometheus::Counter>* replication_layers_;
  prometheus::Family<prometheus::Counter>* replication_errors_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Family<prometheus::Histogram>* http_duration_;
  prometheus::Gauge* http_in_flight_;
  prometheus::Family<prometheus::Counter>* panics_;
  prometheus::Family<prometheus::Counter>* jobs_;
  prometheus::Family<prometheus::Histogram>* job_duration_;
  prometheus::Gauge* jobs_active_;
  prometheus::Gauge* jobs_queued_;
  prometheus::Gauge* oldest_queued_age_;
  prometheus::Counter* lease_takeovers_;
  prometheus::Counter* fencing_rejections_;
  prometheus::Family<prometheus::Counter>* auth_failures_;
  prometheus::Family<prometheus::Counter>* store_errors_;
  prometheus::Family<prometheus::Counter>* registry_retries_;
  prometheus::Family<prometheus::Counter>* events_;
  prometheus::Histogram* event_lag_;
  prometheus::Family<prometheus::Gauge>* sync_last_start_;
  prometheus::Family<prometheus::Gauge>* sync_last_success_;
  prometheus::Family<prometheus::Gauge>* sync_interval_;

  void ObserveLabelledPair(const std::string& src_label, const std::string& dst_label);

  std::mutex pairs_mu_;
  std::set<std::pair<std::string, std::string>> pairs_;  // label values, not raw names
  std::set<std::string> reserved_registries_;
  std::set<std::string> labelled_registries_;  // besides the reserved ones
  bool registry_cap_logged_ = false;
  std::set<std::string> registries_;  // label values whose retry children exist
};

}  // namespace freightliner::server
