#include "cli/progress.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

#include "common/format.hpp"

namespace freightliner::cli {
namespace {

// A thread that calls `draw` until stopped: 4 times a second on a terminal; for a log, every 10
// seconds.
template <typename Draw>
std::jthread StartTicker(bool terminal, Draw draw) {
  const auto period = terminal ? std::chrono::milliseconds(250) : std::chrono::milliseconds(10000);
  return std::jthread([period, draw](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    while (true) {
      cv.wait_for(lock, stop, period, [] { return false; });
      if (stop.stop_requested()) return;
      draw();
    }
  });
}

uint64_t Rate(uint64_t bytes, double seconds) {
  return static_cast<uint64_t>(seconds > 0 ? static_cast<double>(bytes) / seconds : 0);
}

}  // namespace

Progress::Progress(bool terminal) : terminal_(terminal) {
  ticker_ = StartTicker(terminal, [this] { Draw(false); });
}

Progress::~Progress() {
  Finish();
}

void Progress::PlanComplete(int64_t total) {
  total_ = total;
  plan_complete_ = true;
}

void Progress::Finish() {
  if (!ticker_.joinable()) return;
  ticker_.request_stop();
  ticker_.join();
  Draw(true);
}

void Progress::OnTaskDone(const replication::TaskResult& result) {
  if (result.state == replication::TaskState::kPending) return;
  ++done_;
  if (result.state == replication::TaskState::kFailed) ++failed_;
  if (!terminal_) {
    // Without a live line, each tag gets a log line.
    if (result.state == replication::TaskState::kFailed) {
      spdlog::warn("failed {} -> {}: {}", result.task.source.String(),
                   result.task.destination.String(),
                   result.error ? result.error->ToString() : "unknown error");
    } else {
      spdlog::info("{} {} -> {} {}",
                   result.state == replication::TaskState::kUpToDate ? "up to date" : "copied",
                   result.task.source.String(), result.task.destination.String(),
                   result.report.digest);
    }
  }
}

void Progress::Draw(bool final) {
  std::lock_guard lock(draw_mu_);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const uint64_t bytes = bytes_.load();
  const uint64_t rate = Rate(bytes, seconds);
  char line[256];
  std::snprintf(line, sizeof(line), "[%lld/%lld%s tags] %lld failed | %s at %s/s | %.1f s",
                static_cast<long long>(done_.load()), static_cast<long long>(total_.load()),
                plan_complete_ ? "" : "+", static_cast<long long>(failed_.load()),
                HumanBytes(bytes).c_str(), HumanBytes(rate).c_str(), seconds);
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
    std::fflush(stderr);
  } else if (!final) {
    spdlog::info("progress: {}", line);
  }
}

CopyProgress::CopyProgress(bool terminal) : terminal_(terminal) {
  ticker_ = StartTicker(terminal, [this] { Draw(false); });
}

CopyProgress::~CopyProgress() {
  Finish();
}

replication::CopyObserver CopyProgress::Observer() {
  return {.on_bytes = [this](uint64_t n) { bytes_ += n; },
          .on_blob = [this](const std::string& digest, replication::BlobOutcome outcome,
                            uint64_t size) { OnBlob(digest, outcome, size); }};
}

void CopyProgress::Finish() {
  if (!ticker_.joinable()) return;
  ticker_.request_stop();
  ticker_.join();
  Draw(true);
}

void CopyProgress::OnBlob(const std::string& digest, replication::BlobOutcome outcome,
                          uint64_t size) {
  switch (outcome) {
    case replication::BlobOutcome::kUploaded:
      ++uploaded_;
      break;
    case replication::BlobOutcome::kMounted:
      ++mounted_;
      break;
    case replication::BlobOutcome::kExisted:
      ++existing_;
      break;
    case replication::BlobOutcome::kSkippedForeign:
      break;
  }
  if (!terminal_) return;  // a log gets the totals only
  // The blob's line goes above the live line, which is drawn again below it.
  std::lock_guard lock(draw_mu_);
  std::fprintf(stderr, "\r\033[K  %s  %10s  %s\n%s", digest.c_str(), HumanBytes(size).c_str(),
               replication::BlobActionName(outcome), Line().c_str());
  std::fflush(stderr);
}

std::string CopyProgress::Line() const {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const uint64_t bytes = bytes_.load();
  char line[256];
  std::snprintf(line, sizeof(line),
                "%lld blobs done (%lld uploaded, %lld mounted, %lld already present) | %s at "
                "%s/s | %.1f s",
                static_cast<long long>(uploaded_ + mounted_ + existing_),
                static_cast<long long>(uploaded_.load()), static_cast<long long>(mounted_.load()),
                static_cast<long long>(existing_.load()), HumanBytes(bytes).c_str(),
                HumanBytes(Rate(bytes, seconds)).c_str(), seconds);
  return line;
}

void CopyProgress::Draw(bool final) {
  std::lock_guard lock(draw_mu_);
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s%s", Line().c_str(), final ? "\n" : "");
    std::fflush(stderr);
  } else {
    spdlog::info("progress: {}", Line());
  }
}

}  // namespace freightliner::cli
