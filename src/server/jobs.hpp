#pragma once
// Jobs of the server: a replication, a tree copy or a named sync, submitted through the API or a
// schedule, persisted in a job store (store/job_store.hpp) with their checkpoints. A restart runs
// the queued jobs and resumes the interrupted ones where their checkpoint stands.
//
//   JobManager jobs(config, store, metrics, transport);
//   jobs.Start();
//   auto job = jobs.Submit("replicate", {{"source", "..."}, {"destination", "..."}}, "api");

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "http/transport.hpp"
#include "registry/client_pool.hpp"
#include "replication/checkpoint_store.hpp"
#include "replication/worker_pool.hpp"
#include "server/config.hpp"
#include "server/job_request.hpp"
#include "server/metrics.hpp"
#include "store/job_store.hpp"

namespace freightliner::server {

// Job states as the API shows them.
inline constexpr const char* kJobStates[] = {"queued", "running", "succeeded", "failed",
                                             "canceled"};

// A page of GET /api/v1/jobs: newest first.
struct JobQuery {
  std::string status;  // empty: any
  std::string type;    // empty: any
  int limit = 100;
  std::string cursor;  // empty: from the newest; else a next_cursor of an earlier page
};
struct JobPage {
  nlohmann::json jobs = nlohmann::json::array();
  std::optional<std::string> next_cursor;  // none on the last page
};

// Thread-safe. Every stored row is checked as it is read: one that does not parse, or lacks what
// a job needs, is quarantined (failed, "corrupt record"), never thrown on. A write that fails is
// logged and counted (freightliner_store_errors_total), and the fields it carried stay visible
// through the API until a later write succeeds.
class JobManager {
 public:
  JobManager(const ServerConfig& config, replication::CheckpointStore& checkpoints,
             store::JobStore& jobs, Metrics& metrics, std::shared_ptr<http::Transport> transport);
  ~JobManager();  // Shutdown() with no grace
  JobManager(const JobManager&) = delete;
  JobManager& operator=(const JobManager&) = delete;

  // Creates the jobs table, queues the jobs a previous process left queued or running, and
  // starts the runners and the scheduler.
  Status Start();

  // Checks the request (an invalid one is an kInvalidArgument error naming the field) and
  // queues a job. Returns the job as the API shows it.
  // `extra`: fields added to the stored job (a push event's `event_time`).
  Result<nlohmann::json> Submit(const std::string& type, const nlohmann::json& request,
                                const std::string& trigger,
                                const nlohmann::json& extra = nlohmann::json::object());
  // A push event's job: sync `sync` narrowed to one tag (trigger "event"). While a job for the
  // same tag still waits unclaimed in the store (submitted to any replica), the event joins it
  // (`collapsed`) instead: registries retry and repeat events. `event_time` (the earliest of the
  // joined events, kept in the job) starts freightliner_event_replication_lag_seconds, observed
  // by whichever replica runs the job when it succeeds.
  struct TagEvent {
    std::string sync, registry, repository, tag;
    std::optional<std::chrono::system_clock::time_point> event_time;
    std::string digest;  // what the push put at the tag (empty when the event did not say)
    // The tag was deleted: the job deletes it at the destinations that propagate deletes. A
    // delete and a push of one tag never join each other, and run in the order they came.
    bool deleted = false;
  };
  Result<nlohmann::json> SubmitEvent(const TagEvent& event, bool& collapsed);
  Result<nlohmann::json> Get(const std::string& id);
  Result<JobPage> List(const JobQuery& query);
  // The config's named syncs, in its order: {name, schedules: [{every_seconds}], next_run (Unix
  // seconds, null when unscheduled), next_run_rfc3339, last_run (null, or {job_id, status,
  // trigger, created_at, started_at, finished_at (each with its _rfc3339 twin), error})}.
  Result<nlohmann::json> Syncs();
  // Cancels a queued or running job (running transfers stop promptly). kNotFound for an unknown
  // id; kClientError for a job that already ended.
  Result<nlohmann::json> Cancel(const std::string& id);

  // Stops taking jobs, asks running ones to stop (they keep their checkpoints, and stay
  // "running" in the store so that the next start resumes them) and waits up to `grace`.
  void Shutdown(std::chrono::seconds grace);

  replication::WorkerPool& workers() { return workers_; }

  // False from a failed write until a write (or the periodic probe) succeeds.
  bool store_writable() const { return store_writable_; }
  // True once the store's integrity check (at start, then every 10 minutes) or an error said
  // the database is malformed; until a restart with a repaired or new database.
  bool store_corrupt() const { return store_corrupt_; }
  // Deletes ended jobs (and their checkpoints) older than config.job_retention, and the oldest
  // ended ones beyond config.max_jobs. Returns how many jobs went. Runs at Start and periodically.
  Result<int> Purge();

 private:
  struct Live;  // a running job's stop source and progress

  Status Insert(const std::string& id, const std::string& type, const nlohmann::json& request,
                const std::string& trigger, const nlohmann::json& extra);
  // `fence`: the write of a lease holder, refused (kCanceled) when the lease was taken over or
  // the job ended meanwhile (canceled from another replica). `unfinished_only`: refused
  // (kCanceled) when the job ended meanwhile.
  Status Update(const std::string& id, const nlohmann::json& fields,
                std::optional<int64_t> fence = std::nullopt, bool unfinished_only = false);
  // Update, and on failure: logged, counted, and the fields kept in unsaved_ (held, retried
  // later). A lease holder's write that is refused is dropped.
  enum class Persisted { kSaved, kHeld, kRefused };
  Persisted Persist(const std::string& id, const nlohmann::json& fields,
                    std::optional<int64_t> fence = std::nullopt);
  void RetryUnsaved();
  Result<std::optional<nlohmann::json>> Load(const std::string& id);
  // The row's doc, or (quarantining the row) a minimal failed job.
  nlohmann::json ParseRow(const store::StoredJob& row);
  void StoreError(const char* operation, const Error& error);
  bool ProbeStore();
  void CheckIntegrity();
  void RunnerLoop(std::stop_token stop);
  // Renews the leases of the jobs running here; stops a job whose lease is lost.
  void LeaseLoop(std::stop_token stop);
  // Renews one running job's lease; a lease found lost (or, the store failing, about to expire)
  // stops the job.
  void RenewLease(Live& live);
  void LoseLease(Live& live);
  // kCanceled when the lease is lost: the engine then pushes no manifest.
  Status CheckLeaseBeforePut(Live& live);
  void SchedulerLoop(std::stop_token stop);
  void MaintenanceLoop(std::stop_token stop);
  // The queue's gauges, from the store (the same on every replica of a cluster).
  void ObserveQueue();
  void RunJob(const store::JobLease& lease);
  void FailAfterPanic(const store::JobLease& lease, const std::string& what) noexcept;
  void Execute(const std::string& id, const nlohmann::json& job, Live& live);
  void StoppedElsewhere(const std::string& id, Live& live);
  void AwaitEventTag(const nlohmann::json& job, registry::ClientPool& clients,
                     std::stop_token stop);
  // A delete event's job: the tag deleted at each destination that propagates deletes.
  Status PropagateDelete(const nlohmann::json& request, const PreparedJob& prepared, Live& live);
  int64_t LeaseMs() const;
  nlohmann::json WithProgress(nlohmann::json job);
  bool SyncPending(const std::string& name);
  // True for one replica per interval of the schedule (see JobStore::ClaimScheduleSlot).
  bool ClaimScheduleSlot(const Schedule& schedule);
  // The newest job of the named sync with that status (none: whatever its status);
  // `whole_runs_only` leaves dry runs and runs narrowed to one tag out.
  Result<std::optional<nlohmann::json>> LastSyncJob(const std::string& name,
                                                    std::optional<store::JobStatus> status,
                                                    bool whole_runs_only);
  // Creates every configured sync's gauges, from what the store remembers.
  void ObserveSyncs();
  const NamedSync* SyncOf(const nlohmann::json& job) const;
  // An event job ended: its lag is observed if it succeeded.
  void ObserveEventLag(const nlohmann::json& job, const std::string& status);

  const ServerConfig& config_;
  replication::CheckpointStore& checkpoints_;
  store::JobStore& jobs_;
  Metrics& metrics_;
  std::shared_ptr<http::Transport> transport_;
  replication::WorkerPool workers_;

  std::mutex mu_;
  std::condition_variable_any cv_;
  uint64_t submissions_ = 0;  // jobs submitted here: wakes a runner before its next poll (mu_)
  // Who holds this process's leases (host and process id).
  const std::string owner_;
  std::map<std::string, std::shared_ptr<Live>> running_;
  bool shutting_down_ = false;
  struct Unsaved {
    nlohmann::json fields;
    std::optional<int64_t> fence;
  };
  std::map<std::string, Unsaved> unsaved_;  // fields whose write failed, by job id (mu_)
  std::mutex event_mu_;  // held from looking for a queued event job to queueing a new one
  // When each of config_.schedules runs next, by index (mu_); empty until the scheduler starts.
  std::vector<std::chrono::system_clock::time_point> next_runs_;
  std::atomic<bool> store_writable_{true};
  std::atomic<bool> store_corrupt_{false};
  std::vector<std::jthread> runners_;
  std::jthread scheduler_;
  std::jthread maintenance_;
  std::jthread leases_;
};

}  // namespace freightliner::server
