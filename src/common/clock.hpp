#pragma once
// Time as an I/O seam: production code sleeps on SystemClock; tests drive FakeClock and run
// instantly.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <vector>

namespace freightliner {

// Thread-safe.
class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Sleeps for `d` unless `stop` is requested first. Returns false when the sleep was cut short.
  virtual bool SleepFor(Duration d, std::stop_token stop) = 0;
  // Wall-clock seconds since the epoch, for HTTP dates.
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  bool SleepFor(Duration d, std::stop_token stop) override;
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
  // The process-wide instance.
  static SystemClock& Instance();
};

// A clock that only moves when slept on or advanced; records every sleep. Thread-safe.
class FakeClock final : public Clock {
 public:
  TimePoint Now() const override;
  bool SleepFor(Duration d, std::stop_token stop) override;
  std::chrono::system_clock::time_point WallNow() const override;
  void Advance(Duration d);
  std::vector<Duration> Sleeps() const;

 private:
  mutable std::mutex mu_;
  Duration elapsed_{};
  std::vector<Duration> sleeps_;
};

}  // namespace freightliner
