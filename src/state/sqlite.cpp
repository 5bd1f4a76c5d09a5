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

Result<std::unique_ptr<Statement>> Database::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return tl::unexpected(SqlError(db_, "sqlite prepare"));
  }
  return std::make_unique<Statement>(db_, stmt);
}

int64_t Database::Changes() const {
  return sqlite3_changes64(db_);
}

Transaction::Transaction(Database& db) : db_(db) {}

Transaction::~Transaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Begin() {
  if (Status s = db_.Exec("BEGIN IMMEDIATE"); !s) return s;
  open_ = true;
  return Ok();
}

Status Transaction::Commit() {
  if (Status s = db_.Exec("COMMIT"); !s) return s;
  open_ = false;
  return Ok();
}

}  // namespace freightliner::state
