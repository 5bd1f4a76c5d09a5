#include "cli/context.hpp"

#include <signal.h>

#include <atomic>

#include "common/format.hpp"
#include "common/log.hpp"
#include "common/version.hpp"
#include "common/yaml_reader.hpp"

namespace freightliner::cli {

Context::Context(GlobalOptions options, std::stop_token stop)
    : options_(std::move(options)),
      stop_(stop),
      retry_policy_(RetryPolicyOf(options_)),
      transport_(std::make_shared<http::Transport>(http::TransportOptions{
          .user_agent = std::string("freightliner/") + kVersion,
          .proxy = http::ProxySettings::FromEnvironment(ProcessEnvironment())})) {}

std::unique_ptr<registry::ClientPool> Context::MakePool(registry::ClientPoolOptions options) const {
  options.insecure_hosts.insert(options_.insecure_registries.begin(),
                                options_.insecure_registries.end());
  if (options.ca_file.empty()) options.ca_file = options_.ca_file;
  if (options.auth_file.empty() && !options_.authfile.empty()) {
    options.auth_file = options_.authfile;
    options.auth_file_flag = "--authfile";
  }
  options.retry = retry_policy_;
  return std::make_unique<registry::ClientPool>(std::move(options), transport_);
}

registry::RetryPolicy RetryPolicyOf(const GlobalOptions& options) {
  std::optional<Clock::Duration> delay;
  if (!options.retry_delay.empty()) {
    // The flag's validator ran ParseRetryDelay already: the fallback is never used.
    delay = registry::ParseRetryDelay(options.retry_delay)
                .value_or(registry::RetryPolicy().initial_backoff);
  }
  return registry::RetryPolicyFromFlags(options.retry_times, delay);
}

int ExitCodeFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kAuth:
      return kExitAuth;
    case ErrorCode::kNotFound:
      return kExitNotFound;
    case ErrorCode::kCanceled:
      return kExitCanceled;
    default:
      return kExitFailed;
  }
}

namespace {

std::atomic<int> g_interrupt_signal{0};

// One line whatever the message holds: a control character (a newline in a library's message)
// is escaped, never written.
std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += EscapeUntrusted(std::string_view(&c, 1), 1);
    } else {
      out += c;
    }
  }
  return out;
}

// The transfer layers say "canceled" without knowing why; after a signal the reason is known.
std::string CancelReason(std::string message) {
  const std::string signal = InterruptSignalName();
  if (signal.empty()) return message;
  const std::string reason = "interrupted by " + signal;
  constexpr std::string_view kBare = "canceled";
  if (message == kBare) return reason;
  if (message.ends_with(": canceled")) {
    message.resize(message.size() - kBare.size());
    return message + reason;
  }
  return message;
}

}  // namespace

void NoteInterrupted(int signal) {
  g_interrupt_signal = signal;
}

std::string InterruptSignalName() {
  switch (g_interrupt_signal.load()) {
    case 0:
      return "";
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "signal " + std::to_string(g_interrupt_signal.load());
  }
}

int Fail(const Error& error, const nlohmann::json& fields, std::string_view hint) {
  std::string message =
      OneLine(error.code == ErrorCode::kCanceled ? CancelReason(error.message) : error.message);
  if (!hint.empty()) message += "; " + OneLine(hint);
  const int exit_code = ExitCodeFor(error);
  nlohmann::json all = fields.is_object() ? fields : nlohmann::json::object();
  all["error_code"] = ErrorCodeName(error.code);
  all["exit_code"] = exit_code;
  Say(spdlog::level::err, "error: " + std::string(ErrorCodeName(error.code)) + ": " + message,
      message, all);
  return exit_code;
}

int FailUsage(std::string_view why, std::string_view command) {
  const std::string help =
      command.empty() ? "freightliner --help" : "freightliner " + std::string(command) + " --help";
  return Fail(Error(ErrorCode::kInvalidArgument,
                    "command line: " + std::string(why) + " (usage: " + help + ")"));
}

}  // namespace freightliner::cli
