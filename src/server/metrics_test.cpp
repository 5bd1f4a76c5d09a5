#include "server/metrics.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace freightliner::server {
namespace {

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
                              {.ok = true, .seconds = 1, .bytes = 10, .layers = 1});
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
  metrics.RecordReplication("registry.internal:5000", "y.example.com", {.ok = true});
  const std::set<std::string> sources = CountedSources(metrics);
  EXPECT_EQ(sources, (std::set<std::string>{"registry.internal:5000"}));
  EXPECT_EQ(metrics.RegistryLabel("y.example.com"), "other");
}

}  // namespace
}  // namespace freightliner::server
