#pragma once
// Cluster mode's checkpoints: runs, tasks, destination-tag memory and blob locations in the
// PostgreSQL database the replicas share, so that a job taken over from a dead replica resumes
// with exactly the tags it had not done, and every replica mounts blobs that any other copied.
// The tables come from PostgresJobStore's migrations (run them first).
//
//   auto store = PostgresCheckpointStore::Open(dsn, password);
//   auto fenced = (*store)->Fenced({.job_id = lease.id, .fence = lease.fence});
//   fenced->RecordTask(run_id, task);  // refused once another replica took the job

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "replication/checkpoint_store.hpp"
#include "state/postgres.hpp"

namespace freightliner::store {

class PostgresCheckpointStore final : public replication::CheckpointStore {
 public:
  // Connects (the error never holds the connection string's password).
  static Result<std::unique_ptr<PostgresCheckpointStore>> Open(const std::string& dsn,
                                                               const std::string& password = "");

  Result<std::string> CreateRun(const std::string& kind, const std::string& spec) override;
  Status ClearPlan(const std::string& run_id) override;
  Status AddTasks(const std::string& run_id,
                  const std::vector<replication::TaskRecord>& tasks) override;
  Status CompletePlan(const std::string& run_id) override;
  Status SavePlan(const std::string& run_id,
                  const std::vector<replication::TaskRecord>& tasks) override;
  Status RecordTask(const std::string& run_id, const replication::TaskRecord& task) override;
  std::string LastDigest(const std::string& destination) override;
  Status SetStatus(const std::string& run_id, const std::string& status) override;
  Result<std::optional<replication::RunRecord>> GetRun(const std::string& run_id) override;
  Result<std::vector<replication::RunRecord>> ListRuns() override;
  Result<std::vector<replication::TaskRecord>> Tasks(const std::string& run_id) override;
  Result<bool> DeleteRun(const std::string& run_id) override;
  std::unique_ptr<replication::CheckpointStore> Fenced(
      const replication::WriteFence& fence) override;

  std::optional<std::string> RepositoryWith(const std::string& registry, const std::string& digest,
                                            const std::string& except) override;
  void Remember(const std::string& registry, const std::string& repo,
                const std::string& digest) override;
  void Forget(const std::string& registry, const std::string& repo,
              const std::string& digest) override;

 private:
  PostgresCheckpointStore(std::shared_ptr<state::pg::Session> session,
                          std::optional<replication::WriteFence> fence)
      : session_(std::move(session)), fence_(std::move(fence)) {}
  // Runs `write` in one transaction on the session, after the fence check in a fenced view.
  Status Write(const std::function<Status(state::pg::Connection&)>& write);

  std::shared_ptr<state::pg::Session> session_;
  std::optional<replication::WriteFence> fence_;
};

}  // namespace freightliner::store
