#pragma once
// Copies one image (a manifest, or an index with all its platforms) between registries, exactly:
// blobs stream from the source GET into the destination upload with their SHA-256 checked in
// flight, manifests are pushed byte for byte, and the tag is written last, so a tag never points
// at missing content and a failed copy leaves no new tag.
//
//   Copier copier(src_client, dst_client, options, observer);
//   Result<CopyReport> r = copier.Copy(src_ref, dst_ref, stop);

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/byte_pipe.hpp"
#include "common/error.hpp"
#include "common/semaphore.hpp"
#include "registry/client.hpp"
#include "registry/manifest.hpp"
#include "registry/reference.hpp"
#include "replication/blob_ledger.hpp"

namespace freightliner::replication {

struct CopyOptions {
  // Empty: every platform. One: the destination gets that platform's manifest. Several: the
  // destination gets a new index listing only those platforms (so a digest of its own).
  std::vector<registry::Platform> platforms;
  bool force = false;                        // copy even when the destination is up to date
  bool dry_run = false;                      // check and report, write nothing
  int blob_concurrency = 4;                  // blobs of one image copied in parallel
  uint64_t chunk_size = 0;                   // > 0: always upload in PATCH chunks of this size
  uint64_t fallback_chunk_size = 16u << 20;  // when a registry refuses one-PUT uploads
  size_t pipe_capacity = 1u << 20;           // bytes buffered per blob in flight
  registry::RetryPolicy retry;               // for whole blob transfers
  Clock* clock = &SystemClock::Instance();
  // Shared knowledge of destination blobs (fleet runs). A dry run needs one of its own, never a
  // real run's: it records the blobs the run would leave behind.
  BlobLedger* ledger = nullptr;
  Semaphore* transfer_slots = nullptr;  // a global cap on blob transfers in flight
  // From a listing of the destination's tags: false means the tag is absent, so no HEAD for it.
  std::optional<bool> destination_has_tag;
  // The listing found no such repository: it holds nothing but what this run puts there (which
  // the ledger knows), so no HEAD for its blobs and manifests either.
  bool destination_repository_is_new = false;
  // What an earlier run left the destination tag at (with --assume-destination-unchanged): when
  // the source still has this digest the tag is up to date, without asking the destination.
  std::string destination_last_digest;
  // Asked before each manifest PUT (not in a dry run); an error is the copy's, and the manifest
  // stays off the destination.
  std::function<Status()> before_manifest_put;
};

// What happened to one blob.
enum class BlobOutcome { kExisted, kMounted, kUploaded, kSkippedForeign };
// "exists", "mount", "upload", "skip": the action a report lists for a blob.
const char* BlobActionName(BlobOutcome outcome);

struct BlobRecord {
  std::string digest;
  uint64_t size = 0;
  BlobOutcome outcome = BlobOutcome::kExisted;
};

// Counts for one copy. Bytes and layers are only what crossed the wire. A dry run reports what
// a real run would do, counted the same way (a blob another tag of the run would upload first
// counts as present or mounted, not again as an upload), so the two reports agree.
struct CopyReport {
  std::string digest;  // what the destination reference now points to
  std::string media_type;
  bool up_to_date = false;  // nothing to do: the destination already had this digest
  uint64_t bytes_transferred = 0;
  uint64_t layers_transferred = 0;  // layer blobs uploaded (config blobs excluded)
  uint64_t blobs_uploaded = 0;
  uint64_t blobs_mounted = 0;
  uint64_t blobs_existing = 0;
  uint64_t manifests_pushed = 0;
  std::vector<BlobRecord> blobs;  // every blob of the copy, in the order they ended
  std::vector<std::string> plan;  // dry run: one line per action that would be taken
};

// Progress callbacks; called from worker threads, so they must be thread-safe.
struct CopyObserver {
  std::function<void(uint64_t bytes)> on_bytes;
  std::function<void(const std::string& digest, BlobOutcome outcome, uint64_t size)> on_blob;
};

// Not thread-safe itself (one Copy at a time); the clients it uses are.
class Copier {
 public:
  Copier(registry::RegistryClient& source, registry::RegistryClient& destination,
         CopyOptions options, CopyObserver observer = {});

  Result<CopyReport> Copy(const registry::Reference& source, const registry::Reference& destination,
                          std::stop_token stop);

 private:
  // The manifest the destination reference will name: the source's, or one platform's.
  Result<registry::Manifest> ResolveSource(const registry::Reference& source,
                                           const std::string& known_digest, std::stop_token stop);
  // Copies one platform manifest's blobs and pushes it by digest. Skips what is already there.
  Status CopyChildren(const std::string& src_repo, const std::string& dst_repo,
                      const std::vector<registry::Descriptor>& children, std::stop_token stop);
  Status CopyBlobs(const std::string& src_repo, const std::string& dst_repo,
                   const std::vector<registry::Descriptor>& blobs, std::stop_token stop);
  Status CopyBlob(const std::string& src_repo, const std::string& dst_repo,
                  const registry::Descriptor& blob, std::stop_token stop);
  Result<BlobOutcome> TransferBlob(const std::string& src_repo, const std::string& dst_repo,
                                   const std::string& mount_from, const registry::Descriptor& blob,
                                   std::stop_token stop);
  Status StreamBlob(const std::string& src_repo, const std::string& dst_repo,
                    const registry::Descriptor& blob, const registry::UploadSession& session,
                    uint64_t chunk_size, std::stop_token stop, long* refused_status);
  // Runs on StreamBlob's download thread.
  void Download(const std::string& src_repo, const registry::Descriptor& blob, uint64_t size,
                BytePipe& pipe, std::stop_token stop);
  Status PushManifest(const std::string& dst_repo, const std::string& reference,
                      const registry::Manifest& manifest, std::stop_token stop);
  void Plan(std::string line);
  void Count(BlobOutcome outcome, const registry::Descriptor& blob, bool is_layer);

  registry::RegistryClient& source_;
  registry::RegistryClient& destination_;
  CopyOptions options_;
  CopyObserver observer_;
  bool same_registry_;

  std::mutex mu_;  // guards report_ while blobs copy in parallel
  CopyReport report_;
};

}  // namespace freightliner::replication
