#pragma once
// A thin RAII layer over libpq for cluster mode's shared store: a connection, statements with
// text-format parameters, result rows, transactions and a session advisory lock. Errors are
// values; SQL text is ours, values are always parameters (never formatted into SQL).
//
//   auto conn = Connection::Open(dsn);
//   auto rows = (*conn)->Exec("SELECT id FROM runs WHERE status = $1", {P("running")});
//   for (int i = 0; rows && i < rows->size(); ++i) rows->Int(i, 0);
//
// A failed statement's Error reads "postgres: <message> (SQLSTATE 23505)"; SqlState() reads the
// code back. kNetwork: the connection is gone (Healthy() is false; Reset() reconnects).
// kClientError: a unique violation ("already exists"). kInternal: any other SQL error.

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/error.hpp"

// libpq's PGconn and PGresult, so that this header does not need <libpq-fe.h>.
struct pg_conn;
struct pg_result;

namespace freightliner::state::pg {

// SQLSTATEs callers branch on.
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";

// A statement parameter in text format; nullopt is SQL NULL. Text cannot hold a NUL byte (nor
// can PostgreSQL's text type).
using Param = std::optional<std::string>;

inline Param P(std::string_view value) {
  return std::string(value);
}
// Without it a string literal would pick P(bool): pointer to bool is a standard conversion.
inline Param P(const char* value) {
  return std::string(value);
}
inline Param P(bool value) {
  return value ? "true" : "false";
}
// Any integer type: a plain P(42) would be ambiguous between int64_t and double overloads.
template <std::integral T>
Param P(T value) {
  return std::to_string(value);
}
// The shortest text that reads back as the same double (std::to_string keeps 6 decimals).
Param P(double value);

// The SQLSTATE in a message made by this layer ("... (SQLSTATE 40001)"), kept through
// WithContext; nullopt when there is none (a connection lost before the server answered).
std::optional<std::string> SqlState(const Error& error);

// The connection string with its password replaced by ***, in URI form
// (postgresql://user:***@host/db, ?password=***) and key/value form (password=***), for logs
// that say which database. A string libpq would misread or refuse (a bare '@' or '/' in a URI
// password) is redacted by guesswork that errs toward hiding too much.
std::string RedactDsn(std::string_view dsn);

// The result of one statement: rows for SELECT and RETURNING, none for other commands. Values
// are text (PostgreSQL's text output: booleans are "t"/"f").
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result);

  int size() const;
  // "" for NULL and for a row or column out of range.
  std::string Text(int row, int col) const;
  // The value as a whole integer; 0 for NULL or text that is not one (e.g. "1.5").
  int64_t Int(int row, int col) const;
  bool IsNull(int row, int col) const;
  // Rows inserted, updated, deleted, selected or copied; 0 for commands that count none.
  int64_t affected() const;

 private:
  friend class Connection;
  friend class Transaction;
  struct Clear {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

// Not thread-safe: one thread at a time (owners guard it with a mutex, or keep one per thread).
class Connection {
 public:
  // Connects and checks the connection. Failures: kInvalidArgument (no_retry) for a string that
  // does not parse, kNetwork for a server that cannot be reached or refuses us. No message holds
  // the connection string or the password.
  // `password`, when not empty, overrides one in the string (a password file's, say).
  static Result<std::unique_ptr<Connection>> Open(const std::string& dsn,
                                                  const std::string& password = "");
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One statement (libpq's extended protocol runs no multi-statement strings), parameters $1...
  Result<Rows> Exec(const std::string& sql, const std::vector<Param>& params = {});

  // Whether the connection was usable after its last operation: a server that went away is
  // noticed by the next Exec, which fails with kNetwork.
  bool Healthy() const;
  // Closes and connects again with the same parameters (after the server restarted). Session
  // state (advisory locks, SET) is gone.
  Status Reset();

 private:
  friend class Transaction;
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_;
};

// One connection for the threads of a store: calls take turns, and a call that finds the
// connection gone (the server restarted) reconnects first. The session cannot wait forever: a
// statement times out after 30 s and a transaction left idle after 60 s, so a stuck lock or a
// lost server fails the call instead of the caller.
class Session {
 public:
  static Result<std::unique_ptr<Session>> Open(const std::string& dsn,
                                               const std::string& password = "");

  template <typename F>
  auto With(F&& body) -> std::invoke_result_t<F, Connection&> {
    std::lock_guard lock(mu_);
    if (!conn_->Healthy()) {
      if (Status s = Reconnect(); !s) return tl::unexpected(s.error());
    }
    return body(*conn_);
  }

 private:
  explicit Session(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
  Status Reconnect();

  std::mutex mu_;
  std::unique_ptr<Connection> conn_;  // mu_
};

// BEGIN ... COMMIT, rolled back when not committed.
class Transaction {
 public:
  explicit Transaction(Connection& conn) : conn_(conn) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Fails when the connection is already in a transaction (PostgreSQL would only warn, and the
  // outer transaction's COMMIT would then be ours).
  Status Begin();
  // Fails when the transaction had failed: PostgreSQL answers such a COMMIT with a ROLLBACK and
  // no error.
  Status Commit();

 private:
  Connection& conn_;
  bool open_ = false;
};

// Runs `body` holding the session-level advisory lock `key` (pg_advisory_lock waits for it), so
// that one replica at a time runs it, e.g. migrations. Unlocks even when `body` fails; when the
// unlock itself fails on a live connection, resets the connection, since only ending the session
// then frees the lock. `body`'s error comes first.
Status WithAdvisoryLock(Connection& conn, int64_t key, const std::function<Status()>& body);

}  // namespace freightliner::state::pg
