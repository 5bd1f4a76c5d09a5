#pragma once
// Progress of a fleet run on stderr: a live line on a terminal, plain log lines otherwise.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
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

}  // namespace freightliner::cli
