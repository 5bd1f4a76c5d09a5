#pragma once
// The two engines of the shared store, for the typed tests that hold them to one contract:
// SQLite (the file of the state directory) and a real PostgreSQL 15 started once per test
// process. A "replica" is what one serve process opens: a job store and a checkpoint store, on
// their own connections to the test's database.

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "fixtures/postgres.hpp"
#include "fixtures/temp_dir.hpp"
#include "replication/checkpoint_store.hpp"
#include "store/postgres_checkpoint_store.hpp"
#include "store/postgres_job_store.hpp"
#include "store/sqlite_job_store.hpp"

namespace freightliner::testing {

struct StoreReplica {
  std::unique_ptr<replication::CheckpointStore> checkpoints;
  std::unique_ptr<store::JobStore> jobs;  // declared last: SQLite's uses the checkpoints' db
};

template <typename T>
T Opened(Result<T> result) {
  if (!result) throw std::runtime_error(result.error().ToString());
  return std::move(*result);
}

// SQLite: each replica is its own connection to one database file.
class SqliteBackend {
 public:
  std::unique_ptr<store::JobStore> Open() {
    auto& owned =
        checkpoints_.emplace_back(Opened(replication::SqliteCheckpointStore::Open(dir_.path())));
    return std::make_unique<store::SqliteJobStore>(owned->database(), owned->mutex());
  }
  StoreReplica OpenReplica() {
    auto checkpoints = Opened(replication::SqliteCheckpointStore::Open(dir_.path()));
    auto jobs =
        std::make_unique<store::SqliteJobStore>(checkpoints->database(), checkpoints->mutex());
    return {std::move(checkpoints), std::move(jobs)};
  }

 private:
  TempDir dir_{"freightliner-store"};
  std::vector<std::unique_ptr<replication::SqliteCheckpointStore>> checkpoints_;
};

// PostgreSQL: one server for the test process, a new database per test.
class PostgresBackend {
 public:
  PostgresBackend() : database_("t" + std::to_string(++tests_)) {
    Server().CreateDatabase(database_);
  }
  std::unique_ptr<store::JobStore> Open() {
    return Opened(store::PostgresJobStore::Open(Server().dsn(database_)));
  }
  StoreReplica OpenReplica() {
    return {Opened(store::PostgresCheckpointStore::Open(Server().dsn(database_))), Open()};
  }
  static PostgresServer& Server() {
    static PostgresServer server;  // stopped at exit, with its directory
    return server;
  }
  const std::string& database() const { return database_; }

 private:
  static inline int tests_ = 0;
  std::string database_;
};

using StoreBackends = ::testing::Types<SqliteBackend, PostgresBackend>;
class StoreBackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, SqliteBackend> ? "Sqlite" : "Postgres";
  }
};

}  // namespace freightliner::testing
