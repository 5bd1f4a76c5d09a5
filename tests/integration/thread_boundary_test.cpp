// Exceptions on a copy's own threads (the blob download, the blob workers) against real
// registries: they must fail the tag and be counted as a panic, never end the process.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "fixtures/hostile_registry.hpp"
#include "fixtures/registry.hpp"
#include "http/transport.hpp"
#include "registry/client_pool.hpp"
#include "replication/engine.hpp"
#include "replication/worker_pool.hpp"

namespace freightliner::testing {
namespace {

using replication::CopyTask;
using replication::Engine;
using replication::EngineObserver;
using replication::RunSummary;

// The observer's on_bytes runs on the download thread of a blob, inside libcurl's write callback:
// throwing there (something that is not a std::exception) reaches every layer in between.
TEST(ThreadBoundaryTest, ADownloadThreadThatThrowsFailsTheTagAndIsAPanic) {
  HostileRegistry src;
  src.AddImage("team/app", "v1");
  Registry dst;
  auto transport = std::make_shared<http::Transport>(http::TransportOptions{});
  registry::ClientPool clients(
      {.insecure_hosts = {src.host(), dst.host()}, .read_credentials_from_env = false}, transport);
  replication::WorkerPool workers(2);
  std::atomic<int> panics{0};
  std::mutex mu;
  std::string panic_what;
  EngineObserver observer{.on_bytes = [](uint64_t) { throw 42; },
                          .on_panic =
                              [&](const char* what) {
                                std::lock_guard lock(mu);
                                ++panics;
                                panic_what = what;
                              }};
  Engine engine(clients, workers, {}, observer);
  CopyTask task;
  task.source = {{src.host(), "team/app"}, "v1", ""};
  task.destination = {{dst.host(), "mirror/app"}, "v1", ""};
  const RunSummary summary = engine.Run(std::vector<CopyTask>{task}, {});
  EXPECT_EQ(summary.total, 1);
  EXPECT_EQ(summary.failed, 1);
  ASSERT_EQ(summary.failures.size(), 1u);
  ASSERT_TRUE(summary.failures[0].error);
  EXPECT_EQ(summary.failures[0].error->code, ErrorCode::kInternal);
  EXPECT_EQ(summary.failures[0].error->message, "unknown exception");
  EXPECT_EQ(panics.load(), 1);
  EXPECT_EQ(panic_what, "unknown exception");
}

}  // namespace
}  // namespace freightliner::testing
