#pragma once
// Process-wide logging on spdlog, to stderr. Text for people
// (`2026-12-01T11:04:03.123456Z info copied team/app:v1`), JSON for machines: one object a line,
// `{"ts":"2026-12-01T11:04:03.123456Z","level":"info","msg":"...", ...fields}`, built with
// nlohmann::json, the time in UTC. Secrets never reach a log call: the registry layer logs hosts,
// repositories and digests only.
//
//   ScopedLogFields task({{"repository", "team/app"}});  // on every line this thread logs
//   LogWith(spdlog::level::info, {{"digest", digest}}, "copied {}", ref);
//   Say(spdlog::level::err, "error: not_found: ...", "...", {{"error_code", "not_found"}});

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace freightliner {

enum class LogFormat { kText, kJson };

// Configures the default logger. `level` is one of trace|debug|info|warn|error|off. May be called
// again (the command line is read once for the format before it is parsed, for its own errors).
Status InitLogging(std::string_view level, LogFormat format);
LogFormat CurrentLogFormat();

// Structured fields (a JSON object) added to every line the calling thread logs while it lives;
// scopes nest, the inner one winning on a shared key. Text lines do not show them: their message
// already says it in words.
class ScopedLogFields {
 public:
  explicit ScopedLogFields(nlohmann::json fields);
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  nlohmann::json fields_;
};

// The fields of this thread's scopes, merged: for work handed to another thread, whose lines
// should carry them too (a job's id on the lines of its tags' copies).
nlohmann::json CurrentLogFields();

// A log line at `level` carrying `fields` in JSON.
template <typename... Args>
void LogWith(spdlog::level::level_enum level, nlohmann::json fields,
             spdlog::format_string_t<Args...> format, Args&&... args) {
  if (!spdlog::should_log(level)) return;
  ScopedLogFields scope(std::move(fields));
  spdlog::log(level, format, std::forward<Args>(args)...);
}

// A line for the user whatever the log level (the final error of a command, the Ctrl-C notice):
// `text` as it is in text mode; in JSON mode an object with `msg` and `fields`. Serialized with
// the log lines.
void Say(spdlog::level::level_enum level, std::string_view text, std::string_view msg,
         const nlohmann::json& fields = nlohmann::json::object());

// The JSON line of a log record (exposed for its tests): ts, level, msg, then the fields.
std::string JsonLogLine(std::chrono::system_clock::time_point time, spdlog::level::level_enum level,
                        std::string_view msg, const nlohmann::json& fields);
// RFC 3339 in UTC with microseconds: "2026-12-01T11:04:03.123456Z".
std::string Rfc3339Utc(std::chrono::system_clock::time_point time);
// The level as JSON lines name it: trace, debug, info, warn, error, critical.
std::string_view LevelName(spdlog::level::level_enum level);

}  // namespace freightliner
