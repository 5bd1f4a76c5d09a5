#include "replication/copier.hpp"

#include <spdlog/spdlog.h>

#include <set>
#include <thread>

#include "common/byte_pipe.hpp"
#include "common/format.hpp"
#include "common/parallel.hpp"
#include "common/sha256.hpp"

namespace freightliner::replication {
namespace {

using registry::Descriptor;
using registry::Manifest;

std::string Short(const std::string& digest) {
  return digest.substr(0, 19);
}

bool IsRefusalOfOnePutUploads(long status) {
  // 413: too large for one request; 405/501: this registry only takes chunked uploads.
  return status == 413 || status == 405 || status == 501;
}

}  // namespace

const char* BlobActionName(BlobOutcome outcome) {
  switch (outcome) {
    case BlobOutcome::kExisted:
      return "exists";
    case BlobOutcome::kMounted:
      return "mount";
    case BlobOutcome::kUploaded:
      return "upload";
    case BlobOutcome::kSkippedForeign:
      return "skip";
  }
  return "exists";
}

Copier::Copier(registry::RegistryClient& source, registry::RegistryClient& destination,
               CopyOptions options, CopyObserver observer)
    : source_(source),
      destination_(destination),
      options_(std::move(options)),
      observer_(std::move(observer)),
      same_registry_(source.registry() == destination.registry()) {}

void Copier::Plan(std::string line) {
  std::lock_guard lock(mu_);
  report_.plan.push_back(std::move(line));
}

Result<Manifest> Copier::ResolveSource(const registry::Reference& source,
                                       const std::string& known_digest, std::stop_token stop) {
  const std::string& repo = source.repository.path;
  // By the digest a HEAD just compared, if any: the tag may have moved since. Otherwise one GET
  // by tag, whose content GetManifest checks against the digest the registry announces.
  const std::string identifier = !known_digest.empty() ? known_digest : source.Identifier();
  auto top = source_.GetManifest(repo, identifier, stop);
  if (!top || !top->is_index || options_.platforms.empty()) return top;
  std::vector<Descriptor> chosen;
  for (const Descriptor& child : top->children) {
    for (const registry::Platform& wanted : options_.platforms) {
      if (child.platform && child.platform->Matches(wanted)) {
        chosen.push_back(child);
        break;
      }
    }
  }
  if (chosen.empty()) {
    std::string wanted, available;
    for (const auto& p : options_.platforms)
      wanted += (wanted.empty() ? "" : ", ") + p.String();
    for (const Descriptor& child : top->children) {
      if (child.platform) available += (available.empty() ? "" : ", ") + child.platform->String();
    }
    return MakeError(ErrorCode::kNotFound, source.String() + " has no platform " + wanted +
                                               " (it has: " + available + ")");
  }
  if (options_.platforms.size() == 1) return source_.GetManifest(repo, chosen[0].digest, stop);
  return registry::FilterIndex(*top, chosen);
}

Result<CopyReport> Copier::Copy(const registry::Reference& source,
                                const registry::Reference& destination, std::stop_token stop) {
  report_ = CopyReport{};
  const std::string& src_repo = source.repository.path;
  const std::string& dst_repo = destination.repository.path;
  const std::string dst_id = destination.Identifier();

  // The cheap path: two HEADs tell that the destination already has this exact digest. A tag
  // listing that says the destination has no such tag saves the first one; an earlier run's
  // record of the destination, when trusted, saves it too.
  std::optional<registry::ManifestHead> dst_head;
  std::string src_digest = source.digest;
  auto source_digest = [&]() -> Status {
    if (!src_digest.empty()) return Ok();
    auto src_head = source_.HeadManifest(src_repo, source.tag, stop);
    if (!src_head) return tl::unexpected(src_head.error());
    if (!*src_head) {
      return MakeError(ErrorCode::kNotFound, "manifest " + source.String() + " not found");
    }
    src_digest = (*src_head)->digest;
    report_.media_type = (*src_head)->media_type;
    return Ok();
  };
  auto up_to_date = [&](const std::string& digest) {
    report_.digest = digest;
    report_.up_to_date = true;
    if (options_.dry_run) Plan("up to date: " + destination.String() + " is " + digest);
    return report_;
  };
  const bool may_skip = !options_.force && options_.destination_has_tag.value_or(true);
  if (may_skip && options_.platforms.empty() && !options_.destination_last_digest.empty()) {
    if (Status s = source_digest(); !s) return tl::unexpected(s.error());
    if (src_digest == options_.destination_last_digest) return up_to_date(src_digest);
  } else if (may_skip) {
    auto head = destination_.HeadManifest(dst_repo, dst_id, stop);
    if (!head) return tl::unexpected(head.error().WithContext("destination"));
    dst_head = *head;
    if (dst_head && !dst_head->digest.empty() && options_.platforms.empty()) {
      if (Status s = source_digest(); !s) return tl::unexpected(s.error());
      if (src_digest == dst_head->digest) {
        report_.media_type = dst_head->media_type;
        return up_to_date(src_digest);
      }
    }
  }

  auto target = ResolveSource(source, src_digest, stop);
  if (!target) return tl::unexpected(target.error());
  if (!destination.digest.empty() && destination.digest != target->digest) {
    return MakeError(ErrorCode::kInvalidArgument, "destination digest " + destination.digest +
                                                      " differs from the source's " +
                                                      target->digest);
  }
  report_.digest = target->digest;
  report_.media_type = target->media_type;
  if (!options_.force && dst_head && dst_head->digest == target->digest) {
    return up_to_date(target->digest);  // the chosen platforms are already there
  }

  Status copied = target->is_index ? CopyChildren(src_repo, dst_repo, target->children, stop)
                                   : CopyBlobs(src_repo, dst_repo, target->Blobs(), stop);
  if (!copied) return tl::unexpected(copied.error());
  // Last: only now may the tag point at the content.
  if (Status pushed = PushManifest(dst_repo, dst_id, *target, stop); !pushed) {
    return tl::unexpected(pushed.error());
  }
  return report_;
}

Status Copier::CopyChildren(const std::string& src_repo, const std::string& dst_repo,
                            const std::vector<Descriptor>& children, std::stop_token stop) {
  std::mutex mu;
  std::vector<Manifest> missing;
  Status fetched = ParallelFor<Descriptor>(
      children, options_.blob_concurrency, stop,
      [&](const Descriptor& child, std::stop_token token) -> Status {
        if (!options_.force && !options_.destination_repository_is_new) {
          auto exists = destination_.HeadManifest(dst_repo, child.digest, token);
          if (!exists) return tl::unexpected(exists.error());
          if (*exists) {
            if (options_.dry_run) Plan("exists manifest " + child.digest);
            return Ok();
          }
        }
        auto manifest = source_.GetManifest(src_repo, child.digest, token);
        if (!manifest) return tl::unexpected(manifest.error());
        std::lock_guard lock(mu);
        missing.push_back(std::move(*manifest));
        return Ok();
      });
  if (!fetched) return fetched;

  // The blobs of every missing platform at once, each blob once.
  std::vector<Descriptor> blobs;
  std::set<std::string> seen;
  for (const Manifest& m : missing) {
    if (m.is_index) {
      if (Status s = CopyChildren(src_repo, dst_repo, m.children, stop); !s) return s;
      continue;
    }
    for (const Descriptor& d : m.Blobs()) {
      if (seen.insert(d.digest).second) blobs.push_back(d);
    }
  }
  if (Status s = CopyBlobs(src_repo, dst_repo, blobs, stop); !s) return s;
  for (const Manifest& m : missing) {
    if (Status s = PushManifest(dst_repo, m.digest, m, stop); !s) return s;
  }
  return Ok();
}

Status Copier::CopyBlobs(const std::string& src_repo, const std::string& dst_repo,
                         const std::vector<Descriptor>& blobs, std::stop_token stop) {
  return ParallelFor<Descriptor>(blobs, options_.blob_concurrency, stop,
                                 [&](const Descriptor& blob, std::stop_token token) {
                                   return CopyBlob(src_repo, dst_repo, blob, token);
                                 });
}

void Copier::Count(BlobOutcome outcome, const Descriptor& blob, bool is_layer) {
  {
    std::lock_guard lock(mu_);
    switch (outcome) {
      case BlobOutcome::kExisted:
        ++report_.blobs_existing;
        break;
      case BlobOutcome::kMounted:
        ++report_.blobs_mounted;
        break;
      case BlobOutcome::kUploaded:
        ++report_.blobs_uploaded;
        report_.bytes_transferred += static_cast<uint64_t>(blob.size);
        if (is_layer) ++report_.layers_transferred;
        break;
      case BlobOutcome::kSkippedForeign:
        break;
    }
    report_.blobs.push_back({blob.digest, static_cast<uint64_t>(blob.size), outcome});
  }
  if (observer_.on_blob) observer_.on_blob(blob.digest, outcome, static_cast<uint64_t>(blob.size));
}

Status Copier::CopyBlob(const std::string& src_repo, const std::string& dst_repo,
                        const Descriptor& blob, std::stop_token stop) {
  const bool is_layer = !registry::IsConfigMediaType(blob.media_type);
  if (blob.foreign) {
    if (options_.dry_run) Plan("skip foreign layer " + blob.digest);
    Count(BlobOutcome::kSkippedForeign, blob, is_layer);
    return Ok();
  }
  BlobLedger* ledger = options_.ledger;
  const std::string& dst_registry = destination_.registry();
  BlobLedger::Claim claim;
  if (ledger != nullptr) {
    claim = ledger->Acquire(dst_registry, dst_repo, blob.digest, stop);
    if (claim.kind == BlobLedger::Kind::kCanceled) {
      return MakeError(ErrorCode::kCanceled, "canceled");
    }
    if (claim.kind == BlobLedger::Kind::kAlreadyThere) {
      Count(BlobOutcome::kExisted, blob, is_layer);
      return Ok();
    }
  }
  // A claim must be released whatever happens, or other workers wait forever.
  bool present = false;
  struct ReleaseClaim {
    BlobLedger* ledger;
    BlobLedger::Kind kind;
    const std::string &registry, &repo, &digest;
    bool& present;
    ~ReleaseClaim() {
      if (ledger != nullptr &&
          (kind == BlobLedger::Kind::kUpload || kind == BlobLedger::Kind::kMountFrom)) {
        ledger->Release(registry, repo, digest, kind, present);
      }
    }
  } release{ledger, claim.kind, dst_registry, dst_repo, blob.digest, present};

  std::string mount_from = same_registry_ ? src_repo : "";
  if (claim.kind == BlobLedger::Kind::kMountFrom) mount_from = claim.from_repo;
  // A repository that existed before the run may hold the blob already: a HEAD (a read) is
  // cheaper for the registry than a mount (a write) that turns out needless.
  if (!options_.destination_repository_is_new) {
    auto exists = destination_.BlobExists(dst_repo, blob.digest, stop);
    if (!exists) return tl::unexpected(exists.error());
    if (*exists) {
      if (options_.dry_run) Plan("exists blob " + blob.digest);
      present = true;
      Count(BlobOutcome::kExisted, blob, is_layer);
      return Ok();
    }
  }
  bool remembered = false;
  if (mount_from.empty() && ledger != nullptr) {
    if (auto from = ledger->RememberedSource(dst_registry, dst_repo, blob.digest)) {
      mount_from = *from;  // an earlier run saw it there
      remembered = true;
    }
  }
  if (options_.dry_run) {
    Plan(!mount_from.empty() ? "would mount blob " + blob.digest + " from " + mount_from
                             : "would copy blob " + blob.digest + " (" +
                                   HumanBytes(static_cast<uint64_t>(blob.size)) + ")");
    // Counted, and left in the ledger, as the real run would: later tags of the run then see
    // it present (or mountable) as they will in the real run.
    present = true;
    Count(mount_from.empty() ? BlobOutcome::kUploaded : BlobOutcome::kMounted, blob, is_layer);
    return Ok();
  }
  SemaphoreGuard slot(options_.transfer_slots, stop);
  if (!slot.acquired()) return MakeError(ErrorCode::kCanceled, "canceled");
  // The whole transfer is one idempotent step (content-addressed): retry it from the start.
  auto outcome = registry::RetryCall<BlobOutcome>(
      options_.retry, *options_.clock, stop,
      [&] { return TransferBlob(src_repo, dst_repo, mount_from, blob, stop); },
      [&](int attempt, const Error& e, Clock::Duration delay) {
        registry::LogRetry("the transfer of blob " + Short(blob.digest), attempt,
                           options_.retry.max_attempts, e, delay);
      });
  if (!outcome) return tl::unexpected(outcome.error().WithContext("blob " + blob.digest));
  if (remembered && *outcome == BlobOutcome::kUploaded) {
    ledger->MountRefused(dst_registry, mount_from, blob.digest);
  }
  present = true;
  Count(*outcome, blob, is_layer);
  return Ok();
}

Result<BlobOutcome> Copier::TransferBlob(const std::string& src_repo, const std::string& dst_repo,
                                         const std::string& mount_from, const Descriptor& blob,
                                         std::stop_token stop) {
  auto session = destination_.StartUpload(dst_repo, blob.digest, mount_from, stop);
  if (!session) return tl::unexpected(session.error());
  if (session->mounted) return BlobOutcome::kMounted;

  long refused = 0;
  Status streamed =
      StreamBlob(src_repo, dst_repo, blob, *session, options_.chunk_size, stop, &refused);
  if (!streamed && options_.chunk_size == 0 && IsRefusalOfOnePutUploads(refused)) {
    spdlog::info("{} refused a one-request upload (HTTP {}); uploading {} in chunks",
                 destination_.registry(), refused, Short(blob.digest));
    destination_.CancelUpload(*session, dst_repo);
    session = destination_.StartUpload(dst_repo, blob.digest, "", stop);
    if (!session) return tl::unexpected(session.error());
    streamed =
        StreamBlob(src_repo, dst_repo, blob, *session, options_.fallback_chunk_size, stop, nullptr);
  }
  if (!streamed) {
    destination_.CancelUpload(*session, dst_repo);
    return tl::unexpected(streamed.error());
  }
  return BlobOutcome::kUploaded;
}

Status Copier::StreamBlob(const std::string& src_repo, const std::string& dst_repo,
                          const Descriptor& blob, const registry::UploadSession& session,
                          uint64_t chunk_size, std::stop_token stop, long* refused_status) {
  const auto size = static_cast<uint64_t>(blob.size);
  // The final byte waits for the digest check: an unverified blob can never be committed.
  // A blob smaller than the pipe gets a buffer of its own size.
  BytePipe pipe(std::min<uint64_t>(options_.pipe_capacity, size + 1), size > 0 ? 1 : 0);
  std::stop_source download_stop;
  std::stop_callback link(stop, [&] { download_stop.request_stop(); });

  // The download thread's exception: rethrown here once it has ended (see ParallelFor).
  std::exception_ptr download_threw;
  std::jthread download([&] {
    try {
      Download(src_repo, blob, size, pipe, download_stop.get_token());
    } catch (...) {
      // The upload reading the pipe ends with this error; the exception goes on from here.
      download_threw = std::current_exception();
      pipe.CloseWrite(MakeError(
          ErrorCode::kInternal,
          "download of " + Short(blob.digest) + " threw: " + ExceptionMessage(download_threw)));
    }
  });

  http::BodySource from_pipe = [&](char* buffer, size_t capacity) {
    return pipe.Read(buffer, capacity, stop);
  };
  Status uploaded = Ok();
  std::exception_ptr upload_threw;
  try {
    uploaded = chunk_size > 0 ? destination_.PutBlobChunked(session, dst_repo, blob.digest, size,
                                                            chunk_size, from_pipe, stop)
                              : destination_.PutBlob(session, dst_repo, blob.digest, size,
                                                     from_pipe, stop, refused_status);
  } catch (...) {
    // The download must still be stopped and joined, or it waits on the pipe forever.
    upload_threw = std::current_exception();
    uploaded = MakeError(ErrorCode::kInternal, "upload threw: " + ExceptionMessage(upload_threw));
  }
  if (!uploaded) {
    pipe.CloseRead(uploaded.error());
    download_stop.request_stop();
  }
  download.join();
  if (download_threw) std::rethrow_exception(download_threw);
  if (upload_threw) std::rethrow_exception(upload_threw);
  return uploaded;
}

// Streams the blob from the source into `pipe`, checking its size and digest; closes the pipe's
// write end with the outcome.
void Copier::Download(const std::string& src_repo, const Descriptor& blob, uint64_t size,
                      BytePipe& pipe, std::stop_token stop) {
  Sha256 hasher;
  uint64_t received = 0;
  Status got = source_.GetBlob(
      src_repo, blob.digest,
      [&](std::string_view chunk) -> Status {
        received += chunk.size();
        if (received > size) {
          return MakeError(ErrorCode::kDigestMismatch, "source sent more than the " +
                                                           std::to_string(size) +
                                                           " bytes its descriptor declares");
        }
        hasher.Update(chunk);
        if (observer_.on_bytes) observer_.on_bytes(chunk.size());
        return pipe.Write(chunk, stop);
      },
      stop);
  if (got && received != size) {
    got = MakeError(ErrorCode::kDigestMismatch, "source sent " + std::to_string(received) +
                                                    " bytes, descriptor declares " +
                                                    std::to_string(size));
  }
  if (got) {
    const std::string actual = hasher.FinalDigest();
    if (actual != blob.digest) {
      got = MakeError(ErrorCode::kDigestMismatch, "content hashes to " + actual);
    }
  }
  pipe.CloseWrite(got);
}

Status Copier::PushManifest(const std::string& dst_repo, const std::string& reference,
                            const Manifest& manifest, std::stop_token stop) {
  if (options_.dry_run) {
    Plan("would push manifest " + manifest.digest + " (" + manifest.media_type + ") as " +
         dst_repo + (registry::IsValidDigest(reference) ? "@" : ":") + reference);
    std::lock_guard lock(mu_);
    ++report_.manifests_pushed;
    return Ok();
  }
  if (options_.before_manifest_put) {
    if (Status s = options_.before_manifest_put(); !s) return s;
  }
  if (Status s = destination_.PutManifest(dst_repo, reference, manifest, stop); !s) return s;
  std::lock_guard lock(mu_);
  ++report_.manifests_pushed;
  return Ok();
}

}  // namespace freightliner::replication
