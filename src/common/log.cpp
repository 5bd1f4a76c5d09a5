#include "common/log.hpp"

#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <vector>

namespace freightliner {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::atomic<LogFormat> g_format{LogFormat::kText};

// The fields of the ScopedLogFields alive on this thread, outermost first.
thread_local std::vector<const json*> t_fields;

void MergeFields(ordered_json& line, const json& fields) {
  if (!fields.is_object()) return;
  for (const auto& [key, value] : fields.items()) {
    if (key != "ts" && key != "level" && key != "msg") line[key] = value;
  }
}

// Text lines keep spdlog's level names ("warning"), which people and scripts already grep for.
std::string TextLogLine(std::chrono::system_clock::time_point time, spdlog::level::level_enum level,
                        std::string_view msg) {
  std::string line = Rfc3339Utc(time);
  line += ' ';
  const auto name = spdlog::level::to_string_view(level);
  line.append(name.data(), name.size());
  line += ' ';
  line += msg;
  return line;
}

// Every line on stderr goes through here, one fwrite a line under one mutex, so that lines of
// different threads (and Say's) never interleave. Formats itself: spdlog patterns cannot build
// JSON with a library nor print UTC with microseconds and a true Z.
json MergedFields() {
  json fields = json::object();
  for (const json* scope : t_fields) {
    for (const auto& [key, value] : scope->items())
      fields[key] = value;
  }
  return fields;
}

class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void WriteLine(std::string line) {
    std::lock_guard lock(mutex_);
    Write(std::move(line));
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    if (g_format == LogFormat::kJson) {
      Write(JsonLogLine(msg.time, msg.level, text, MergedFields()));
    } else {
      Write(TextLogLine(msg.time, msg.level, text));
    }
  }
  void flush_() override { std::fflush(stderr); }
  // Our lines are formatted above; spdlog's patterns do not apply.
  void set_pattern_(const std::string& /*pattern*/) override {}
  void set_formatter_(std::unique_ptr<spdlog::formatter> /*formatter*/) override {}

 private:
  static void Write(std::string line) {
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
};

const std::shared_ptr<StderrSink>& Sink() {
  static const auto sink = std::make_shared<StderrSink>();
  return sink;
}

}  // namespace

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

std::string Rfc3339Utc(std::chrono::system_clock::time_point time) {
  const auto micros =
      std::chrono::floor<std::chrono::microseconds>(time.time_since_epoch()).count();
  const auto seconds =
      static_cast<std::time_t>(micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000);
  const auto fraction = static_cast<long>(micros - static_cast<int64_t>(seconds) * 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const size_t n = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof(text) - n, ".%06ldZ", fraction);
  return text;
}

std::string JsonLogLine(std::chrono::system_clock::time_point time, spdlog::level::level_enum level,
                        std::string_view msg, const json& fields) {
  ordered_json line = {{"ts", Rfc3339Utc(time)}, {"level", LevelName(level)}, {"msg", msg}};
  MergeFields(line, fields);
  // A message or field that is not UTF-8 (bytes a registry sent) still makes a valid line.
  return line.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

ScopedLogFields::ScopedLogFields(json fields) : fields_(std::move(fields)) {
  if (!fields_.is_object()) fields_ = json::object();
  t_fields.push_back(&fields_);
}

ScopedLogFields::~ScopedLogFields() {
  t_fields.pop_back();
}

Status InitLogging(std::string_view level, LogFormat format) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid log level '" + std::string(level) +
                         "' (want trace, debug, info, warn, error or off)");
  }
  g_format = format;
  auto logger = std::make_shared<spdlog::logger>("freightliner", Sink());
  logger->set_level(parsed);
  spdlog::set_default_logger(std::move(logger));
  return Ok();
}

json CurrentLogFields() {
  return MergedFields();
}

LogFormat CurrentLogFormat() {
  return g_format;
}

void Say(spdlog::level::level_enum level, std::string_view text, std::string_view msg,
         const json& fields) {
  if (g_format == LogFormat::kJson) {
    Sink()->WriteLine(JsonLogLine(std::chrono::system_clock::now(), level, msg, fields));
  } else {
    Sink()->WriteLine(std::string(text));
  }
}

}  // namespace freightliner
