#pragma once
// Progress on stderr, never stdout: a live line on a terminal, plain log lines otherwise.
// Progress follows a fleet run; CopyProgress follows the blobs of one image (replicate).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "replication/engine.hpp"

namespace freightliner::cli {

// Thread-safe: the planner and workers report into it; its own thread draws. The total grows
// while the run is planned ("[12/40+ tags]") and is fixed once the plan is whole.
class Progress {
 public:
  explicit Progress(bool terminal);
  ~Progress();  // Finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void AddTags(int64_t n) { total_ += n; }
  void PlanComplete(int64_t total);
  void OnBytes(uint64_t n) { bytes_ += n; }
  void OnTaskDone(const replication::TaskResult& result);
  // Draws the final state and ends the line; later calls do nothing.
  void Finish();

 private:
  void Draw(bool final);

  const bool terminal_;
  std::atomic<int64_t> total_{0};
  std::atomic<bool> plan_complete_{false};
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::atomic<uint64_t> bytes_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> failed_{0};
  std::mutex draw_mu_;
  std::jthread ticker_;
};

// Thread-safe: the copier's blob workers report into it; its own thread draws. On a terminal a
// line per blob as it ends above a live line of bytes and rate; otherwise a log line every 10 s
// and one at the end.
class CopyProgress {
 public:
  explicit CopyProgress(bool terminal);
  ~CopyProgress();  // Finish()
  CopyProgress(const CopyProgress&) = delete;
  CopyProgress& operator=(const CopyProgress&) = delete;

  // Callbacks for a Copier, which must not outlive this.
  replication::CopyObserver Observer();
  // Draws the final state and ends the line; later calls do nothing.
  void Finish();

 private:
  void OnBlob(const std::string& digest, replication::BlobOutcome outcome, uint64_t size);
  std::string Line() const;
  void Draw(bool final);

  const bool terminal_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::atomic<uint64_t> bytes_{0};
  std::atomic<int64_t> uploaded_{0};
  std::atomic<int64_t> mounted_{0};
  std::atomic<int64_t> existing_{0};
  std::mutex draw_mu_;
  std::jthread ticker_;
};

}  // namespace freightliner::cli
