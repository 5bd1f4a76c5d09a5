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

// Thread-safe: workers report into it; its own thread draws.
class Progress {
 public:
  Progress(int64_t total, bool terminal);
  ~Progress();  // draws the final state and ends the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void OnBytes(uint64_t n) { bytes_ += n; }
  void OnTaskDone(const replication::TaskResult& result);

 private:
  void Draw(bool final);

  const int64_t total_;
  const bool terminal_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::atomic<uint64_t> bytes_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> failed_{0};
  std::mutex draw_mu_;
  std::jthread ticker_;
};

}  // namespace freightliner::cli
