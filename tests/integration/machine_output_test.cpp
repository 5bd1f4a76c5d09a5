// What scripts and log collectors read: one error line (text) or one JSON object a line on
// stderr (--log-format json), results alone on stdout, Ctrl-C's one line with the resume command,
// and the server's /ready while it drains and its settings' precedence.

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <signal.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fixtures/fault_proxy.hpp"
#include "fixtures/http.hpp"
#include "fixtures/oci_image.hpp"
#include "fixtures/registry.hpp"
#include "fixtures/skopeo.hpp"
#include "integration/cli.hpp"
#include "integration/serve.hpp"

namespace freightliner::testing {
namespace {

using nlohmann::json;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// Every line is a JSON object with ts (UTC, RFC 3339, microseconds, Z), level and msg.
std::vector<json> JsonLines(const std::string& text) {
  std::vector<json> out;
  for (const std::string& line : Lines(text)) {
    json doc = json::parse(line, nullptr, false);
    EXPECT_TRUE(doc.is_object()) << "not a JSON object: " << line;
    if (!doc.is_object()) continue;
    EXPECT_TRUE(RE2::FullMatch(doc.value("ts", ""), R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)"))
        << line;
    EXPECT_TRUE(doc.contains("level") && doc.contains("msg")) << line;
    out.push_back(std::move(doc));
  }
  return out;
}

// Seconds between a log line's ts and now, both UTC.
double SecondsAgo(const std::string& ts) {
  std::tm tm{};
  EXPECT_NE(strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr) << ts;
  return std::difftime(std::time(nullptr), timegm(&tm));
}

class MachineOutputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("freightliner-machine-output");
    src_ = new Registry();
    OciLayout layout(dir_->Sub("oci"));
    for (int i = 0; i < 4; ++i) {
      const std::string tag = "v" + std::to_string(i);
      layout.AddImage(tag, {.layers = {{.size = 20000, .seed = 1200u + static_cast<uint64_t>(i)}}});
      SkopeoCopy(layout.Ref(tag), "docker://" + src_->host() + "/team/app:" + tag);
    }
  }
  static void TearDownTestSuite() {
    delete src_;
    delete dir_;
  }
  static std::string Src(const std::string& ref) { return src_->host() + "/" + ref; }

  static TempDir* dir_;
  static Registry* src_;
  TempDir state_{"freightliner-machine-output-state"};
};
TempDir* MachineOutputTest::dir_ = nullptr;
Registry* MachineOutputTest::src_ = nullptr;

TEST_F(MachineOutputTest, AUsageErrorIsOneLineWithItsCode) {
  CliResult r = Freightliner({"replicate", Src("team/app:v0")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "error: invalid_argument: command line: destination is required (usage: freightliner "
            "replicate --help)\n");
  CliResult json_mode = Freightliner({"--log-format", "json", "replicate", Src("team/app:v0")});
  EXPECT_EQ(json_mode.exit_code, 2);
  const std::vector<json> lines = JsonLines(json_mode.err);
  ASSERT_EQ(lines.size(), 1u) << json_mode.err;
  EXPECT_EQ(lines[0]["level"], "error");
  EXPECT_EQ(lines[0]["error_code"], "invalid_argument");
  EXPECT_EQ(lines[0]["exit_code"], 2);
  EXPECT_EQ(lines[0]["msg"],
            "command line: destination is required (usage: freightliner replicate --help)");
}

TEST_F(MachineOutputTest, JsonLogsMakeEveryStderrLineAnObjectInUtcAndResultsStayOnStdout) {
  Registry dst;
  // A time zone far from UTC: the ts must not follow it.
  CliResult ok = Freightliner({"--log-format", "json", "--log-level", "debug", "-o", "json",
                               "replicate", Src("team/app:v1"), dst.host() + "/copy/app:v1"},
                              {{"TZ", "Pacific/Kiritimati"}});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const json result = json::parse(ok.out);  // stdout: the result, and nothing else
  EXPECT_EQ(result["destination"], dst.host() + "/copy/app:v1");
  const std::vector<json> logs = JsonLines(ok.err);
  ASSERT_FALSE(logs.empty()) << "debug logging said nothing";
  for (const json& line : logs)
    EXPECT_LT(std::abs(SecondsAgo(line["ts"])), 120) << line.dump();

  CliResult missing = Freightliner(
      {"--log-format", "json", "replicate", Src("team/app:v9"), dst.host() + "/copy/app:v9"},
      {{"TZ", "Pacific/Kiritimati"}});
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_EQ(missing.out, "");
  const std::vector<json> lines = JsonLines(missing.err);
  ASSERT_FALSE(lines.empty());
  const json& error = lines.back();
  EXPECT_EQ(error["level"], "error");
  EXPECT_EQ(error["error_code"], "not_found");
  EXPECT_EQ(error["exit_code"], 4);
  EXPECT_NE(error["msg"].get<std::string>().find("team/app:v9"), std::string::npos) << error;
  EXPECT_LT(std::abs(SecondsAgo(error["ts"])), 120) << error.dump();
}

TEST_F(MachineOutputTest, JsonLinesOfATagsCopyCarryItsRunRepositoryAndTag) {
  Registry dst;
  CliResult r = Freightliner({"--log-format", "json", "-o", "json", "replicate-tree", "--state-dir",
                              state_.path(), Src("team"), dst.host() + "/f"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string run_id = json::parse(r.out)["run_id"];
  int copied = 0;
  for (const json& line : JsonLines(r.err)) {
    if (!line["msg"].get<std::string>().starts_with("copied ")) continue;
    ++copied;
    EXPECT_EQ(line["run_id"], run_id) << line;
    EXPECT_EQ(line["registry"], src_->host()) << line;
    EXPECT_EQ(line["repository"], "team/app") << line;
    const std::string tag = line["tag"];
    EXPECT_EQ(line["source"], Src("team/app:" + tag)) << line;
    EXPECT_EQ(line["destination"], dst.host() + "/f/app:" + tag) << line;
  }
  EXPECT_EQ(copied, 4) << r.err;
}

TEST_F(MachineOutputTest, APartialRunIsOneErrorLineNamingTheFirstFailureAndTheResume) {
  Registry dst;
  FaultProxy proxy(src_->host());
  proxy.FailNext("GET", "/team/app/manifests/v2", 1000, 400);
  const std::string state = state_.path();
  CliResult r = Freightliner(
      {"replicate-tree", "--state-dir", state, proxy.host() + "/team", dst.host() + "/partial"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_EQ(r.ErrorLines().size(), 1u) << r.err;
  const std::string line = r.ErrorLines()[0];
  EXPECT_TRUE(RE2::FullMatch(
      line,
      "error: client_error: replicate-tree [^ ]+: 1 of 4 tags failed, first " +
          RE2::QuoteMeta(proxy.host() + "/team/app:v2 -> " + dst.host() + "/partial/app:v2: ") +
          ".*; resume with: freightliner replicate-tree --resume [^ ]+ --state-dir " +
          RE2::QuoteMeta(state)))
      << line;
  EXPECT_EQ(r.err.find("\nresume with"), std::string::npos) << r.err;
}

TEST_F(MachineOutputTest, AnInterruptedCopyOrDryRunSaysWhichSignalStoppedIt) {
  Registry dst;
  FaultProxy slow(src_->host());
  slow.SetDelay(std::chrono::milliseconds(1000));
  const std::string dir = state_.path();
  const std::string copy =
      "error: canceled: replicate " +
      RE2::QuoteMeta(slow.host() + "/team/app:v1 to " + dst.host() + "/c/app:v1: ") +
      "(.*: )?interrupted by SIGINT";
  const std::string dry_run = "error: canceled: replicate-tree (.*: )?interrupted by SIGINT";
  for (const auto& [args, expected] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"replicate", slow.host() + "/team/app:v1", dst.host() + "/c/app:v1"}, copy},
           {{"replicate-tree", "--dry-run", slow.host() + "/team", dst.host() + "/d"}, dry_run}}) {
    std::vector<std::string> argv = {"sh", "-c", "exec \"$0\" \"$@\" 2>" + dir + "/err.log",
                                     FreightlinerBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess run(argv, dir + "/sh.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    run.Signal(SIGINT);
    ASSERT_EQ(run.Wait(std::chrono::seconds(30)), 130) << args[0];
    const std::string err = ReadFile(dir + "/err.log");
    const CliResult r{.exit_code = 130, .err = err};
    ASSERT_EQ(r.ErrorLines().size(), 1u) << err;
    EXPECT_TRUE(RE2::FullMatch(r.ErrorLines()[0], expected)) << err;
  }
}

// Ctrl-C: a warning that it stops, then one error line saying why and how to go on.
TEST_F(MachineOutputTest, AnInterruptedRunSaysSoInOneLineWithTheResumeCommand) {
  Registry dst;
  FaultProxy slow(src_->host());
  slow.SetDelay(std::chrono::milliseconds(300));
  for (const bool json_logs : {false, true}) {
    const std::string state = state_.Sub(json_logs ? "json" : "text");
    std::vector<std::string> argv = {
        "sh", "-c", "exec \"$0\" \"$@\" 2>" + state + "/err.log >" + state + "/out.log",
        FreightlinerBinary()};
    if (json_logs) argv.insert(argv.end(), {"--log-format", "json"});
    argv.insert(argv.end(), {"replicate-tree", "--workers", "1", "--state-dir", state,
                             slow.host() + "/team", dst.host() + "/int"});
    ChildProcess run(argv, state + "/sh.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    run.Signal(SIGINT);
    auto code = run.Wait(std::chrono::seconds(30));
    ASSERT_EQ(code, 130);
    const std::string err = ReadFile(state + "/err.log");
    if (!json_logs) {
      CliResult r{.exit_code = *code, .err = err};
      ASSERT_EQ(r.ErrorLines().size(), 1u) << err;
      EXPECT_TRUE(RE2::FullMatch(
          r.ErrorLines()[0],
          "error: canceled: replicate-tree [^ ]+: (.*: )?interrupted by SIGINT; resume with: "
          "freightliner replicate-tree --resume [^ ]+ --state-dir " +
              RE2::QuoteMeta(state)))
          << err;
      EXPECT_NE(err.find("interrupted: stopping (press Ctrl-C again to quit at once)\n"),
                std::string::npos)
          << err;
      continue;
    }
    const std::vector<json> lines = JsonLines(err);
    ASSERT_GE(lines.size(), 2u) << err;
    const json& error = lines.back();
    EXPECT_EQ(error["error_code"], "canceled") << error;
    EXPECT_EQ(error["exit_code"], 130);
    const std::string run_id = error["run_id"];
    EXPECT_EQ(error["resume"],
              "freightliner replicate-tree --resume " + run_id + " --state-dir " + state);
    const std::string msg = error["msg"];
    EXPECT_EQ(msg.rfind("replicate-tree " + run_id + ": ", 0), 0u) << msg;
    EXPECT_TRUE(
        msg.ends_with("interrupted by SIGINT; resume with: " + error["resume"].get<std::string>()))
        << msg;
    bool notice = false;
    for (const json& line : lines)
      notice |= line["level"] == "warn" && line.value("signal", "") == "SIGINT";
    EXPECT_TRUE(notice) << err;
  }
}

TEST_F(MachineOutputTest, ServeFlagsOverrideTheEnvironment) {
  // The environment names another port; the --api-addr flag the fixture passes wins (Serve waits
  // for /ready on the flag's port), and the environment still beats the file where no flag is.
  const int env_port = FreePort();
  Serve serve(state_, {.config_yaml = "workers: 2\n",
                       .env = {{"FREIGHTLINER_API_ADDR", "127.0.0.1:" + std::to_string(env_port)},
                               {"FREIGHTLINER_WORKERS", "3"}}});
  EXPECT_EQ(HttpCall("GET", serve.api() + "/ready").status, 200);
  EXPECT_NE(HttpCall("GET", "http://127.0.0.1:" + std::to_string(env_port) + "/ready").status, 200);
  EXPECT_EQ(MetricValue(serve.Scrape(), "freightliner_worker_pool_size"), 3);
}

TEST_F(MachineOutputTest, ReadyAnswers503WhileRunningJobsDrain) {
  FaultProxy slow(src_->host());
  slow.SetDelay(std::chrono::milliseconds(2000));
  Registry dst;
  Serve serve(state_, {.config_yaml = "allowed_registries: [\"" + slow.host() + "\", \"" +
                                      dst.host() + "\"]\nshutdown_timeout: 20s\n",
                       .global_args = {"--log-format", "json"}});
  const std::string id =
      serve.Submit("/api/v1/replicate-tree",
                   {{"source", slow.host() + "/team"}, {"destination", dst.host() + "/drain"}});
  for (int i = 0; i < 100; ++i) {
    if (json::parse(serve.Call("GET", "/api/v1/jobs/" + id).body)["status"] == "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a request is held by the proxy
  serve.Signal(SIGTERM);
  json draining;
  int not_ready = 0;
  for (int i = 0; i < 2000; ++i) {
    HttpResponse ready = HttpCall("GET", serve.api() + "/ready");
    if (ready.status == 0) break;  // the listener is gone: the jobs have drained
    if (ready.status == 503) {
      ++not_ready;
      draining = json::parse(ready.body);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(not_ready, 1) << serve.Log();
  EXPECT_EQ(draining["status"], "draining");
  EXPECT_EQ(draining["reason"],
            "the server is stopping: no new jobs; running jobs are checkpointing");
  const std::string log = serve.Log();
  EXPECT_EQ(serve.Wait(), 0);
  // The server's log, the Ctrl-C notice included, is one JSON object a line.
  const std::vector<json> lines = JsonLines(ReadFile(state_.path() + "/serve.log"));
  bool stopping = false;
  bool notice = false;
  bool of_the_job = false;  // a line logged while the job ran carries its id
  for (const json& line : lines) {
    stopping |= line["msg"].get<std::string>().starts_with("stopping: /ready answers 503");
    notice |= line.value("signal", "") == "SIGTERM";
    of_the_job |= line.value("job_id", "") == id && line.value("job_type", "") == "replicate-tree";
  }
  EXPECT_TRUE(stopping) << log;
  EXPECT_TRUE(notice) << log;
  EXPECT_TRUE(of_the_job) << log;
}

}  // namespace
}  // namespace freightliner::testing
