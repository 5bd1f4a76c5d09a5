#include "common/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

namespace freightliner {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);  // private: wakes the waiter when the stopper is destroyed
  return set;
}

}  // namespace

SignalStopper::SignalStopper(std::stop_source source, std::function<void(int)> on_signal,
                             std::function<bool(int)> on_repeat)
    : source_(std::move(source)),
      on_signal_(std::move(on_signal)),
      on_repeat_(std::move(on_repeat)) {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  waiter_ = std::jthread([this, set](std::stop_token self) {
    while (!self.stop_requested()) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0 || sig == SIGUSR2) continue;
      if (received_ != 0) {
        if (on_repeat_ && on_repeat_(sig)) continue;
        _exit(130);  // a second Ctrl-C: the user really wants out
      }
      received_ = sig;
      source_.request_stop();
      if (on_signal_) on_signal_(sig);
    }
  });
}

SignalStopper::~SignalStopper() {
  waiter_.request_stop();
  pthread_kill(waiter_.native_handle(), SIGUSR2);
  waiter_.join();
}

}  // namespace freightliner
