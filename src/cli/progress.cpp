#include "cli/progress.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

#include "common/format.hpp"

namespace freightliner::cli {

Progress::Progress(bool terminal) : terminal_(terminal) {
  // A terminal gets a redraw 4 times a second; a log, a line every 10 seconds.
  const auto period = terminal ? std::chrono::milliseconds(250) : std::chrono::milliseconds(10000);
  ticker_ = std::jthread([this, period](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    while (true) {
      cv.wait_for(lock, stop, period, [] { return false; });
      if (stop.stop_requested()) return;
      Draw(false);
    }
  });
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
  const auto rate = static_cast<uint64_t>(seconds > 0 ? static_cast<double>(bytes) / seconds : 0);
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

}  // namespace freightliner::cli
