#pragma once
// Process-wide logging on spdlog, to stderr. Text for people, JSON (one object a line) for
// machines. Secrets never reach a log call: the registry layer logs hosts, repositories and digests
// only.

#include <string_view>

#include "common/error.hpp"

namespace freightliner {

enum class LogFormat { kText, kJson };

// Configures the default logger. `level` is one of trace|debug|info|warn|error|off.
Status InitLogging(std::string_view level, LogFormat format);

}  // namespace freightliner
