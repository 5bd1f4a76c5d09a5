#include "server/metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>

namespace freightliner::server {
namespace {

// The exposition of everything the registry holds, as /metrics serves it.
std::string Exposition(const Metrics& metrics) {
  return prometheus::TextSerializer().Serialize(metrics.registry()->Collect());
}

// The value of the series `name{labels}` (labels in any order), or nullopt when absent.
std::optional<double> Value(const std::string& text, const std::string& name,
                            const std::map<std::string, std::string>& labels = {}) {
  size_t at = 0;
  while ((at = text.find(name, at)) != std::string::npos) {
    const bool line_start = at == 0 || text[at - 1] == '\n';
    const size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    at += name.size();
    if (!line_start) continue;
    const std::string rest = line.substr(name.size());
    if (!rest.empty() && rest[0] != '{' && rest[0] != ' ') continue;  // a longer name
    bool all = true;
    for (const auto& [key, value] : labels) {
      all = all && rest.find(key + "=\"" + value + "\"") != std::string::npos;
    }
    const auto label_count = static_cast<size_t>(std::count(rest.begin(), rest.end(), '='));
    if (all && label_count == labels.size()) return std::stod(rest.substr(rest.rfind(' ') + 1));
  }
  return std::nullopt;
}

const std::map<std::string, std::string> kPair = {{"source_registry", "src:5000"},
                                                  {"dest_registry", "dst:5000"}};
std::map<std::string, std::string> Pair(std::map<std::string, std::string> extra) {
  extra.insert(kPair.begin(), kPair.end());
  return extra;
}

TEST(MetricsTest, AnObservedPairHasEveryStatusAndItsRegistriesEveryRetryReasonAtZero) {
  Metrics metrics("test", "test");
  metrics.ObservePair("src:5000", "dst:5000");
  const std::string m = Exposition(metrics);
  for (const char* status : {"success", "failed", "up_to_date"}) {
    EXPECT_EQ(Value(m, "freightliner_replications_total", Pair({{"status", status}})), 0) << status;
  }
  for (const char* registry : {"src:5000", "dst:5000"}) {
    for (const char* reason : {"server_error", "rate_limited", "network", "timeout"}) {
      EXPECT_EQ(Value(m, "freightliner_registry_retries_total",
                      {{"registry", registry}, {"reason", reason}}),
                0)
          << registry << " " << reason;
    }
  }
  EXPECT_EQ(Value(m, "freightliner_replication_bytes_total", kPair), 0);
  EXPECT_EQ(Value(m, "freightliner_replication_duration_seconds_count", kPair), 0);
}

TEST(MetricsTest, AnUpToDateTagIsCountedAsSuchAndNotTimed) {
  Metrics metrics("test", "test");
  metrics.RecordReplication("src:5000", "dst:5000",
                            {.status = ReplicationStatus::kUpToDate, .seconds = 0.01});
  std::string m = Exposition(metrics);
  EXPECT_EQ(Value(m, "freightliner_replications_total", Pair({{"status", "up_to_date"}})), 1);
  EXPECT_EQ(Value(m, "freightliner_replications_total", Pair({{"status", "success"}})), 0);
  EXPECT_EQ(Value(m, "freightliner_replication_duration_seconds_count", kPair), 0);

  metrics.RecordReplication("src:5000", "dst:5000",
                            {.status = ReplicationStatus::kSuccess, .seconds = 2, .layers = 3});
  metrics.RecordReplication(
      "src:5000", "dst:5000",
      {.status = ReplicationStatus::kFailed, .seconds = 1, .error = ErrorCode::kTimeout});
  m = Exposition(metrics);
  EXPECT_EQ(Value(m, "freightliner_replications_total", Pair({{"status", "up_to_date"}})), 1);
  EXPECT_EQ(Value(m, "freightliner_replications_total", Pair({{"status", "success"}})), 1);
  EXPECT_EQ(Value(m, "freightliner_replications_total", Pair({{"status", "failed"}})), 1);
  EXPECT_EQ(Value(m, "freightliner_replication_duration_seconds_count", kPair), 2);
  EXPECT_EQ(Value(m, "freightliner_replication_duration_seconds_sum", kPair), 3);
  EXPECT_EQ(Value(m, "freightliner_replication_layers_total", kPair), 3);
  EXPECT_EQ(Value(m, "freightliner_replication_errors_total", Pair({{"error_type", "timeout"}})),
            1);
}

TEST(MetricsTest, BytesCountAsTheyStreamAndTheTagsEndAddsNone) {
  Metrics metrics("test", "test");
  metrics.ObservePair("src:5000", "dst:5000");
  metrics.AddReplicationBytes("src:5000", "dst:5000", 1000);
  EXPECT_EQ(Value(Exposition(metrics), "freightliner_replication_bytes_total", kPair), 1000);
  metrics.AddReplicationBytes("src:5000", "dst:5000", 24);
  metrics.RecordReplication("src:5000", "dst:5000",
                            {.status = ReplicationStatus::kSuccess, .seconds = 1, .layers = 1});
  EXPECT_EQ(Value(Exposition(metrics), "freightliner_replication_bytes_total", kPair), 1024);
}

TEST(MetricsTest, RetriesAreCountedByRegistryAndReason) {
  Metrics metrics("test", "test");
  metrics.ObserveRegistry("reg:1");
  metrics.RecordRetry("reg:1", "server_error");
  metrics.RecordRetry("reg:1", "server_error");
  metrics.RecordRetry("reg:1", "rate_limited");
  const std::string m = Exposition(metrics);
  EXPECT_EQ(Value(m, "freightliner_registry_retries_total",
                  {{"registry", "reg:1"}, {"reason", "server_error"}}),
            2);
  EXPECT_EQ(Value(m, "freightliner_registry_retries_total",
                  {{"registry", "reg:1"}, {"reason", "rate_limited"}}),
            1);
  EXPECT_EQ(Value(m, "freightliner_registry_retries_total",
                  {{"registry", "reg:1"}, {"reason", "network"}}),
            0);
}

TEST(MetricsTest, SyncGaugesStartFromWhatIsKnownAndOnlyScheduledSyncsHaveAnInterval) {
  Metrics metrics("test", "test");
  metrics.ObserveSync("nightly", 3600.0, 0, 1700000000);
  metrics.ObserveSync("manual", std::nullopt, 1690000000, 1690000100);
  std::string m = Exposition(metrics);
  EXPECT_EQ(Value(m, "freightliner_sync_interval_seconds", {{"sync", "nightly"}}), 3600);
  EXPECT_EQ(Value(m, "freightliner_sync_interval_seconds", {{"sync", "manual"}}), std::nullopt);
  EXPECT_EQ(Value(m, "freightliner_sync_last_start_timestamp_seconds", {{"sync", "nightly"}}), 0);
  EXPECT_EQ(Value(m, "freightliner_sync_last_success_timestamp_seconds", {{"sync", "nightly"}}),
            1700000000);
  EXPECT_EQ(Value(m, "freightliner_sync_last_start_timestamp_seconds", {{"sync", "manual"}}),
            1690000000);

  metrics.RecordSyncStart("nightly", 1700000500);
  m = Exposition(metrics);
  EXPECT_EQ(Value(m, "freightliner_sync_last_start_timestamp_seconds", {{"sync", "nightly"}}),
            1700000500);
  EXPECT_EQ(Value(m, "freightliner_sync_last_success_timestamp_seconds", {{"sync", "nightly"}}),
            1700000000);  // a start is not a success
  metrics.RecordSyncSuccess("nightly", 1700000600);
  EXPECT_EQ(Value(Exposition(metrics), "freightliner_sync_last_success_timestamp_seconds",
                  {{"sync", "nightly"}}),
            1700000600);
}

}  // namespace
}  // namespace freightliner::server
