#include "store/job_store.hpp"

#include <array>

namespace freightliner::store {
namespace {

constexpr std::array<std::pair<JobStatus, std::string_view>, 5> kNames = {{
    {JobStatus::kQueued, "queued"},
    {JobStatus::kRunning, "running"},
    {JobStatus::kSucceeded, "succeeded"},
    {JobStatus::kFailed, "failed"},
    {JobStatus::kCanceled, "canceled"},
}};

}  // namespace

std::string_view JobStatusName(JobStatus status) {
  for (const auto& [value, name] : kNames) {
    if (value == status) return name;
  }
  return "failed";  // unreachable: every enumerator is named above
}

std::optional<JobStatus> JobStatusFromName(std::string_view name) {
  for (const auto& [value, text] : kNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

StoredJob WithStoreOwnedFields(StoredJob next, const StoredJob& current) {
  next.id = current.id;
  next.type = current.type;
  next.created_at_ms = current.created_at_ms;
  next.owner = current.owner;
  next.lease_until_ms = current.lease_until_ms;
  next.fence = current.fence;
  return next;
}

bool Ended(JobStatus status) {
  return status == JobStatus::kSucceeded || status == JobStatus::kFailed ||
         status == JobStatus::kCanceled;
}

}  // namespace freightliner::store
