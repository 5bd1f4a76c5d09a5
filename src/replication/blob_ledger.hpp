#pragma once
// What this process knows about blobs at destination registries: which repositories hold them and
// which are being uploaded right now. With it, a blob needed by several tags in flight is
// transferred once, and a blob already pushed to one repository is mounted into the others.

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>

namespace freightliner::replication {

// Thread-safe; shared by every copy of a run (or of a server).
class BlobLedger {
 public:
  enum class Kind {
    kUpload,        // nobody has it: the caller uploads, then calls Release
    kMountFrom,     // another repository of the registry has it: mount from `from_repo`
    kAlreadyThere,  // this repository has it
    kCanceled,      // stop was requested while waiting
  };
  struct Claim {
    Kind kind = Kind::kUpload;
    std::string from_repo;
  };

  // Waits while another worker uploads the same blob to the same registry.
  Claim Acquire(const std::string& registry, const std::string& repo, const std::string& digest,
                std::stop_token stop);
  // After a kUpload claim: whether the blob is now in `repo`. Wakes the waiters.
  void Release(const std::string& registry, const std::string& repo, const std::string& digest,
               bool present);
  // Records a blob present in a repository (found there, or mounted).
  void Record(const std::string& registry, const std::string& repo, const std::string& digest);

 private:
  struct Entry {
    std::set<std::string> repos;  // repositories known to hold the blob
    bool uploading = false;
  };
  using Key = std::pair<std::string, std::string>;  // registry, digest

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<Key, Entry> entries_;
};

}  // namespace freightliner::replication
