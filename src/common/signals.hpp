#pragma once
// Turns SIGINT/SIGTERM into a stop request that every worker and transfer observes.

#include <functional>
#include <stop_token>
#include <thread>

namespace freightliner {

// Blocks SIGINT and SIGTERM in the calling thread (call before starting other threads, so they
// inherit the mask) and waits for them on a dedicated thread. The first signal requests stop on
// `source` and calls `on_signal`; a later one calls `on_repeat` and, unless it returns true (it
// took the signal: serve's drain delay is cut short), exits at once with 130.
class SignalStopper {
 public:
  SignalStopper(std::stop_source source, std::function<void(int)> on_signal = {},
                std::function<bool(int)> on_repeat = {});
  ~SignalStopper();
  SignalStopper(const SignalStopper&) = delete;
  SignalStopper& operator=(const SignalStopper&) = delete;

  // The signal received, or 0.
  int received() const { return received_; }

 private:
  std::stop_source source_;
  std::function<void(int)> on_signal_;
  std::function<bool(int)> on_repeat_;
  volatile int received_ = 0;
  std::jthread waiter_;
};

}  // namespace freightliner
