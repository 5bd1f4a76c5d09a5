// A latency-adding TCP proxy for benchmarks: tests/fixtures' LatencyProxy in a process.
//
//   bench_latency_proxy UPSTREAM_HOST:PORT RTT_MS [LISTEN_PORT]
//
// Listens on 127.0.0.1 (LISTEN_PORT, or a free port when absent or 0), forwards every connection
// to UPSTREAM, and delays each chunk by RTT_MS / 2 in each direction (LatencyProxy's delay is one
// way), so a round trip through it grows by RTT_MS while bulk transfers keep streaming. Bytes pass
// untouched (the Host header too). Prints the port on stdout, then runs until SIGTERM or SIGINT.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "fixtures/latency_proxy.hpp"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s UPSTREAM_HOST:PORT RTT_MS [LISTEN_PORT]\n", argv[0]);
    return 2;
  }
  const std::string upstream = argv[1];
  const int rtt_ms = std::atoi(argv[2]);
  const int port = argc == 4 ? std::atoi(argv[3]) : 0;
  if (rtt_ms < 0 || rtt_ms % 2 != 0 || upstream.find(':') == std::string::npos) {
    std::fprintf(stderr, "RTT_MS must be even and >= 0; UPSTREAM is HOST:PORT\n");
    return 2;
  }
  // Block the signals before any thread starts, so every thread inherits the mask and sigwait
  // below is the only place they arrive.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    // Deliberately leaked: its destructor joins every connection's threads, which could wait on
    // idle keep-alive connections; on SIGTERM the process simply ends.
    auto* proxy = new freightliner::testing::LatencyProxy(
        upstream, std::chrono::milliseconds(rtt_ms / 2), port);
    std::printf("%d\n", proxy->port());
    std::fflush(stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latency proxy: %s\n", e.what());
    return 1;
  }
  int received = 0;
  sigwait(&signals, &received);
  std::_Exit(0);
}
