#pragma once
// What this process knows about blobs at destination registries: which repositories hold them and
// which are being uploaded right now. With it, a blob needed by several tags in flight is
// transferred once, and a blob already pushed to one repository is mounted into the others, once
// per repository: every mount rewrites the repository's link to the blob, and distribution 2.8
// does that in place, so a manifest PUT racing a redundant mount can find the link empty.

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>

namespace freightliner::replication {

// Where earlier runs saw blobs at destination registries. Only ever a source to mount from (a
// registry that refuses the mount starts an upload instead), never proof that a blob is there:
// repositories get deleted and garbage-collected behind our back.
class BlobMemory {
 public:
  virtual ~BlobMemory() = default;
  // A repository of `registry` other than `except` that held the blob, the most recent first.
  virtual std::optional<std::string> RepositoryWith(const std::string& registry,
                                                    const std::string& digest,
                                                    const std::string& except) = 0;
  virtual void Remember(const std::string& registry, const std::string& repo,
                        const std::string& digest) = 0;
  virtual void Forget(const std::string& registry, const std::string& repo,
                      const std::string& digest) = 0;
};

// A memory looked through, never written (nullptr: an empty one). A dry run finds where earlier
// runs saw blobs, as its real run will, without recording what it only pretends to copy.
class ReadOnlyBlobMemory : public BlobMemory {
 public:
  explicit ReadOnlyBlobMemory(BlobMemory* memory) : memory_(memory) {}
  std::optional<std::string> RepositoryWith(const std::string& registry, const std::string& digest,
                                            const std::string& except) override {
    if (memory_ == nullptr) return std::nullopt;
    return memory_->RepositoryWith(registry, digest, except);
  }
  void Remember(const std::string&, const std::string&, const std::string&) override {}
  void Forget(const std::string&, const std::string&, const std::string&) override {}

 private:
  BlobMemory* memory_;
};

// Thread-safe; shared by every copy of a run (or of a server).
class BlobLedger {
 public:
  explicit BlobLedger(BlobMemory* memory = nullptr) : memory_(memory) {}

  enum class Kind {
    kUpload,        // nobody has it: the caller uploads, then calls Release
    kMountFrom,     // another repository has it: mount from `from_repo`, then call Release
    kAlreadyThere,  // this repository has it
    kCanceled,      // stop was requested while waiting
  };
  struct Claim {
    Kind kind = Kind::kUpload;
    std::string from_repo;
  };

  // Waits while another worker uploads the blob to the registry, or mounts it into `repo`.
  Claim Acquire(const std::string& registry, const std::string& repo, const std::string& digest,
                std::stop_token stop);
  // Ends a kUpload or kMountFrom claim: whether the blob is now in `repo`. Wakes the waiters.
  void Release(const std::string& registry, const std::string& repo, const std::string& digest,
               Kind claimed, bool present);
  // After a kUpload claim, when the blob is not in `repo`: a repository of an earlier run to try
  // mounting it from.
  std::optional<std::string> RememberedSource(const std::string& registry, const std::string& repo,
                                              const std::string& digest);
  // The registry refused to mount the blob from `repo`: it is not there any more.
  void MountRefused(const std::string& registry, const std::string& repo,
                    const std::string& digest);

 private:
  struct Entry {
    std::set<std::string> repos;     // repositories known to hold the blob
    std::set<std::string> mounting;  // repositories it is being mounted into
    bool uploading = false;
  };
  using Key = std::pair<std::string, std::string>;  // registry, digest

  BlobMemory* memory_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<Key, Entry> entries_;
};

}  // namespace freightliner::replication
