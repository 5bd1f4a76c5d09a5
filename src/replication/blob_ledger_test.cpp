#include "replication/blob_ledger.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace freightliner::replication {
namespace {

using Kind = BlobLedger::Kind;

// Knows every blob to be in "old/repo"; records what it is told.
class RecordingMemory : public BlobMemory {
 public:
  std::optional<std::string> RepositoryWith(const std::string&, const std::string&,
                                            const std::string&) override {
    return "old/repo";
  }
  void Remember(const std::string&, const std::string& repo, const std::string&) override {
    remembered.push_back(repo);
  }
  void Forget(const std::string&, const std::string& repo, const std::string&) override {
    forgotten.push_back(repo);
  }
  std::vector<std::string> remembered, forgotten;
};

TEST(BlobLedgerTest, FirstUploadsThenOthersMountOrSkip) {
  BlobLedger ledger;
  auto first = ledger.Acquire("reg", "a", "sha256:1", {});
  EXPECT_EQ(first.kind, Kind::kUpload);
  ledger.Release("reg", "a", "sha256:1", Kind::kUpload, true);
  EXPECT_EQ(ledger.Acquire("reg", "a", "sha256:1", {}).kind, Kind::kAlreadyThere);
  auto other = ledger.Acquire("reg", "b", "sha256:1", {});
  EXPECT_EQ(other.kind, Kind::kMountFrom);
  EXPECT_EQ(other.from_repo, "a");
  // Another registry knows nothing of it.
  EXPECT_EQ(ledger.Acquire("reg2", "a", "sha256:1", {}).kind, Kind::kUpload);
}

TEST(BlobLedgerTest, AFailedUploadHandsTheJobOn) {
  BlobLedger ledger;
  ASSERT_EQ(ledger.Acquire("reg", "a", "sha256:1", {}).kind, Kind::kUpload);
  ledger.Release("reg", "a", "sha256:1", Kind::kUpload, false);
  EXPECT_EQ(ledger.Acquire("reg", "b", "sha256:1", {}).kind, Kind::kUpload);
}

TEST(BlobLedgerTest, ConcurrentClaimsUploadOnce) {
  BlobLedger ledger;
  std::atomic<int> uploads{0}, mounts{0};
  std::vector<std::jthread> workers;
  for (int i = 0; i < 8; ++i) {
    workers.emplace_back([&, i] {
      const std::string repo = "repo" + std::to_string(i);
      auto claim = ledger.Acquire("reg", repo, "sha256:shared", {});
      if (claim.kind == Kind::kUpload) {
        ++uploads;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        ledger.Release("reg", repo, "sha256:shared", Kind::kUpload, true);
      } else if (claim.kind == Kind::kMountFrom) {
        ++mounts;
        ledger.Release("reg", repo, "sha256:shared", Kind::kMountFrom, true);
      }
    });
  }
  workers.clear();
  EXPECT_EQ(uploads.load(), 1);
  EXPECT_EQ(mounts.load(), 7);
}

TEST(BlobLedgerTest, OneMountPerRepositoryTheOthersFindItThere) {
  BlobLedger ledger;
  ASSERT_EQ(ledger.Acquire("reg", "a", "sha256:1", {}).kind, Kind::kUpload);
  ledger.Release("reg", "a", "sha256:1", Kind::kUpload, true);
  std::atomic<int> mounts{0}, found{0};
  std::vector<std::jthread> workers;
  for (int i = 0; i < 8; ++i) {
    workers.emplace_back([&] {  // eight tags of repository b need the blob at once
      auto claim = ledger.Acquire("reg", "b", "sha256:1", {});
      if (claim.kind == Kind::kMountFrom) {
        ++mounts;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        ledger.Release("reg", "b", "sha256:1", Kind::kMountFrom, true);
      } else if (claim.kind == Kind::kAlreadyThere) {
        ++found;
      }
    });
  }
  workers.clear();
  EXPECT_EQ(mounts.load(), 1);
  EXPECT_EQ(found.load(), 7);
}

TEST(BlobLedgerTest, AFailedMountHandsTheJobOn) {
  BlobLedger ledger;
  ASSERT_EQ(ledger.Acquire("reg", "a", "sha256:1", {}).kind, Kind::kUpload);
  ledger.Release("reg", "a", "sha256:1", Kind::kUpload, true);
  ASSERT_EQ(ledger.Acquire("reg", "b", "sha256:1", {}).kind, Kind::kMountFrom);
  ledger.Release("reg", "b", "sha256:1", Kind::kMountFrom, false);
  EXPECT_EQ(ledger.Acquire("reg", "b", "sha256:1", {}).kind, Kind::kMountFrom);
}

TEST(BlobLedgerMemoryTest, TheLedgerRemembersWhatBecamePresentOnly) {
  RecordingMemory memory;
  BlobLedger ledger(&memory);
  ASSERT_EQ(ledger.Acquire("reg", "a", "sha256:1", {}).kind, Kind::kUpload);
  EXPECT_EQ(ledger.RememberedSource("reg", "a", "sha256:1"), "old/repo");
  ledger.Release("reg", "a", "sha256:1", Kind::kUpload, false);
  ASSERT_EQ(ledger.Acquire("reg", "a", "sha256:1", {}).kind, Kind::kUpload);
  ledger.Release("reg", "a", "sha256:1", Kind::kUpload, true);
  ledger.MountRefused("reg", "old/repo", "sha256:1");
  EXPECT_EQ(memory.remembered, std::vector<std::string>{"a"});
  EXPECT_EQ(memory.forgotten, std::vector<std::string>{"old/repo"});
}

TEST(BlobLedgerMemoryTest, AReadOnlyMemoryIsConsultedNeverWritten) {
  RecordingMemory memory;
  ReadOnlyBlobMemory read_only(&memory);
  BlobLedger ledger(&read_only);
  ASSERT_EQ(ledger.Acquire("reg", "a", "sha256:1", {}).kind, Kind::kUpload);
  EXPECT_EQ(ledger.RememberedSource("reg", "a", "sha256:1"), "old/repo");
  ledger.Release("reg", "a", "sha256:1", Kind::kUpload, true);
  ledger.MountRefused("reg", "old/repo", "sha256:1");
  EXPECT_TRUE(memory.remembered.empty());
  EXPECT_TRUE(memory.forgotten.empty());
  // It still knows what this run did: the blob is in "a" now.
  EXPECT_EQ(ledger.Acquire("reg", "a", "sha256:1", {}).kind, Kind::kAlreadyThere);

  ReadOnlyBlobMemory empty(nullptr);
  EXPECT_EQ(empty.RepositoryWith("reg", "sha256:1", "a"), std::nullopt);
}

TEST(BlobLedgerTest, StopEndsAWait) {
  BlobLedger ledger;
  ASSERT_EQ(ledger.Acquire("reg", "a", "sha256:1", {}).kind, Kind::kUpload);
  std::stop_source stop;
  std::jthread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop.request_stop();
  });
  EXPECT_EQ(ledger.Acquire("reg", "b", "sha256:1", stop.get_token()).kind, Kind::kCanceled);
}

}  // namespace
}  // namespace freightliner::replication
