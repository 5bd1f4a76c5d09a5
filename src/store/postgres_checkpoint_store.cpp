#include "store/postgres_checkpoint_store.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <utility>

namespace freightliner::store {
namespace {

using replication::RunRecord;
using replication::TaskRecord;
using replication::TaskState;
using state::pg::Connection;
using state::pg::P;
using state::pg::Rows;

int64_t NowSeconds() {
  return static_cast<int64_t>(std::time(nullptr));
}

TaskState StateFromName(const std::string& name) {
  for (TaskState s : {TaskState::kDone, TaskState::kUpToDate, TaskState::kFailed}) {
    if (name == replication::TaskStateName(s)) return s;
  }
  return TaskState::kPending;
}

constexpr const char* kRunColumns =
    "SELECT r.id, r.kind, r.spec, r.status, r.created_at, r.updated_at, "
    "(SELECT count(*) FROM tasks t WHERE t.run_id = r.id), "
    "(SELECT count(*) FROM tasks t WHERE t.run_id = r.id AND t.state IN ('done','up_to_date')), "
    "(SELECT count(*) FROM tasks t WHERE t.run_id = r.id AND t.state = 'failed'), "
    "r.plan_complete FROM runs r ";

RunRecord RunOf(const Rows& rows, int i) {
  return {.id = rows.Text(i, 0),
          .kind = rows.Text(i, 1),
          .spec = rows.Text(i, 2),
          .status = rows.Text(i, 3),
          .created_at = rows.Int(i, 4),
          .updated_at = rows.Int(i, 5),
          .tasks_total = rows.Int(i, 6),
          .tasks_done = rows.Int(i, 7),
          .tasks_failed = rows.Int(i, 8),
          .plan_complete = rows.Text(i, 9) == "t"};
}

Status Done(const Result<Rows>& rows) {
  if (!rows) return tl::unexpected(rows.error());
  return Ok();
}

Status InsertTasks(Connection& conn, const std::string& run_id,
                   const std::vector<TaskRecord>& tasks) {
  for (const TaskRecord& t : tasks) {
    if (Status s =
            Done(conn.Exec("INSERT INTO tasks(run_id, seq, source, destination, platforms) "
                           "VALUES($1,$2,$3,$4,$5)",
                           {P(run_id), P(t.seq), P(t.source), P(t.destination), P(t.platforms)}));
        !s) {
      return s;
    }
  }
  return Ok();
}

Status CompletePlanIn(Connection& conn, const std::string& run_id) {
  return Done(conn.Exec(
      "UPDATE runs SET status = 'running', plan_complete = true, updated_at = $1 WHERE id = $2",
      {P(NowSeconds()), P(run_id)}));
}

}  // namespace

Result<std::unique_ptr<PostgresCheckpointStore>> PostgresCheckpointStore::Open(
    const std::string& dsn, const std::string& password) {
  auto session = state::pg::Session::Open(dsn, password);
  if (!session) return tl::unexpected(session.error());
  return std::unique_ptr<PostgresCheckpointStore>(
      new PostgresCheckpointStore(std::move(*session), std::nullopt));
}

std::unique_ptr<replication::CheckpointStore> PostgresCheckpointStore::Fenced(
    const replication::WriteFence& fence) {
  return std::unique_ptr<replication::CheckpointStore>(
      new PostgresCheckpointStore(session_, fence));
}

// FOR SHARE holds the job's row until the commit: a replica taking the job over (which updates
// the row) waits for this write, then finds it done; or it went first, and this write is refused.
Status PostgresCheckpointStore::Write(const std::function<Status(Connection&)>& write) {
  return session_->With([&](Connection& conn) -> Status {
    state::pg::Transaction tx(conn);
    if (Status s = tx.Begin(); !s) return s;
    if (fence_) {
      auto held = conn.Exec(
          "SELECT fence, status IN ('queued','running') FROM jobs WHERE id = $1 FOR SHARE",
          {P(fence_->job_id)});
      if (!held) return tl::unexpected(held.error());
      using replication::FenceLoss;
      if (held->size() == 0 || held->Text(0, 1) != "t") {
        return tl::unexpected(replication::FencedOut(*fence_, FenceLoss::kEnded));
      }
      if (held->Int(0, 0) != fence_->fence) {
        return tl::unexpected(replication::FencedOut(*fence_, FenceLoss::kTakenOver));
      }
    }
    if (Status s = write(conn); !s) return s;
    return tx.Commit();
  });
}

Result<std::string> PostgresCheckpointStore::CreateRun(const std::string& kind,
                                                       const std::string& spec) {
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const std::string id = replication::NewRunId();
    bool taken = false;
    Status created = Write([&](Connection& conn) -> Status {
      const int64_t now = NowSeconds();
      auto rows = conn.Exec(
          "INSERT INTO runs(id, kind, spec, status, created_at, updated_at) "
          "VALUES($1,$2,$3,'planning',$4,$4) ON CONFLICT (id) DO NOTHING",
          {P(id), P(kind), P(spec), P(now)});
      if (!rows) return tl::unexpected(rows.error());
      taken = rows->affected() == 0;
      return Ok();
    });
    if (!created) return tl::unexpected(created.error());
    if (!taken) return id;
  }
  return MakeError(ErrorCode::kInternal,
                   "no free run id after " + std::to_string(kAttempts) + " attempts");
}

Status PostgresCheckpointStore::ClearPlan(const std::string& run_id) {
  return Write([&](Connection& conn) -> Status {
    if (Status s = Done(conn.Exec("DELETE FROM tasks WHERE run_id = $1", {P(run_id)})); !s) {
      return s;
    }
    return Done(
        conn.Exec("UPDATE runs SET status = 'planning', plan_complete = false, updated_at = $1 "
                  "WHERE id = $2",
                  {P(NowSeconds()), P(run_id)}));
  });
}

Status PostgresCheckpointStore::AddTasks(const std::string& run_id,
                                         const std::vector<TaskRecord>& tasks) {
  return Write([&](Connection& conn) { return InsertTasks(conn, run_id, tasks); });
}

Status PostgresCheckpointStore::CompletePlan(const std::string& run_id) {
  return Write([&](Connection& conn) { return CompletePlanIn(conn, run_id); });
}

Status PostgresCheckpointStore::SavePlan(const std::string& run_id,
                                         const std::vector<TaskRecord>& tasks) {
  return Write([&](Connection& conn) -> Status {
    if (Status s = InsertTasks(conn, run_id, tasks); !s) return s;
    return CompletePlanIn(conn, run_id);
  });
}

Status PostgresCheckpointStore::RecordTask(const std::string& run_id, const TaskRecord& task) {
  return Write([&](Connection& conn) -> Status {
    if (Status s = Done(conn.Exec(
            "UPDATE tasks SET state = $1, digest = $2, bytes = $3, error = $4 "
            "WHERE run_id = $5 AND seq = $6",
            {P(replication::TaskStateName(task.state)), P(task.digest),
             P(static_cast<int64_t>(task.bytes)), P(task.error), P(run_id), P(task.seq)}));
        !s) {
      return s;
    }
    if (!replication::LeavesWholeImage(task)) return Ok();
    return Done(
        conn.Exec("INSERT INTO destination_tags(destination, digest, seen_at) VALUES($1,$2,$3) "
                  "ON CONFLICT (destination) DO UPDATE SET digest = excluded.digest, "
                  "seen_at = excluded.seen_at",
                  {P(task.destination), P(task.digest), P(NowSeconds())}));
  });
}

std::string PostgresCheckpointStore::LastDigest(const std::string& destination) {
  auto rows = session_->With([&](Connection& conn) {
    return conn.Exec("SELECT digest FROM destination_tags WHERE destination = $1",
                     {P(destination)});
  });
  return rows ? rows->Text(0, 0) : "";
}

Status PostgresCheckpointStore::SetStatus(const std::string& run_id, const std::string& status) {
  return Write([&](Connection& conn) {
    return Done(conn.Exec("UPDATE runs SET status = $1, updated_at = $2 WHERE id = $3",
                          {P(status), P(NowSeconds()), P(run_id)}));
  });
}

Result<std::optional<RunRecord>> PostgresCheckpointStore::GetRun(const std::string& run_id) {
  auto rows = session_->With([&](Connection& conn) {
    return conn.Exec(std::string(kRunColumns) + "WHERE r.id = $1", {P(run_id)});
  });
  if (!rows) return tl::unexpected(rows.error());
  if (rows->size() == 0) return std::optional<RunRecord>();
  return std::optional<RunRecord>(RunOf(*rows, 0));
}

Result<std::vector<RunRecord>> PostgresCheckpointStore::ListRuns() {
  auto rows = session_->With([&](Connection& conn) {
    return conn.Exec(std::string(kRunColumns) + "ORDER BY r.created_at, r.id");
  });
  if (!rows) return tl::unexpected(rows.error());
  std::vector<RunRecord> runs;
  for (int i = 0; i < rows->size(); ++i)
    runs.push_back(RunOf(*rows, i));
  return runs;
}

Result<std::vector<TaskRecord>> PostgresCheckpointStore::Tasks(const std::string& run_id) {
  auto rows = session_->With([&](Connection& conn) {
    return conn.Exec(
        "SELECT seq, source, destination, platforms, state, digest, bytes, error FROM tasks "
        "WHERE run_id = $1 ORDER BY seq",
        {P(run_id)});
  });
  if (!rows) return tl::unexpected(rows.error());
  std::vector<TaskRecord> tasks;
  for (int i = 0; i < rows->size(); ++i) {
    tasks.push_back({.seq = rows->Int(i, 0),
                     .source = rows->Text(i, 1),
                     .destination = rows->Text(i, 2),
                     .platforms = rows->Text(i, 3),
                     .state = StateFromName(rows->Text(i, 4)),
                     .digest = rows->Text(i, 5),
                     .bytes = static_cast<uint64_t>(rows->Int(i, 6)),
                     .error = rows->Text(i, 7)});
  }
  return tasks;
}

Result<bool> PostgresCheckpointStore::DeleteRun(const std::string& run_id) {
  auto rows = session_->With(
      [&](Connection& conn) { return conn.Exec("DELETE FROM runs WHERE id = $1", {P(run_id)}); });
  if (!rows) return tl::unexpected(rows.error());
  return rows->affected() > 0;
}

// The blob memory is a hint: a failure to read or write it costs a mount, never a copy.
std::optional<std::string> PostgresCheckpointStore::RepositoryWith(const std::string& registry,
                                                                   const std::string& digest,
                                                                   const std::string& except) {
  auto rows = session_->With([&](Connection& conn) {
    return conn.Exec(
        "SELECT repo FROM blob_locations WHERE registry = $1 AND digest = $2 AND repo != $3 "
        "ORDER BY seen_at DESC LIMIT 1",
        {P(registry), P(digest), P(except)});
  });
  if (!rows || rows->size() == 0) return std::nullopt;
  return rows->Text(0, 0);
}

void PostgresCheckpointStore::Remember(const std::string& registry, const std::string& repo,
                                       const std::string& digest) {
  auto rows = session_->With([&](Connection& conn) {
    return conn.Exec(
        "INSERT INTO blob_locations(registry, digest, repo, seen_at) VALUES($1,$2,$3,$4) "
        "ON CONFLICT (registry, digest, repo) DO UPDATE SET seen_at = excluded.seen_at",
        {P(registry), P(digest), P(repo), P(NowSeconds())});
  });
  if (!rows)
    spdlog::warn("cannot remember blob {} in {}: {}", digest, repo, rows.error().ToString());
}

void PostgresCheckpointStore::Forget(const std::string& registry, const std::string& repo,
                                     const std::string& digest) {
  auto rows = session_->With([&](Connection& conn) {
    return conn.Exec("DELETE FROM blob_locations WHERE registry = $1 AND digest = $2 AND repo = $3",
                     {P(registry), P(digest), P(repo)});
  });
  // Like Remember, a hint only: the next run tries this mount again and the registry refuses it.
  if (!rows) spdlog::warn("cannot forget blob {} in {}: {}", digest, repo, rows.error().ToString());
}

}  // namespace freightliner::store
