#include "store/sqlite_job_store.hpp"

#include <chrono>

namespace freightliner::store {
namespace {

constexpr const char* kColumns =
    "id, type, status, created_at, doc, sync_name, narrowed, dry_run, run_id, collapse_key, "
    "owner, lease_until, fence";
// What Insert writes; the lease columns start at their defaults.
constexpr const char* kInsertColumns =
    "id, type, status, created_at, doc, sync_name, narrowed, dry_run, run_id, collapse_key";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reads one row of kColumns. A status the enum does not know reads as failed: the manager
// checks the doc, which says what the row is.
StoredJob RowOf(const state::Statement& st) {
  return {.id = st.Text(0),
          .type = st.Text(1),
          .status = JobStatusFromName(st.Text(2)).value_or(JobStatus::kFailed),
          .created_at_ms = st.Int(3),
          .doc = st.Text(4),
          .sync_name = st.Text(5),
          .narrowed = st.Int(6) != 0,
          .dry_run = st.Int(7) != 0,
          .collapse_key = st.Text(9),
          .run_id = st.Text(8),
          .owner = st.Text(10),
          .lease_until_ms = st.Int(11),
          .fence = st.Int(12)};
}

Result<std::vector<StoredJob>> Rows(state::PreparedStatement& st) {
  std::vector<StoredJob> rows;
  for (;;) {
    auto row = st->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return rows;
    rows.push_back(RowOf(*st));
  }
}

// The first row of kColumns, if any.
Result<std::optional<StoredJob>> FirstRow(state::PreparedStatement& st) {
  auto row = st->Step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<StoredJob>();
  return std::optional<StoredJob>(RowOf(*st));
}

std::string StatusText(JobStatus status) {
  return std::string(JobStatusName(status));
}

}  // namespace

Status SqliteJobStore::Migrate() {
  std::lock_guard lock(mu_);
  Status created = db_.Exec(R"(
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at REAL NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs(created_at, id);
CREATE TABLE IF NOT EXISTS store_heartbeat (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS schedule_slots (
  name TEXT PRIMARY KEY,
  taken_at INTEGER NOT NULL
);
)");
  if (!created) return created;
  if (Status s = AddQueryColumns(); !s) return s;
  // The file is one process's: leases a previous process left (killed, or stopped mid-job)
  // would only delay the resumption of its jobs.
  return db_.Exec("UPDATE jobs SET owner = '', lease_until = 0 WHERE lease_until != 0");
}

// Databases written before the store had query columns: add them, filled from the docs (a doc
// that is not JSON leaves the defaults; it is quarantined when read). Then the lease columns.
Status SqliteJobStore::AddQueryColumns() {
  const auto has_column = [&](const char* name) -> Result<bool> {
    auto st = db_.Prepare("SELECT 1 FROM pragma_table_info('jobs') WHERE name = ?");
    if (!st) return tl::unexpected(st.error());
    return (*st)->Bind(1, name).Step();
  };
  auto has_run_id = has_column("run_id");
  if (!has_run_id) return tl::unexpected(has_run_id.error());
  auto has_fence = has_column("fence");
  if (!has_fence) return tl::unexpected(has_fence.error());
  auto has_collapse_key = has_column("collapse_key");
  if (!has_collapse_key) return tl::unexpected(has_collapse_key.error());
  if (*has_run_id && *has_fence && *has_collapse_key) return Ok();
  state::Transaction tx(db_);
  if (Status s = tx.Begin(); !s) return s;
  if (!*has_run_id) {
    Status s = db_.Exec(R"(
ALTER TABLE jobs ADD COLUMN sync_name TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN narrowed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN run_id TEXT NOT NULL DEFAULT '';
UPDATE jobs SET
  sync_name = CASE WHEN type = 'sync' AND json_valid(doc)
                   AND json_type(doc, '$.request.name') = 'text'
              THEN json_extract(doc, '$.request.name') ELSE '' END,
  narrowed = CASE WHEN json_valid(doc) AND json_type(doc, '$.request.tag') IS NOT NULL
             THEN 1 ELSE 0 END,
  dry_run = CASE WHEN json_valid(doc) AND json_type(doc, '$.request.dry_run') = 'true'
            THEN 1 ELSE 0 END,
  run_id = CASE WHEN json_valid(doc) AND json_type(doc, '$.run_id') = 'text'
           THEN json_extract(doc, '$.run_id') ELSE '' END;
CREATE INDEX IF NOT EXISTS jobs_by_sync ON jobs(sync_name, created_at);
)");
    if (!s) return s;
  }
  if (!*has_fence) {
    Status s = db_.Exec(R"(
ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
)");
    if (!s) return s;
  }
  // Event jobs queued by an earlier version joined repeats through memory: none to find now.
  if (!*has_collapse_key) {
    Status s = db_.Exec("ALTER TABLE jobs ADD COLUMN collapse_key TEXT NOT NULL DEFAULT ''");
    if (!s) return s;
  }
  return tx.Commit();
}

Status SqliteJobStore::Insert(const StoredJob& job) {
  std::lock_guard lock(mu_);
  auto exists = GetLocked(job.id);
  if (!exists) return tl::unexpected(exists.error());
  if (*exists) return MakeError(ErrorCode::kClientError, "job " + job.id + " already exists");
  auto st = db_.Prepare(std::string("INSERT INTO jobs(") + kInsertColumns +
                        ") VALUES(?,?,?,?,?,?,?,?,?,?)");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, job.id).Bind(2, job.type).Bind(3, StatusText(job.status));
  (*st)->Bind(4, job.created_at_ms).Bind(5, job.doc).Bind(6, job.sync_name);
  (*st)->Bind(7, int64_t{job.narrowed}).Bind(8, int64_t{job.dry_run}).Bind(9, job.run_id);
  (*st)->Bind(10, job.collapse_key);
  return (*st)->Run();
}

Result<std::optional<StoredJob>> SqliteJobStore::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  return GetLocked(id);
}

Result<std::optional<StoredJob>> SqliteJobStore::GetLocked(const std::string& id) {
  auto st = db_.Prepare(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, id);
  return FirstRow(*st);
}

Result<StoredJob> SqliteJobStore::Update(const std::string& id, const Change& change) {
  std::lock_guard lock(mu_);
  state::Transaction tx(db_);
  if (Status s = tx.Begin(); !s) return tl::unexpected(s.error());
  auto current = GetLocked(id);
  if (!current) return tl::unexpected(current.error());
  if (!*current) return MakeError(ErrorCode::kNotFound, "no job " + id);
  auto changed = change(**current);
  if (!changed) return changed;
  const StoredJob next = WithStoreOwnedFields(std::move(*changed), **current);
  auto st = db_.Prepare(
      "UPDATE jobs SET status = ?, doc = ?, sync_name = ?, narrowed = ?, dry_run = ?, "
      "run_id = ?, collapse_key = ? WHERE id = ?");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, StatusText(next.status)).Bind(2, next.doc).Bind(3, next.sync_name);
  (*st)->Bind(4, int64_t{next.narrowed}).Bind(5, int64_t{next.dry_run});
  (*st)->Bind(6, next.run_id).Bind(7, next.collapse_key).Bind(8, id);
  if (Status s = (*st)->Run(); !s) return tl::unexpected(s.error());
  if (Status s = tx.Commit(); !s) return tl::unexpected(s.error());
  return next;
}

Result<std::vector<StoredJob>> SqliteJobStore::List(const JobFilter& filter) {
  std::lock_guard lock(mu_);
  auto st = db_.Prepare(std::string("SELECT ") + kColumns +
                        " FROM jobs WHERE (?1 = '' OR status = ?1) AND (?2 = '' OR type = ?2) "
                        "AND (?3 = 0 OR created_at < ?4 OR (created_at = ?4 AND id < ?5)) "
                        "ORDER BY created_at DESC, id DESC LIMIT ?6");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, filter.status ? StatusText(*filter.status) : "").Bind(2, filter.type);
  (*st)->Bind(3, int64_t{filter.after.has_value()});
  (*st)->Bind(4, filter.after ? filter.after->created_at_ms : 0);
  (*st)->Bind(5, filter.after ? filter.after->id : "").Bind(6, filter.limit);
  return Rows(*st);
}

Result<std::vector<std::string>> SqliteJobStore::Unfinished() {
  std::lock_guard lock(mu_);
  auto st = db_.Prepare(
      "SELECT id FROM jobs WHERE status IN ('queued','running') ORDER BY created_at, id");
  if (!st) return tl::unexpected(st.error());
  std::vector<std::string> ids;
  for (;;) {
    auto row = (*st)->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return ids;
    ids.push_back((*st)->Text(0));
  }
}

Result<QueueStats> SqliteJobStore::Queue() {
  std::lock_guard lock(mu_);
  auto st = db_.Prepare("SELECT count(*), min(created_at) FROM jobs WHERE status = 'queued'");
  if (!st) return tl::unexpected(st.error());
  auto row = (*st)->Step();
  if (!row) return tl::unexpected(row.error());
  QueueStats stats{.queued = (*st)->Int(0)};
  if (!(*st)->IsNull(1)) stats.oldest_created_at_ms = (*st)->Int(1);
  return stats;
}

Result<std::optional<StoredJob>> SqliteJobStore::QueuedWithKey(const std::string& collapse_key) {
  std::lock_guard lock(mu_);
  auto st = db_.Prepare(std::string("SELECT ") + kColumns +
                        " FROM jobs WHERE status = 'queued' AND owner = '' AND collapse_key = ? "
                        "AND collapse_key != '' ORDER BY created_at DESC, id DESC LIMIT 1");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, collapse_key);
  return FirstRow(*st);
}

Result<std::optional<StoredJob>> SqliteJobStore::LastOfSync(const std::string& sync,
                                                            std::optional<JobStatus> status,
                                                            bool whole_runs_only) {
  std::lock_guard lock(mu_);
  auto st = db_.Prepare(std::string("SELECT ") + kColumns +
                        " FROM jobs WHERE type = 'sync' AND sync_name = ?1 AND "
                        "(?2 = '' OR status = ?2) AND (?3 = 0 OR (narrowed = 0 AND dry_run = 0)) "
                        "ORDER BY created_at DESC, id DESC LIMIT 1");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, sync).Bind(2, status ? StatusText(*status) : "");
  (*st)->Bind(3, int64_t{whole_runs_only});
  return FirstRow(*st);
}

Result<bool> SqliteJobStore::SyncRunPending(const std::string& sync) {
  std::lock_guard lock(mu_);
  auto st = db_.Prepare(
      "SELECT 1 FROM jobs WHERE type = 'sync' AND sync_name = ? AND narrowed = 0 AND "
      "status IN ('queued','running') LIMIT 1");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, sync);
  return (*st)->Step();
}

Result<std::optional<JobLease>> SqliteJobStore::Claim(const std::string& owner, int64_t lease_ms) {
  std::lock_guard lock(mu_);
  // Idle runners ask every second: finding nothing must not take the write lock.
  // The same choice as the pick below, or a job waiting behind another of its tag would take the
  // write lock every second for nothing.
  auto any = db_.Prepare(
      std::string("SELECT 1 FROM jobs WHERE status IN ('queued','running') AND lease_until < ? "
                  "AND ") +
      kNotBehindSameTag + " LIMIT 1");
  if (!any) return tl::unexpected(any.error());
  auto found_any = (*any)->Bind(1, NowMs()).Step();
  if (!found_any) return tl::unexpected(found_any.error());
  if (!*found_any) return std::optional<JobLease>();
  (*any)->Reset();
  state::Transaction tx(db_);
  if (Status s = tx.Begin(); !s) return tl::unexpected(s.error());
  const int64_t now = NowMs();
  auto pick = db_.Prepare(
      std::string("SELECT id, fence, owner FROM jobs WHERE status IN ('queued','running') AND "
                  "lease_until < ? AND ") +
      kNotBehindSameTag + " ORDER BY created_at, id LIMIT 1");
  if (!pick) return tl::unexpected(pick.error());
  auto found = (*pick)->Bind(1, now).Step();
  if (!found) return tl::unexpected(found.error());
  if (!*found) return std::optional<JobLease>();
  JobLease lease{
      .id = (*pick)->Text(0), .fence = (*pick)->Int(1) + 1, .taken_from = (*pick)->Text(2)};
  (*pick)->Reset();
  auto take = db_.Prepare("UPDATE jobs SET owner = ?, lease_until = ?, fence = ? WHERE id = ?");
  if (!take) return tl::unexpected(take.error());
  (*take)->Bind(1, owner).Bind(2, now + lease_ms).Bind(3, lease.fence).Bind(4, lease.id);
  if (Status s = (*take)->Run(); !s) return tl::unexpected(s.error());
  if (Status s = tx.Commit(); !s) return tl::unexpected(s.error());
  return std::optional<JobLease>(std::move(lease));
}

Result<bool> SqliteJobStore::Renew(const JobLease& lease, int64_t lease_ms) {
  std::lock_guard lock(mu_);
  auto st = db_.Prepare(
      "UPDATE jobs SET lease_until = ? WHERE id = ? AND fence = ? AND "
      "status IN ('queued','running')");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, NowMs() + lease_ms).Bind(2, lease.id).Bind(3, lease.fence);
  if (Status s = (*st)->Run(); !s) return tl::unexpected(s.error());
  return db_.Changes() == 1;
}

Status SqliteJobStore::Release(const JobLease& lease) {
  std::lock_guard lock(mu_);
  auto st = db_.Prepare("UPDATE jobs SET owner = '', lease_until = 0 WHERE id = ? AND fence = ?");
  if (!st) return tl::unexpected(st.error());
  return (*st)->Bind(1, lease.id).Bind(2, lease.fence).Run();
}

Result<bool> SqliteJobStore::ClaimScheduleSlot(const std::string& name, int64_t every_ms) {
  std::lock_guard lock(mu_);
  // One statement: atomic against every other connection to the file.
  auto st = db_.Prepare(
      "INSERT INTO schedule_slots(name, taken_at) VALUES(?1, ?2) ON CONFLICT(name) DO UPDATE SET "
      "taken_at = excluded.taken_at WHERE schedule_slots.taken_at <= ?2 - ?3");
  if (!st) return tl::unexpected(st.error());
  (*st)->Bind(1, name).Bind(2, NowMs()).Bind(3, every_ms);
  if (Status s = (*st)->Run(); !s) return tl::unexpected(s.error());
  return db_.Changes() == 1;
}

Result<PurgeResult> SqliteJobStore::Purge(int64_t created_before_ms, int64_t keep_ended) {
  std::lock_guard lock(mu_);
  const std::string ended = "status IN ('succeeded','failed','canceled')";
  const std::string where = ended + " AND (created_at < ?1 OR id IN (SELECT id FROM jobs WHERE " +
                            ended + " ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?2))";
  state::Transaction tx(db_);
  if (Status s = tx.Begin(); !s) return tl::unexpected(s.error());
  PurgeResult result;
  auto select = db_.Prepare("SELECT run_id FROM jobs WHERE run_id != '' AND " + where);
  if (!select) return tl::unexpected(select.error());
  (*select)->Bind(1, created_before_ms).Bind(2, keep_ended);
  for (;;) {
    auto row = (*select)->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    result.run_ids.push_back((*select)->Text(0));
  }
  auto remove = db_.Prepare("DELETE FROM jobs WHERE " + where);
  if (!remove) return tl::unexpected(remove.error());
  if (Status s = (*remove)->Bind(1, created_before_ms).Bind(2, keep_ended).Run(); !s) {
    return tl::unexpected(s.error());
  }
  result.jobs = db_.Changes();
  if (Status s = tx.Commit(); !s) return tl::unexpected(s.error());
  return result;
}

Status SqliteJobStore::Heartbeat() {
  std::lock_guard lock(mu_);
  // A locked database fails the heartbeat at once: waiting out the connection's 5 s busy
  // timeout would hold the mutex, and every API read with it, most of the time.
  const auto busy_timeout = [&](const char* pragma) { return db_.Exec(pragma); };
  if (Status s = busy_timeout("PRAGMA busy_timeout = 200"); !s) return s;
  auto st = db_.Prepare(
      "INSERT INTO store_heartbeat(id, at) VALUES(1, unixepoch()) ON CONFLICT(id) DO UPDATE SET "
      "at = excluded.at");
  Status written = st ? (*st)->Run() : Status(tl::unexpected(st.error()));
  Status restored = busy_timeout("PRAGMA busy_timeout = 5000");  // as state::Database opens it
  if (!written) return written;
  return restored;
}

// Corrupt pages in the middle of the database fail every job that reads them while the
// heartbeat still writes: a quick check (proportional to the database, which retention keeps
// bounded) finds them.
std::string SqliteJobStore::CheckIntegrity() {
  std::lock_guard lock(mu_);
  auto st = db_.Prepare("PRAGMA quick_check(1)");
  if (!st) return st.error().message;
  auto row = (*st)->Step();
  if (!row) return row.error().message;
  if (*row && (*st)->Text(0) != "ok") return (*st)->Text(0);
  return "";
}

// SQLITE_CORRUPT and SQLITE_NOTADB, as sqlite3_errmsg words them.
bool SqliteJobStore::IsCorruption(const Error& error) const {
  return error.message.find("malformed") != std::string::npos ||
         error.message.find("not a database") != std::string::npos;
}

}  // namespace freightliner::store
