#include "server/events.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace freightliner::server {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

json Event(const std::string& action, const std::string& repository, const std::string& tag,
           const std::string& media_type) {
  json target = {{"mediaType", media_type}, {"repository", repository}, {"digest", kDigest}};
  if (!tag.empty()) target["tag"] = tag;
  return {{"id", "e1"},
          {"timestamp", "2026-12-02T05:01:20.5+01:00"},
          {"action", action},
          {"target", target},
          {"request", {{"host", "attacker.example"}}}};
}

TEST(DistributionEnvelopeTest, KeepsWhatReplicationNeeds) {
  const json envelope = {
      {"events",
       {Event("push", "team/app", "v3", "application/vnd.oci.image.manifest.v1+json"),
        Event("push", "team/app", "", "application/octet-stream"),  // a layer
        Event("pull", "team/app", "v3", "application/vnd.oci.image.index.v1+json"),
        Event("mount", "team/app", "", "application/octet-stream")}}};
  auto parsed = ParseDistributionEnvelope(envelope.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->invalid, 0);
  ASSERT_EQ(parsed->events.size(), 4u);
  const RegistryEvent& push = parsed->events[0];
  EXPECT_EQ(push.action, "push");
  EXPECT_EQ(push.repository, "team/app");
  EXPECT_EQ(push.tag, "v3");
  EXPECT_EQ(push.digest, kDigest);
  EXPECT_TRUE(push.manifest);
  ASSERT_TRUE(push.timestamp);
  EXPECT_EQ(system_clock::to_time_t(*push.timestamp), 1796184080);  // 04:01:20 UTC
  EXPECT_FALSE(parsed->events[1].manifest);
  EXPECT_EQ(parsed->events[2].action, "pull");
  EXPECT_EQ(parsed->events[3].action, "ignored");
}

TEST(DistributionEnvelopeTest, EntriesOutsideTheGrammarAreCountedAndSkipped) {
  const json envelope = {
      {"events",
       {Event("push", "team/../etc", "v1", "application/vnd.oci.image.manifest.v1+json"),
        Event("push", "team/app", "v1\nforged", "application/vnd.oci.image.manifest.v1+json"),
        Event("push", "Team/App", "v1", "application/vnd.oci.image.manifest.v1+json"), "text",
        json{{"action", "push"}}, json{{"action", "push"}, {"target", 7}},
        Event("push", "team/app", "v1", "application/vnd.oci.image.manifest.v1+json")}}};
  auto parsed = ParseDistributionEnvelope(envelope.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->invalid, 6);
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].tag, "v1");
}

TEST(DistributionEnvelopeTest, ABodyThatIsNoEnvelopeIsAnError) {
  EXPECT_FALSE(ParseDistributionEnvelope("{"));
  EXPECT_FALSE(ParseDistributionEnvelope("[]"));
  EXPECT_FALSE(ParseDistributionEnvelope(R"({"events": {}})"));
  json many = {{"events", json::array()}};
  for (size_t i = 0; i <= kMaxEventsPerBody; ++i)
    many["events"].push_back(json::object());
  auto too_many = ParseDistributionEnvelope(many.dump());
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message.find("1000"), std::string::npos);
  auto empty = ParseDistributionEnvelope(R"({"events": []})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->events.empty());
}

TEST(HarborWebhookTest, OneEventPerResource) {
  const json hook = {
      {"type", "PUSH_ARTIFACT"},
      {"occur_at", 1796184080},
      {"operator", "admin"},
      {"event_data",
       {{"resources",
         {{{"digest", kDigest}, {"tag", "v1"}, {"resource_url", "harbor.example/lib/app:v1"}},
          {{"digest", kDigest}, {"tag", "latest"}},
          {{"digest", kDigest}, {"tag", "bad tag"}}}},
        {"repository", {{"name", "app"}, {"namespace", "lib"}, {"repo_full_name", "lib/app"}}}}}};
  auto parsed = ParseHarborWebhook(hook.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->invalid, 1);
  ASSERT_EQ(parsed->events.size(), 2u);
  EXPECT_EQ(parsed->events[0].action, "push");
  EXPECT_EQ(parsed->events[0].repository, "lib/app");
  EXPECT_EQ(parsed->events[1].tag, "latest");
  EXPECT_TRUE(parsed->events[1].manifest);
  ASSERT_TRUE(parsed->events[0].timestamp);
  EXPECT_EQ(system_clock::to_time_t(*parsed->events[0].timestamp), 1796184080);

  json pull = hook;
  pull["type"] = "PULL_ARTIFACT";
  EXPECT_EQ(ParseHarborWebhook(pull.dump())->events[0].action, "pull");
  pull["type"] = "SCANNING_COMPLETED";
  EXPECT_EQ(ParseHarborWebhook(pull.dump())->events[0].action, "ignored");
  // Found by fuzz_registry_events: a time the clock cannot hold overflowed it; it is dropped.
  json far = hook;
  far["occur_at"] = 17961876801;
  auto far_parsed = ParseHarborWebhook(far.dump());
  ASSERT_TRUE(far_parsed);
  EXPECT_FALSE(far_parsed->events[0].timestamp);
  EXPECT_FALSE(ParseHarborWebhook(R"({"type": "PUSH_ARTIFACT"})"));
  EXPECT_FALSE(ParseHarborWebhook(R"({"events": []})"));
}

TEST(Rfc3339Test, ParsesOffsetsAndFractions) {
  const auto utc = ParseRfc3339("2026-12-02T05:01:20Z");
  ASSERT_TRUE(utc);
  EXPECT_EQ(system_clock::to_time_t(*utc), 1796187680);
  EXPECT_EQ(ParseRfc3339("2026-12-02T06:01:20+01:00"), utc);
  EXPECT_EQ(ParseRfc3339("2026-12-01T21:01:20-08:00"), utc);
  const auto fraction = ParseRfc3339("2026-12-02T05:01:20.250000000Z");
  ASSERT_TRUE(fraction);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(*fraction - *utc).count(), 250);
  for (const char* bad :
       {"", "2026-12-02", "2026-12-02T05:01:20", "2026-13-02T05:01:20Z", "2026-02-30T05:01:20Z",
        "2026-12-02T25:01:20Z", "2026-12-02T05:01:20.Z", "2026-12-02T05:01:20+0100",
        "2026-12-02T05:01:20Zjunk", "x026-12-02T05:01:20Z",
        // Found by fuzz_registry_events: years the clock cannot hold overflowed it.
        "1013-12-02T05:01:10.123+05:30", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

}  // namespace
}  // namespace freightliner::server
