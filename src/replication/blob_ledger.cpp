#include "replication/blob_ledger.hpp"

namespace freightliner::replication {

BlobLedger::Claim BlobLedger::Acquire(const std::string& registry, const std::string& repo,
                                      const std::string& digest, std::stop_token stop) {
  std::unique_lock lock(mu_);
  Entry& entry = entries_[{registry, digest}];
  const bool settled =
      cv_.wait(lock, stop, [&] { return !entry.uploading && entry.mounting.count(repo) == 0; });
  if (!settled) return {Kind::kCanceled, ""};
  if (entry.repos.count(repo) > 0) return {Kind::kAlreadyThere, ""};
  if (!entry.repos.empty()) {
    entry.mounting.insert(repo);
    return {Kind::kMountFrom, *entry.repos.begin()};
  }
  entry.uploading = true;
  return {Kind::kUpload, ""};
}

void BlobLedger::Release(const std::string& registry, const std::string& repo,
                         const std::string& digest, Kind claimed, bool present) {
  {
    std::lock_guard lock(mu_);
    Entry& entry = entries_[{registry, digest}];
    if (claimed == Kind::kMountFrom) {
      entry.mounting.erase(repo);
    } else {
      entry.uploading = false;
    }
    if (present) entry.repos.insert(repo);
  }
  cv_.notify_all();
  if (present && memory_ != nullptr) memory_->Remember(registry, repo, digest);
}

std::optional<std::string> BlobLedger::RememberedSource(const std::string& registry,
                                                        const std::string& repo,
                                                        const std::string& digest) {
  if (memory_ == nullptr) return std::nullopt;
  return memory_->RepositoryWith(registry, digest, repo);
}

void BlobLedger::MountRefused(const std::string& registry, const std::string& repo,
                              const std::string& digest) {
  if (memory_ != nullptr) memory_->Forget(registry, repo, digest);
}

}  // namespace freightliner::replication
