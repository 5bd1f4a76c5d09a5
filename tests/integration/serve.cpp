#include "integration/serve.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/cli.hpp"

namespace freightliner::testing {

Serve::Serve(const TempDir& dir, ServeOptions options) : dir_(dir), options_(std::move(options)) {
  api_port_ = FreePort();
  metrics_port_ = FreePort();
  while (metrics_port_ == api_port_)
    metrics_port_ = FreePort();
  if (!options_.config_yaml.empty()) WriteFile(dir_.path() + "/server.yaml", options_.config_yaml);
  Start();
}

Serve::~Serve() {
  if (process_) process_->Stop(std::chrono::seconds(10));
}

void Serve::Start() {
  std::vector<std::string> argv = {FreightlinerBinary(), "--log-level", "debug"};
  argv.insert(argv.end(), options_.global_args.begin(), options_.global_args.end());
  argv.insert(
      argv.end(),
      {"serve", "--api-addr", options_.api_host + ":" + std::to_string(api_port_), "--metrics-addr",
       "127.0.0.1:" + std::to_string(metrics_port_), "--state-dir", dir_.path() + "/state"});
  if (!options_.config_yaml.empty()) {
    argv.push_back("--config");
    argv.push_back(dir_.path() + "/server.yaml");
  }
  argv.insert(argv.end(), options_.args.begin(), options_.args.end());
  std::map<std::string, std::string> env = options_.env;
  env.emplace("DOCKER_CONFIG", "/nonexistent/freightliner-test");
  // Tests stop servers often: no drain delay unless a test asks for one (the flag and the
  // config file's drain_delay are weaker than this variable only for the file).
  env.emplace("FREIGHTLINER_DRAIN_DELAY", "0");
  process_ = std::make_unique<ChildProcess>(argv, dir_.path() + "/serve.log", env);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string probe = options_.wait_ready ? "/ready" : "/health";
    if (HttpCall("GET", api() + probe, "", {}, options_.ca_file).status == 200) return;
    if (!process_->Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "serve did not become ready:\n" << Log();
}

int Serve::Stop() {
  Signal(SIGTERM);
  return Wait();
}

void Serve::Signal(int sig) {
  process_->Signal(sig);
}

int Serve::Wait() {
  auto code = process_->Wait(std::chrono::seconds(60));
  process_.reset();
  return code.value_or(-1);
}

pid_t Serve::pid() const {
  return process_ ? process_->pid() : -1;
}

std::string Serve::Log() const {
  std::ifstream in(dir_.path() + "/serve.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

HttpResponse Serve::Call(const std::string& method, const std::string& path,
                         const std::string& body, bool with_key,
                         std::map<std::string, std::string> headers) const {
  headers.emplace("Content-Type", "application/json");
  if (with_key && !options_.api_key.empty()) {
    headers["Authorization"] = "Bearer " + options_.api_key;
  }
  return HttpCall(method, api() + path, body, headers, options_.ca_file);
}

std::string Serve::Submit(const std::string& path, const nlohmann::json& request) const {
  HttpResponse r = Call("POST", path, request.dump());
  EXPECT_EQ(r.status, 202) << r.body;
  auto doc = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status != 202 || doc.is_discarded()) return "";
  return doc["job_id"];
}

nlohmann::json Serve::WaitForJob(const std::string& id, int timeout_seconds) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  nlohmann::json job;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResponse r = Call("GET", "/api/v1/jobs/" + id);
    job = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status == 200 && job["status"] != "queued" && job["status"] != "running") return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "job " << id << " did not end: " << job.dump();
  return job;
}

std::string Serve::Scrape() const {
  return HttpCall("GET", metrics_url()).body;
}

}  // namespace freightliner::testing
