#pragma once
// A thin RAII layer over SQLite: a database handle and prepared statements with typed binding.
// Errors are values; SQL text is ours, values are always bound (never formatted into SQL).
//
//   auto db = Database::Open(path);
//   auto st = db->Prepare("SELECT id FROM runs WHERE status = ?");
//   (*st)->Bind(1, "running");  while ((*st)->Step().value_or(false)) (*st)->Text(0);

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace freightliner::state {

// Not thread-safe: one thread at a time (owners guard it with a mutex).
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, int64_t value);
  Statement& BindNull(int index);
  // true: a row is available; false: done.
  Result<bool> Step();
  // Runs to completion (for INSERT/UPDATE/DELETE).
  Status Run();
  // Makes the statement ready to bind and run again.
  void Reset();

  std::string Text(int column) const;
  int64_t Int(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// A statement lent by Database::Prepare: reset and returned to the database's cache when this
// goes out of scope (so that no read stays open), or finalized when it was prepared for this use
// alone (its SQL was already lent out).
class PreparedStatement {
 public:
  PreparedStatement(Statement* cached, bool* in_use) : statement_(cached), in_use_(in_use) {}
  explicit PreparedStatement(std::unique_ptr<Statement> own)
      : own_(std::move(own)), statement_(own_.get()) {}
  ~PreparedStatement();
  PreparedStatement(PreparedStatement&& other) noexcept;
  PreparedStatement& operator=(PreparedStatement&&) = delete;
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  std::unique_ptr<Statement> own_;
  Statement* statement_ = nullptr;
  bool* in_use_ = nullptr;
};

// Thread-safe only with external locking; see CheckpointStore and JobStore.
class Database {
 public:
  // Opens (creating) the file, with WAL journaling so that a killed process loses nothing that
  // was committed and readers do not block the writer.
  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status Exec(const std::string& sql);
  // Statements are compiled once per database and SQL text, then reused: a checkpoint records
  // every tag with the same few statements.
  Result<PreparedStatement> Prepare(const std::string& sql);
  int64_t Changes() const;
  const std::string& path() const { return path_; }

 private:
  struct CachedStatement {
    std::unique_ptr<Statement> statement;
    bool in_use = false;
  };

  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, CachedStatement> cache_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when not committed.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status Begin();
  Status Commit();

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace freightliner::state
