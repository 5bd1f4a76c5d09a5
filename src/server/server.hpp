#pragma once
// `freightliner serve`: the API, the metrics endpoint and the job runners, until stopped.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "common/error.hpp"
#include "server/config.hpp"

namespace freightliner::server {

// The drain delay after a stop signal, which a second signal cuts short. Thread-safe.
class DrainDelay {
 public:
  // Waits up to `delay`, less if cut short (before or during the wait). The delay is over after.
  void Wait(std::chrono::seconds delay);
  // Cuts the delay short and returns true; false once it is over (a signal then means: quit).
  bool CutShort();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool cut_ = false;
  bool over_ = false;
};

// Serves until `stop`; then /ready answers 503 for config.drain_delay (or until `drain` is cut
// short) while everything else goes on, then it stops accepting jobs, lets running jobs
// checkpoint and stop (up to config.shutdown_timeout) and returns. An error means it could not
// start.
Status Serve(const ServerConfig& config, std::stop_token stop, DrainDelay* drain = nullptr);

}  // namespace freightliner::server
