#include "server/metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
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

// The source_registry values of freightliner_replications_total{status="success"} with a count.
std::set<std::string> CountedSources(Metrics& metrics) {
  std::set<std::string> sources;
  for (const prometheus::MetricFamily& family : metrics.registry()->Collect()) {
    if (family.name != "freightliner_replications_total") continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      if (metric.counter.value == 0) continue;
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        if (label.name == "source_registry") sources.insert(label.value);
      }
    }
  }
  return sources;
}

std::set<std::string> AllRegistryLabels(Metrics& metrics) {
  std::set<std::string> values;
  for (const prometheus::MetricFamily& family : metrics.registry()->Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        if (label.name == "source_registry" || label.name == "dest_registry") {
          values.insert(label.value);
        }
      }
    }
  }
  return values;
}

// A wildcard allow-list lets API callers choose registry names: past the limit, new ones share
// one label value, so the series stay bounded however many names callers make up.
TEST(MetricsRegistryLabelsTest, DistinctRegistriesAreCappedAndTheRestAreOther) {
  Metrics metrics("test", "test");
  metrics.ReserveRegistryLabels({"dst.example.com:5000", "*.example.com", "127.0.0.1:*"});
  const size_t made_up = kMaxRegistryLabels + 50;
  for (size_t i = 0; i < made_up; ++i) {
    metrics.RecordReplication("r" + std::to_string(i) + ".example.com", "dst.example.com:5000",
                              {.status = ReplicationStatus::kSuccess, .seconds = 1, .layers = 1});
  }
  const std::set<std::string> labels = AllRegistryLabels(metrics);
  // The first kMaxRegistryLabels names, "other", and the reserved destination.
  EXPECT_EQ(labels.size(), kMaxRegistryLabels + 2);
  EXPECT_EQ(labels.count("other"), 1u);
  EXPECT_EQ(labels.count("dst.example.com:5000"), 1u);
  EXPECT_EQ(labels.count("r0.example.com"), 1u);
  EXPECT_EQ(labels.count("r" + std::to_string(kMaxRegistryLabels - 1) + ".example.com"), 1u);
  EXPECT_EQ(labels.count("r" + std::to_string(kMaxRegistryLabels) + ".example.com"), 0u);
  // Wildcard entries are patterns, never label values.
  EXPECT_EQ(labels.count("*.example.com"), 0u);
  EXPECT_EQ(metrics.RegistryLabel("r3.example.com"), "r3.example.com");  // seen before the cap
  EXPECT_EQ(metrics.RegistryLabel("late.example.com"), "other");
  EXPECT_EQ(CountedSources(metrics).count("other"), 1u);
}

TEST(MetricsRegistryLabelsTest, ReservedRegistriesKeepTheirNamePastTheCap) {
  Metrics metrics("test", "test");
  metrics.ReserveRegistryLabels({"registry.internal:5000"});
  for (size_t i = 0; i <= kMaxRegistryLabels; ++i)
    metrics.ObservePair("r" + std::to_string(i) + ".example.com", "x.example.com");
  metrics.RecordReplication("registry.internal:5000", "y.example.com",
                            {.status = ReplicationStatus::kSuccess});
  const std::set<std::string> sources = CountedSources(metrics);
  EXPECT_EQ(sources, (std::set<std::string>{"registry.internal:5000"}));
  EXPECT_EQ(metrics.RegistryLabel("y.example.com"), "other");
}

}  // namespace
}  // namespace freightliner::server
