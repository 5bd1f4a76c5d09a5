#include "replication/checkpoint_store.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace freightliner::replication {
namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TaskState StateFromName(std::string_view name) {
  if (name == "done") return TaskState::kDone;
  if (name == "up_to_date") return TaskState::kUpToDate;
  if (name == "failed") return TaskState::kFailed;
  return TaskState::kPending;
}

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  spec TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  plan_complete INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS tasks (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  source TEXT NOT NULL,
  destination TEXT NOT NULL,
  platforms TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'pending',
  digest TEXT NOT NULL DEFAULT '',
  bytes INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS destination_tags (
  destination TEXT PRIMARY KEY,
  digest TEXT NOT NULL,
  seen_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS blob_locations (
  registry TEXT NOT NULL,
  digest TEXT NOT NULL,
  repo TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (registry, digest, repo)
) WITHOUT ROWID;
)";

}  // namespace

std::string NewRunId() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof(suffix), "%04x", rd() & 0xffff);
  return std::string(stamp) + "-" + suffix;
}

bool LeavesWholeImage(const TaskRecord& task) {
  return (task.state == TaskState::kDone || task.state == TaskState::kUpToDate) &&
         task.platforms.empty() && !task.digest.empty() && !task.destination.empty();
}

std::string_view TaskStateName(TaskState s) {
  switch (s) {
    case TaskState::kPending:
      return "pending";
    case TaskState::kDone:
      return "done";
    case TaskState::kUpToDate:
      return "up_to_date";
    case TaskState::kFailed:
      return "failed";
  }
  return "pending";
}

std::string DefaultStateDir() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && xdg[0] != '\0') {
    return std::string(xdg) + "/freightliner";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/state/freightliner";
}

namespace {
constexpr std::string_view kTakenOverMark = "its lease was taken over";
}  // namespace

Error FencedOut(const WriteFence& fence, FenceLoss loss) {
  return Error{
      ErrorCode::kCanceled,
      "job " + fence.job_id + ": " +
          (loss == FenceLoss::kTakenOver ? std::string(kTakenOverMark) : std::string("it ended")) +
          " (fence " + std::to_string(fence.fence) + "); checkpoint write refused"};
}

bool IsTakeover(const Error& error) {
  return error.code == ErrorCode::kCanceled &&
         error.message.find(kTakenOverMark) != std::string::npos;
}

Result<std::unique_ptr<SqliteCheckpointStore>> SqliteCheckpointStore::Open(
    const std::string& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot create state directory " + state_dir + ": " + ec.message());
  }
  auto db = state::Database::Open(state_dir + "/freightliner.db");
  if (!db) return tl::unexpected(db.error());
  auto shared = std::make_shared<Shared>();
  shared->db = std::move(*db);
  std::unique_ptr<SqliteCheckpointStore> store(
      new SqliteCheckpointStore(std::move(shared), std::nullopt));
  if (Status s = store->Migrate(); !s) return tl::unexpected(s.error());
  return store;
}

Result<bool> SqliteCheckpointStore::RunsHavePlanComplete() {
  auto columns =
      shared_->db->Prepare("SELECT 1 FROM pragma_table_info('runs') WHERE name = 'plan_complete'");
  if (!columns) return tl::unexpected(columns.error());
  return (*columns)->Step();
}

Status SqliteCheckpointStore::Migrate() {
  if (Status s = shared_->db->Exec(kSchema); !s) return s;
  // Databases from before plans were stored repository by repository: their runs' plans were
  // stored whole, hence complete.
  auto has = RunsHavePlanComplete();
  if (!has) return tl::unexpected(has.error());
  if (*has) return Ok();
  Status added =
      shared_->db->Exec("ALTER TABLE runs ADD COLUMN plan_complete INTEGER NOT NULL DEFAULT 1");
  if (added) return Ok();
  // Another process opening the same old database may have added it first.
  has = RunsHavePlanComplete();
  return has && *has ? Ok() : added;
}

// Fencing matters in cluster mode only, but the check is the same SQL on the same `jobs` table
// (a fenced view exists only where a job store shares this file).
Status SqliteCheckpointStore::WriteLocked(const std::function<Status()>& write) {
  state::Transaction tx(*shared_->db);
  if (Status s = tx.Begin(); !s) return s;
  if (fence_) {
    auto held =
        shared_->db->Prepare("SELECT fence, status IN ('queued','running') FROM jobs WHERE id = ?");
    if (!held) return tl::unexpected(held.error());
    (*held)->Bind(1, fence_->job_id);
    auto row = (*held)->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row || (*held)->Int(1) == 0) {
      return tl::unexpected(FencedOut(*fence_, FenceLoss::kEnded));
    }
    if ((*held)->Int(0) != fence_->fence) {
      return tl::unexpected(FencedOut(*fence_, FenceLoss::kTakenOver));
    }
  }
  if (Status s = write(); !s) return s;
  return tx.Commit();
}

std::unique_ptr<CheckpointStore> SqliteCheckpointStore::Fenced(const WriteFence& fence) {
  return std::unique_ptr<CheckpointStore>(new SqliteCheckpointStore(shared_, fence));
}

Result<std::string> SqliteCheckpointStore::CreateRun(const std::string& kind,
                                                     const std::string& spec) {
  std::lock_guard lock(shared_->mu);
  const std::string id = NewRunId();
  Status created = WriteLocked([&]() -> Status {
    auto st = shared_->db->Prepare(
        "INSERT INTO runs(id, kind, spec, status, created_at, updated_at, plan_complete) "
        "VALUES(?,?,?,?,?,?,0)");
    if (!st) return tl::unexpected(st.error());
    const int64_t now = NowSeconds();
    (*st)->Bind(1, id).Bind(2, kind).Bind(3, spec).Bind(4, "planning").Bind(5, now).Bind(6, now);
    return (*st)->Run();
  });
  if (!created) return tl::unexpected(created.error());
  return id;
}

Status SqliteCheckpointStore::ClearPlan(const std::string& run_id) {
  std::lock_guard lock(shared_->mu);
  return WriteLocked([&]() -> Status {
    auto clear = shared_->db->Prepare("DELETE FROM tasks WHERE run_id = ?");
    if (!clear) return tl::unexpected(clear.error());
    if (Status s = (*clear)->Bind(1, run_id).Run(); !s) return s;
    auto status = shared_->db->Prepare(
        "UPDATE runs SET status = 'planning', plan_complete = 0, updated_at = ? WHERE id = ?");
    if (!status) return tl::unexpected(status.error());
    return (*status)->Bind(1, NowSeconds()).Bind(2, run_id).Run();
  });
}

Status SqliteCheckpointStore::InsertTasksLocked(const std::string& run_id,
                                                const std::vector<TaskRecord>& tasks) {
  auto insert = shared_->db->Prepare(
      "INSERT INTO tasks(run_id, seq, source, destination, platforms, state) "
      "VALUES(?,?,?,?,?,'pending')");
  if (!insert) return tl::unexpected(insert.error());
  for (const TaskRecord& t : tasks) {
    (*insert)->Reset();
    (*insert)
        ->Bind(1, run_id)
        .Bind(2, t.seq)
        .Bind(3, t.source)
        .Bind(4, t.destination)
        .Bind(5, t.platforms);
    if (Status s = (*insert)->Run(); !s) return s;
  }
  return Ok();
}

Status SqliteCheckpointStore::CompletePlanLocked(const std::string& run_id) {
  auto st = shared_->db->Prepare(
      "UPDATE runs SET status = 'running', plan_complete = 1, updated_at = ? WHERE id = ?");
  if (!st) return tl::unexpected(st.error());
  return (*st)->Bind(1, NowSeconds()).Bind(2, run_id).Run();
}

Status SqliteCheckpointStore::AddTasks(const std::string& run_id,
                                       const std::vector<TaskRecord>& tasks) {
  std::lock_guard lock(shared_->mu);
  return WriteLocked([&] { return InsertTasksLocked(run_id, tasks); });
}

Status SqliteCheckpointStore::CompletePlan(const std::string& run_id) {
  std::lock_guard lock(shared_->mu);
  return WriteLocked([&] { return CompletePlanLocked(run_id); });
}

Status SqliteCheckpointStore::SavePlan(const std::string& run_id,
                                       const std::vector<TaskRecord>& tasks) {
  std::lock_guard lock(shared_->mu);
  return WriteLocked([&]() -> Status {
    if (Status s = InsertTasksLocked(run_id, tasks); !s) return s;
    return CompletePlanLocked(run_id);
  });
}

Status SqliteCheckpointStore::RecordTask(const std::string& run_id, const TaskRecord& task) {
  std::lock_guard lock(shared_->mu);
  return WriteLocked([&]() -> Status {
    auto st = shared_->db->Prepare(
        "UPDATE tasks SET state = ?, digest = ?, bytes = ?, error = ? WHERE run_id = ? AND seq = "
        "?");
    if (!st) return tl::unexpected(st.error());
    (*st)
        ->Bind(1, TaskStateName(task.state))
        .Bind(2, task.digest)
        .Bind(3, static_cast<int64_t>(task.bytes))
        .Bind(4, task.error)
        .Bind(5, run_id)
        .Bind(6, task.seq);
    if (Status s = (*st)->Run(); !s) return s;
    if (!LeavesWholeImage(task)) return Ok();
    auto tag = shared_->db->Prepare(
        "INSERT OR REPLACE INTO destination_tags(destination, digest, seen_at) VALUES(?,?,?)");
    if (!tag) return tl::unexpected(tag.error());
    return (*tag)->Bind(1, task.destination).Bind(2, task.digest).Bind(3, NowSeconds()).Run();
  });
}

std::string SqliteCheckpointStore::LastDigest(const std::string& destination) {
  std::lock_guard lock(shared_->mu);
  auto st = shared_->db->Prepare("SELECT digest FROM destination_tags WHERE destination = ?");
  if (!st) return "";
  (*st)->Bind(1, destination);
  auto row = (*st)->Step();
  return row && *row ? (*st)->Text(0) : "";
}

Status SqliteCheckpointStore::SetStatus(const std::string& run_id, const std::string& status) {
  std::lock_guard lock(shared_->mu);
  return WriteLocked([&]() -> Status {
    auto st = shared_->db->Prepare("UPDATE runs SET status = ?, updated_at = ? WHERE id = ?");
    if (!st) return tl::unexpected(st.error());
    return (*st)->Bind(1, status).Bind(2, NowSeconds()).Bind(3, run_id).Run();
  });
}

namespace {
constexpr const char* kRunColumns =
    "SELECT r.id, r.kind, r.spec, r.status, r.created_at, r.updated_at, "
    "(SELECT COUNT(*) FROM tasks t WHERE t.run_id = r.id), "
    "(SELECT COUNT(*) FROM tasks t WHERE t.run_id = r.id AND t.state IN ('done','up_to_date')), "
    "(SELECT COUNT(*) FROM tasks t WHERE t.run_id = r.id AND t.state = 'failed'), "
    "r.plan_complete FROM runs r ";

RunRecord ReadRun(const state::Statement& st) {
  return RunRecord{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Int(4),
                   st.Int(5),  st.Int(6),  st.Int(7),  st.Int(8),  st.Int(9) != 0};
}
}  // namespace

Result<std::optional<RunRecord>> SqliteCheckpointStore::GetRun(const std::string& run_id) {
  std::lock_guard lock(shared_->mu);
  auto st = shared_->db->Prepare(std::string(kRunColumns) + "WHERE r.id = ?");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, run_id);
  auto row = (*st)->Step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<RunRecord>();
  return std::optional<RunRecord>(ReadRun(**st));
}

Result<std::vector<RunRecord>> SqliteCheckpointStore::ListRuns() {
  std::lock_guard lock(shared_->mu);
  auto st = shared_->db->Prepare(std::string(kRunColumns) + "ORDER BY r.created_at, r.id");
  if (!st) return tl::unexpected(st.error());
  std::vector<RunRecord> runs;
  while (true) {
    auto row = (*st)->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return runs;
    runs.push_back(ReadRun(**st));
  }
}

Result<std::vector<TaskRecord>> SqliteCheckpointStore::Tasks(const std::string& run_id) {
  std::lock_guard lock(shared_->mu);
  auto st = shared_->db->Prepare(
      "SELECT seq, source, destination, platforms, state, digest, bytes, error FROM tasks "
      "WHERE run_id = ? ORDER BY seq");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, run_id);
  std::vector<TaskRecord> tasks;
  while (true) {
    auto row = (*st)->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return tasks;
    const auto& s = **st;
    tasks.push_back(TaskRecord{s.Int(0), s.Text(1), s.Text(2), s.Text(3), StateFromName(s.Text(4)),
                               s.Text(5), static_cast<uint64_t>(s.Int(6)), s.Text(7)});
  }
}

Result<bool> SqliteCheckpointStore::DeleteRun(const std::string& run_id) {
  std::lock_guard lock(shared_->mu);
  auto st = shared_->db->Prepare("DELETE FROM runs WHERE id = ?");
  if (!st) return tl::unexpected(st.error());
  if (Status s = (*st)->Bind(1, run_id).Run(); !s) return tl::unexpected(s.error());
  return shared_->db->Changes() > 0;
}

// The blob memory is a hint: a failure to read or write it costs a mount, never a copy.
std::optional<std::string> SqliteCheckpointStore::RepositoryWith(const std::string& registry,
                                                                 const std::string& digest,
                                                                 const std::string& except) {
  std::lock_guard lock(shared_->mu);
  auto st = shared_->db->Prepare(
      "SELECT repo FROM blob_locations WHERE registry = ? AND digest = ? AND repo != ? "
      "ORDER BY seen_at DESC LIMIT 1");
  if (!st) return std::nullopt;
  (*st)->Bind(1, registry).Bind(2, digest).Bind(3, except);
  auto row = (*st)->Step();
  if (!row || !*row) return std::nullopt;
  return (*st)->Text(0);
}

void SqliteCheckpointStore::Remember(const std::string& registry, const std::string& repo,
                                     const std::string& digest) {
  std::lock_guard lock(shared_->mu);
  auto st = shared_->db->Prepare(
      "INSERT OR REPLACE INTO blob_locations(registry, digest, repo, seen_at) VALUES(?,?,?,?)");
  Status s = st ? (*st)->Bind(1, registry).Bind(2, digest).Bind(3, repo).Bind(4, NowSeconds()).Run()
                : Status(tl::unexpected(st.error()));
  if (!s) spdlog::warn("cannot remember blob {} in {}: {}", digest, repo, s.error().ToString());
}

void SqliteCheckpointStore::Forget(const std::string& registry, const std::string& repo,
                                   const std::string& digest) {
  std::lock_guard lock(shared_->mu);
  auto st = shared_->db->Prepare(
      "DELETE FROM blob_locations WHERE registry = ? AND digest = ? AND repo = ?");
  Status s = st ? (*st)->Bind(1, registry).Bind(2, digest).Bind(3, repo).Run()
                : Status(tl::unexpected(st.error()));
  // Like Remember, a hint only: the next run tries this mount again and the registry refuses it.
  if (!s) spdlog::warn("cannot forget blob {} in {}: {}", digest, repo, s.error().ToString());
}

}  // namespace freightliner::replication
