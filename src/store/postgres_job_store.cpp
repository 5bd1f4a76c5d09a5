#include "store/postgres_job_store.hpp"

#include <utility>

namespace freightliner::store {
namespace {

using state::pg::Connection;
using state::pg::P;
using state::pg::Param;
using state::pg::Rows;

// Each migration is applied once, in order, in one transaction with its version row.
struct Migration {
  int version;
  std::vector<const char*> statements;
};

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {1,
       {
           // Times are Unix milliseconds, as in SQLite; ids compare byte by byte (cursors).
           R"(CREATE TABLE jobs (
  id text COLLATE "C" PRIMARY KEY,
  type text NOT NULL,
  status text NOT NULL,
  created_at bigint NOT NULL,
  doc text NOT NULL,
  sync_name text NOT NULL DEFAULT '',
  narrowed boolean NOT NULL DEFAULT false,
  dry_run boolean NOT NULL DEFAULT false,
  run_id text NOT NULL DEFAULT '',
  collapse_key text NOT NULL DEFAULT '',
  owner text NOT NULL DEFAULT '',
  lease_until bigint NOT NULL DEFAULT 0,
  fence bigint NOT NULL DEFAULT 0
))",
           "CREATE INDEX jobs_by_status ON jobs(status, created_at)",
           "CREATE INDEX jobs_by_created ON jobs(created_at, id)",
           "CREATE INDEX jobs_by_sync ON jobs(sync_name, created_at)",
           "CREATE INDEX jobs_by_collapse_key ON jobs(collapse_key) WHERE collapse_key != ''",
           R"(CREATE TABLE store_heartbeat (
  id integer PRIMARY KEY CHECK (id = 1),
  at timestamptz NOT NULL
))",
           "CREATE TABLE schedule_slots (name text PRIMARY KEY, taken_at bigint NOT NULL)",
       }},
      {2,
       {
           // PostgresCheckpointStore's tables, as in SQLite (times in Unix seconds).
           R"(CREATE TABLE runs (
  id text COLLATE "C" PRIMARY KEY,
  kind text NOT NULL,
  spec text NOT NULL,
  status text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  plan_complete boolean NOT NULL DEFAULT false
))",
           R"(CREATE TABLE tasks (
  run_id text COLLATE "C" NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  source text NOT NULL,
  destination text NOT NULL,
  platforms text NOT NULL DEFAULT '',
  state text NOT NULL DEFAULT 'pending',
  digest text NOT NULL DEFAULT '',
  bytes bigint NOT NULL DEFAULT 0,
  error text NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, seq)
))",
           R"(CREATE TABLE destination_tags (
  destination text PRIMARY KEY,
  digest text NOT NULL,
  seen_at bigint NOT NULL
))",
           R"(CREATE TABLE blob_locations (
  registry text NOT NULL,
  digest text NOT NULL,
  repo text NOT NULL,
  seen_at bigint NOT NULL,
  PRIMARY KEY (registry, digest, repo)
))",
       }},
  };
  return migrations;
}

constexpr const char* kColumns =
    "id, type, status, created_at, doc, sync_name, narrowed, dry_run, run_id, collapse_key, "
    "owner, lease_until, fence";
// What Insert writes; the lease columns start at their defaults.
constexpr const char* kInsertColumns =
    "id, type, status, created_at, doc, sync_name, narrowed, dry_run, run_id, collapse_key";
// Leases and schedule slots run on the database's clock, the one clock all replicas share.
constexpr const char* kNowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";
constexpr const char* kEnded = "status IN ('succeeded','failed','canceled')";

// Reads row `i` of kColumns. A status the enum does not know reads as failed: the manager checks
// the doc, which says what the row is.
StoredJob RowOf(const Rows& rows, int i) {
  return {.id = rows.Text(i, 0),
          .type = rows.Text(i, 1),
          .status = JobStatusFromName(rows.Text(i, 2)).value_or(JobStatus::kFailed),
          .created_at_ms = rows.Int(i, 3),
          .doc = rows.Text(i, 4),
          .sync_name = rows.Text(i, 5),
          .narrowed = rows.Text(i, 6) == "t",
          .dry_run = rows.Text(i, 7) == "t",
          .collapse_key = rows.Text(i, 9),
          .run_id = rows.Text(i, 8),
          .owner = rows.Text(i, 10),
          .lease_until_ms = rows.Int(i, 11),
          .fence = rows.Int(i, 12)};
}

// The first row of kColumns, if any.
std::optional<StoredJob> FirstRow(const Rows& rows) {
  if (rows.size() == 0) return std::nullopt;
  return RowOf(rows, 0);
}

std::vector<StoredJob> AllRows(const Rows& rows) {
  std::vector<StoredJob> jobs;
  jobs.reserve(static_cast<size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i)
    jobs.push_back(RowOf(rows, i));
  return jobs;
}

Param StatusParam(std::optional<JobStatus> status) {
  return P(status ? JobStatusName(*status) : std::string_view());
}

Result<int> SchemaVersion(Connection& conn) {
  auto created = conn.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
      "applied_at timestamptz NOT NULL DEFAULT now())");
  if (!created) return tl::unexpected(created.error());
  auto rows = conn.Exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!rows) return tl::unexpected(rows.error());
  return static_cast<int>(rows->Int(0, 0));
}

Status Apply(Connection& conn, const Migration& migration) {
  state::pg::Transaction tx(conn);
  if (Status s = tx.Begin(); !s) return s;
  for (const char* statement : migration.statements) {
    if (auto done = conn.Exec(statement); !done) {
      return tl::unexpected(
          done.error().WithContext("migration " + std::to_string(migration.version)));
    }
  }
  auto recorded =
      conn.Exec("INSERT INTO schema_migrations(version) VALUES($1)", {P(migration.version)});
  if (!recorded) return tl::unexpected(recorded.error());
  return tx.Commit();
}

}  // namespace

int PostgresJobStore::LatestSchemaVersion() {
  return Migrations().back().version;
}

Result<std::unique_ptr<PostgresJobStore>> PostgresJobStore::Open(const std::string& dsn,
                                                                 const std::string& password) {
  auto session = state::pg::Session::Open(dsn, password);
  if (!session) return tl::unexpected(session.error());
  return std::unique_ptr<PostgresJobStore>(new PostgresJobStore(std::move(*session)));
}

Status PostgresJobStore::Migrate() {
  return session_->With([](Connection& conn) -> Status {
    return state::pg::WithAdvisoryLock(conn, kMigrationLock, [&conn]() -> Status {
      auto version = SchemaVersion(conn);
      if (!version) return tl::unexpected(version.error());
      if (*version > LatestSchemaVersion()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "the job store's schema is version " + std::to_string(*version) +
                             ", newer than this build's " + std::to_string(LatestSchemaVersion()) +
                             ": upgrade freightliner");
      }
      for (const Migration& migration : Migrations()) {
        if (migration.version <= *version) continue;
        if (Status s = Apply(conn, migration); !s) return s;
      }
      return Ok();
    });
  });
}

Status PostgresJobStore::Insert(const StoredJob& job) {
  return session_->With([&](Connection& conn) -> Status {
    auto done = conn.Exec(
        std::string("INSERT INTO jobs(") + kInsertColumns +
            ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
        {P(job.id), P(job.type), StatusParam(job.status), P(job.created_at_ms), P(job.doc),
         P(job.sync_name), P(job.narrowed), P(job.dry_run), P(job.run_id), P(job.collapse_key)});
    if (!done && state::pg::SqlState(done.error()) == state::pg::kUniqueViolation) {
      return MakeError(ErrorCode::kClientError, "job " + job.id + " already exists");
    }
    if (!done) return tl::unexpected(done.error());
    return Ok();
  });
}

Result<std::optional<StoredJob>> PostgresJobStore::Get(const std::string& id) {
  return session_->With([&](Connection& conn) -> Result<std::optional<StoredJob>> {
    auto rows = conn.Exec(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = $1", {P(id)});
    if (!rows) return tl::unexpected(rows.error());
    return FirstRow(*rows);
  });
}

Result<StoredJob> PostgresJobStore::Update(const std::string& id, const Change& change) {
  return session_->With([&](Connection& conn) -> Result<StoredJob> {
    state::pg::Transaction tx(conn);
    if (Status s = tx.Begin(); !s) return tl::unexpected(s.error());
    // The row stays locked until the commit: another replica's update waits for this one.
    auto rows = conn.Exec(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = $1 FOR UPDATE",
                          {P(id)});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->size() == 0) return MakeError(ErrorCode::kNotFound, "no job " + id);
    const StoredJob current = RowOf(*rows, 0);
    auto changed = change(current);
    if (!changed) return changed;
    const StoredJob next = WithStoreOwnedFields(std::move(*changed), current);
    auto written = conn.Exec(
        "UPDATE jobs SET status = $1, doc = $2, sync_name = $3, narrowed = $4, dry_run = $5, "
        "run_id = $6, collapse_key = $7 WHERE id = $8",
        {StatusParam(next.status), P(next.doc), P(next.sync_name), P(next.narrowed),
         P(next.dry_run), P(next.run_id), P(next.collapse_key), P(id)});
    if (!written) return tl::unexpected(written.error());
    if (Status s = tx.Commit(); !s) return tl::unexpected(s.error());
    return next;
  });
}

Result<std::vector<StoredJob>> PostgresJobStore::List(const JobFilter& filter) {
  return session_->With([&](Connection& conn) -> Result<std::vector<StoredJob>> {
    auto rows =
        conn.Exec(std::string("SELECT ") + kColumns +
                      " FROM jobs WHERE ($1 = '' OR status = $1) AND ($2 = '' OR type = $2) AND "
                      "(NOT $3::boolean OR created_at < $4::bigint OR "
                      "(created_at = $4::bigint AND id < $5)) "
                      "ORDER BY created_at DESC, id DESC LIMIT $6::bigint",
                  {StatusParam(filter.status), P(filter.type), P(filter.after.has_value()),
                   P(filter.after ? filter.after->created_at_ms : 0),
                   P(filter.after ? filter.after->id : std::string()), P(filter.limit)});
    if (!rows) return tl::unexpected(rows.error());
    return AllRows(*rows);
  });
}

Result<std::vector<std::string>> PostgresJobStore::Unfinished() {
  return session_->With([&](Connection& conn) -> Result<std::vector<std::string>> {
    auto rows = conn.Exec(
        "SELECT id FROM jobs WHERE status IN ('queued','running') ORDER BY created_at, id");
    if (!rows) return tl::unexpected(rows.error());
    std::vector<std::string> ids;
    for (int i = 0; i < rows->size(); ++i)
      ids.push_back(rows->Text(i, 0));
    return ids;
  });
}

Result<QueueStats> PostgresJobStore::Queue() {
  return session_->With([&](Connection& conn) -> Result<QueueStats> {
    auto rows = conn.Exec("SELECT count(*), min(created_at) FROM jobs WHERE status = 'queued'");
    if (!rows) return tl::unexpected(rows.error());
    QueueStats stats{.queued = rows->Int(0, 0)};
    if (!rows->IsNull(0, 1)) stats.oldest_created_at_ms = rows->Int(0, 1);
    return stats;
  });
}

Result<std::optional<StoredJob>> PostgresJobStore::QueuedWithKey(const std::string& collapse_key) {
  return session_->With([&](Connection& conn) -> Result<std::optional<StoredJob>> {
    auto rows = conn.Exec(std::string("SELECT ") + kColumns +
                              " FROM jobs WHERE status = 'queued' AND owner = '' AND "
                              "collapse_key = $1 AND collapse_key != '' "
                              "ORDER BY created_at DESC, id DESC LIMIT 1",
                          {P(collapse_key)});
    if (!rows) return tl::unexpected(rows.error());
    return FirstRow(*rows);
  });
}

Result<std::optional<StoredJob>> PostgresJobStore::LastOfSync(const std::string& sync,
                                                              std::optional<JobStatus> status,
                                                              bool whole_runs_only) {
  return session_->With([&](Connection& conn) -> Result<std::optional<StoredJob>> {
    auto rows = conn.Exec(std::string("SELECT ") + kColumns +
                              " FROM jobs WHERE type = 'sync' AND sync_name = $1 AND "
                              "($2 = '' OR status = $2) AND "
                              "(NOT $3::boolean OR (NOT narrowed AND NOT dry_run)) "
                              "ORDER BY created_at DESC, id DESC LIMIT 1",
                          {P(sync), StatusParam(status), P(whole_runs_only)});
    if (!rows) return tl::unexpected(rows.error());
    return FirstRow(*rows);
  });
}

Result<bool> PostgresJobStore::SyncRunPending(const std::string& sync) {
  return session_->With([&](Connection& conn) -> Result<bool> {
    auto rows = conn.Exec(
        "SELECT 1 FROM jobs WHERE type = 'sync' AND sync_name = $1 AND NOT narrowed AND "
        "status IN ('queued','running') LIMIT 1",
        {P(sync)});
    if (!rows) return tl::unexpected(rows.error());
    return rows->size() > 0;
  });
}

Result<std::optional<JobLease>> PostgresJobStore::Claim(const std::string& owner,
                                                        int64_t lease_ms) {
  return session_->With([&](Connection& conn) -> Result<std::optional<JobLease>> {
    // SKIP LOCKED: replicas claiming at once each get another row instead of waiting in line.
    auto rows =
        conn.Exec(std::string("WITH picked AS (SELECT id, owner FROM jobs WHERE status IN "
                              "('queued','running') AND lease_until < ") +
                      kNowMs + " AND " + kNotBehindSameTag +
                      " ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
                      "UPDATE jobs SET owner = $1, lease_until = " +
                      kNowMs +
                      " + $2::bigint, fence = jobs.fence + 1 FROM picked WHERE jobs.id = picked.id "
                      "RETURNING jobs.id, jobs.fence, picked.owner",
                  {P(owner), P(lease_ms)});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->size() == 0) return std::optional<JobLease>();
    return std::optional<JobLease>(
        JobLease{.id = rows->Text(0, 0), .fence = rows->Int(0, 1), .taken_from = rows->Text(0, 2)});
  });
}

Result<bool> PostgresJobStore::Renew(const JobLease& lease, int64_t lease_ms) {
  return session_->With([&](Connection& conn) -> Result<bool> {
    auto rows = conn.Exec(std::string("UPDATE jobs SET lease_until = ") + kNowMs +
                              " + $1::bigint WHERE id = $2 AND fence = $3::bigint AND "
                              "status IN ('queued','running')",
                          {P(lease_ms), P(lease.id), P(lease.fence)});
    if (!rows) return tl::unexpected(rows.error());
    return rows->affected() == 1;
  });
}

Status PostgresJobStore::Release(const JobLease& lease) {
  return session_->With([&](Connection& conn) -> Status {
    auto rows = conn.Exec(
        "UPDATE jobs SET owner = '', lease_until = 0 WHERE id = $1 AND fence = $2::bigint",
        {P(lease.id), P(lease.fence)});
    if (!rows) return tl::unexpected(rows.error());
    return Ok();
  });
}

Result<bool> PostgresJobStore::ClaimScheduleSlot(const std::string& name, int64_t every_ms) {
  return session_->With([&](Connection& conn) -> Result<bool> {
    // The conflicting row is locked: a second replica's statement waits, then finds it taken.
    auto rows =
        conn.Exec(std::string("INSERT INTO schedule_slots(name, taken_at) VALUES($1, ") + kNowMs +
                      ") ON CONFLICT (name) DO UPDATE SET taken_at = excluded.taken_at "
                      "WHERE schedule_slots.taken_at <= excluded.taken_at - $2::bigint",
                  {P(name), P(every_ms)});
    if (!rows) return tl::unexpected(rows.error());
    return rows->affected() == 1;
  });
}

Result<PurgeResult> PostgresJobStore::Purge(int64_t created_before_ms, int64_t keep_ended) {
  return session_->With([&](Connection& conn) -> Result<PurgeResult> {
    auto rows = conn.Exec(std::string("DELETE FROM jobs WHERE ") + kEnded +
                              " AND (created_at < $1::bigint OR id IN (SELECT id FROM jobs WHERE " +
                              kEnded +
                              " ORDER BY created_at DESC, id DESC OFFSET $2::bigint)) "
                              "RETURNING run_id",
                          {P(created_before_ms), P(keep_ended)});
    if (!rows) return tl::unexpected(rows.error());
    PurgeResult result{.jobs = rows->size()};
    for (int i = 0; i < rows->size(); ++i) {
      if (std::string run = rows->Text(i, 0); !run.empty()) result.run_ids.push_back(run);
    }
    return result;
  });
}

Status PostgresJobStore::Heartbeat() {
  return session_->With([&](Connection& conn) -> Status {
    auto done = conn.Exec(
        "INSERT INTO store_heartbeat(id, at) VALUES(1, now()) "
        "ON CONFLICT (id) DO UPDATE SET at = excluded.at");
    if (!done) return tl::unexpected(done.error());
    return Ok();
  });
}

// data_corrupted and index_corrupted.
bool PostgresJobStore::IsCorruption(const Error& error) const {
  const auto state = state::pg::SqlState(error);
  return state == "XX001" || state == "XX002";
}

}  // namespace freightliner::store
