#include "common/clock.hpp"

namespace freightliner {

bool SystemClock::SleepFor(Duration d, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

SystemClock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

Clock::TimePoint FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return TimePoint{} + elapsed_;
}

bool FakeClock::SleepFor(Duration d, std::stop_token stop) {
  if (stop.stop_requested()) return false;
  std::lock_guard lock(mu_);
  sleeps_.push_back(d);
  elapsed_ += d;
  return true;
}

std::chrono::system_clock::time_point FakeClock::WallNow() const {
  std::lock_guard lock(mu_);
  // A fixed epoch makes HTTP-date arithmetic in tests exact: 2026-01-01T00:00:00Z.
  return std::chrono::system_clock::time_point{} + std::chrono::seconds(1767225600) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(elapsed_);
}

void FakeClock::Advance(Duration d) {
  std::lock_guard lock(mu_);
  elapsed_ += d;
}

std::vector<Clock::Duration> FakeClock::Sleeps() const {
  std::lock_guard lock(mu_);
  return sleeps_;
}

}  // namespace freightliner
