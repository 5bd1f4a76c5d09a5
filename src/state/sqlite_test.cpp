#include "state/sqlite.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

namespace freightliner::state {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("freightliner-sqlite-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = Database::Open((dir_ / "t.db").string());
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);"));
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::vector<int64_t> All() {
    std::vector<int64_t> out;
    auto st = db_->Prepare("SELECT n FROM t ORDER BY n");
    EXPECT_TRUE(st);
    while ((*st)->Step().value_or(false))
      out.push_back((*st)->Int(0));
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteTest, AStatementLeftMidwayStartsAfreshWhenLentAgain) {
  {
    auto st = db_->Prepare("SELECT n FROM t ORDER BY n");
    ASSERT_TRUE(st);
    ASSERT_TRUE((*st)->Step().value_or(false));
    EXPECT_EQ((*st)->Int(0), 1);  // and left there
  }
  EXPECT_EQ(All(), (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(SqliteTest, TheSameSqlInsideItsOwnLoopGetsAStatementOfItsOwn) {
  auto outer = db_->Prepare("SELECT n FROM t ORDER BY n");
  ASSERT_TRUE(outer);
  int64_t pairs = 0;
  while ((*outer)->Step().value_or(false)) {
    pairs += static_cast<int64_t>(All().size());
  }
  EXPECT_EQ(pairs, 9);
  EXPECT_EQ(All(), (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(SqliteTest, BindingsDoNotLeakIntoTheNextUse) {
  {
    auto insert = db_->Prepare("INSERT INTO t VALUES (?)");
    ASSERT_TRUE(insert);
    ASSERT_TRUE((*insert)->Bind(1, int64_t{4}).Run());
  }
  auto insert = db_->Prepare("INSERT INTO t VALUES (?)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE((*insert)->Run());  // nothing bound this time: NULL, not 4
  auto nulls = db_->Prepare("SELECT COUNT(*) FROM t WHERE n IS NULL");
  ASSERT_TRUE(nulls && (*nulls)->Step().value_or(false));
  EXPECT_EQ((*nulls)->Int(0), 1);
}

TEST_F(SqliteTest, ATransactionNotCommittedIsRolledBack) {
  {
    Transaction tx(*db_);
    ASSERT_TRUE(tx.Begin());
    ASSERT_TRUE(db_->Exec("DELETE FROM t"));
  }
  EXPECT_EQ(All().size(), 3u);
  Transaction tx(*db_);
  ASSERT_TRUE(tx.Begin());
  ASSERT_TRUE(db_->Exec("DELETE FROM t WHERE n = 1"));
  ASSERT_TRUE(tx.Commit());
  EXPECT_EQ(All(), (std::vector<int64_t>{2, 3}));
}

}  // namespace
}  // namespace freightliner::state
