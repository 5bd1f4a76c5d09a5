#include "state/sqlite.hpp"

#include <sqlite3.h>

namespace freightliner::state {
namespace {

Error SqlError(sqlite3* db, const std::string& what) {
  return Error(ErrorCode::kInternal, what + ": " + sqlite3_errmsg(db));
}

}  // namespace

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return tl::unexpected(SqlError(db_, "sqlite step"));
}

Status Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t Statement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<Database> db(new Database(raw, path));
  if (rc != SQLITE_OK) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot open state database " + path + ": " + sqlite3_errstr(rc));
  }
  sqlite3_busy_timeout(raw, 5000);
  // WAL + NORMAL: a killed process keeps every committed transaction.
  if (Status s = db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                          "PRAGMA foreign_keys=ON;");
      !s) {
    return tl::unexpected(s.error().WithContext(path));
  }
  return db;
}

Database::~Database() {
  cache_.clear();  // finalized before the connection closes
  sqlite3_close_v2(db_);
}

Status Database::Exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    Error e(ErrorCode::kInternal, std::string("sqlite: ") + (message ? message : "error"));
    sqlite3_free(message);
    return tl::unexpected(e);
  }
  return Ok();
}

Result<PreparedStatement> Database::Prepare(const std::string& sql) {
  auto cached = cache_.find(sql);
  if (cached != cache_.end() && cached->second.in_use) {
    // The same SQL again while its statement is lent out (a query inside its own loop).
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return tl::unexpected(SqlError(db_, "sqlite prepare"));
    }
    return PreparedStatement(std::make_unique<Statement>(db_, stmt));
  }
  if (cached == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
        SQLITE_OK) {
      return tl::unexpected(SqlError(db_, "sqlite prepare"));
    }
    cached = cache_.emplace(sql, CachedStatement{std::make_unique<Statement>(db_, stmt)}).first;
  }
  cached->second.in_use = true;
  return PreparedStatement(cached->second.statement.get(), &cached->second.in_use);
}

PreparedStatement::PreparedStatement(PreparedStatement&& other) noexcept
    : own_(std::move(other.own_)), statement_(other.statement_), in_use_(other.in_use_) {
  other.statement_ = nullptr;
  other.in_use_ = nullptr;
}

PreparedStatement::~PreparedStatement() {
  if (in_use_ == nullptr) return;  // owned (finalized with own_) or moved from
  statement_->Reset();
  *in_use_ = false;
}

int64_t Database::Changes() const {
  return sqlite3_changes64(db_);
}

Transaction::Transaction(Database& db) : db_(db) {}

Transaction::~Transaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Begin() {
  auto begin = db_.Prepare("BEGIN IMMEDIATE");
  if (!begin) return tl::unexpected(begin.error());
  if (Status s = (*begin)->Run(); !s) return s;
  open_ = true;
  return Ok();
}

Status Transaction::Commit() {
  auto commit = db_.Prepare("COMMIT");
  if (!commit) return tl::unexpected(commit.error());
  if (Status s = (*commit)->Run(); !s) return s;
  open_ = false;
  return Ok();
}

}  // namespace freightliner::state
