// Holds idle and trickling connections to a server for a bounded time (bench/slow_clients.sh):
//   bench_slow_clients HOST PORT IDLE TRICKLING SECONDS
// Prints "holding N" once all are connected, then "still open M" when it lets them go.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "fixtures/slow_clients.hpp"

int main(int argc, char** argv) {
  using freightliner::testing::SlowClients;
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s IPV4 PORT IDLE TRICKLING SECONDS\n", argv[0]);
    return 2;
  }
  const int idle = std::atoi(argv[3]);
  const int trickling = std::atoi(argv[4]);
  const int seconds = std::atoi(argv[5]);
  // Bounded: a benchmark, not a load generator.
  if (idle < 0 || trickling < 0 || idle + trickling > 5000 || seconds < 1 || seconds > 1800) {
    std::fprintf(stderr, "at most 5000 connections, 1 to 1800 seconds\n");
    return 2;
  }
  freightliner::testing::RaiseOpenFileLimit(static_cast<rlim_t>(idle + trickling + 64));
  try {
    SlowClients slow(argv[1], static_cast<uint16_t>(std::atoi(argv[2])),
                     {.idle = idle, .trickling = trickling, .trickle_bytes = 10});
    std::printf("holding %d\n", slow.size());
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    std::printf("still open %d\n", slow.StillOpen());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
