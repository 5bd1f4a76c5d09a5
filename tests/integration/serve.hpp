#pragma once
// `freightliner serve` for a test: started on free loopback ports with its own state directory,
// ready when /ready answers 200, stopped with SIGTERM.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fixtures/http.hpp"
#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

namespace freightliner::testing {

struct ServeOptions {
  std::string config_yaml;  // written to <dir>/server.yaml when not empty
  std::map<std::string, std::string> env;
  std::string api_key;  // sent with every API call when not empty
  std::string ca_file;  // the config serves TLS with a certificate this CA signed: call https
  std::string api_host = "127.0.0.1";    // where the API listens (it is called on 127.0.0.1)
  std::vector<std::string> args;         // more flags of serve
  std::vector<std::string> global_args;  // flags before `serve` (--log-format json)
  bool wait_ready = true;                // false: Start() waits for /health only
};

class Serve {
 public:
  // `dir` holds the state, config and log; it outlives restarts.
  Serve(const TempDir& dir, ServeOptions options = {});
  ~Serve();

  void Start();
  // SIGTERM; returns the exit code.
  int Stop();
  // Sends `sig` and returns at once; Wait() then waits for the exit and returns its code.
  void Signal(int sig);
  int Wait();

  std::string api() const {
    return (options_.ca_file.empty() ? "http://" : "https://") + std::string("127.0.0.1:") +
           std::to_string(api_port_);
  }
  std::string metrics_url() const {
    return "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics";
  }
  int metrics_port() const { return metrics_port_; }
  // The process id while it runs (a job's `runner` ends with ":PID").
  pid_t pid() const;
  std::string Log() const;

  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& body = "", bool with_key = true,
                    std::map<std::string, std::string> headers = {}) const;
  // POSTs a job and returns its id (fails the test on anything but 202).
  std::string Submit(const std::string& path, const nlohmann::json& request) const;
  // Polls the job until it is no longer queued or running.
  nlohmann::json WaitForJob(const std::string& id, int timeout_seconds = 120) const;
  std::string Scrape() const;
  // The state database (for tests that read or damage it with the sqlite3 CLI).
  std::string database() const { return dir_.path() + "/state/freightliner.db"; }

 private:
  const TempDir& dir_;
  ServeOptions options_;
  int api_port_ = 0;
  int metrics_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace freightliner::testing
