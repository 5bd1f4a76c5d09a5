#pragma once
// Expected failures are values: Result<T> carries either a T or an Error with a code from one
// small, fixed set. The codes double as the `error_type` label of
// freightliner_replication_errors_total.
//
//   Result<Manifest> m = client.GetManifest(repo, "v1");
//   if (!m) return tl::unexpected(m.error());

#include <array>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace freightliner {

enum class ErrorCode {
  kAuth,             // credentials missing or refused (401/403 after re-auth)
  kNotFound,         // repository, tag, manifest or blob absent (404)
  kRateLimited,      // 429 after retries
  kNetwork,          // DNS, connect, reset, TLS
  kTimeout,          // connect or low-speed timeout
  kDigestMismatch,   // bytes do not hash to the digest they were asked for
  kServerError,      // 5xx after retries
  kClientError,      // other 4xx: the request was refused
  kCanceled,         // the caller stopped the work
  kInvalidArgument,  // bad reference, flag, config or request
  kInvalidName,      // a registry listed a repository or tag name outside the distribution grammar
  kInternal,         // a bug or an unexpected state
};

inline constexpr std::array kAllErrorCodes = {
    ErrorCode::kAuth,        ErrorCode::kNotFound,
    ErrorCode::kRateLimited, ErrorCode::kNetwork,
    ErrorCode::kTimeout,     ErrorCode::kDigestMismatch,
    ErrorCode::kServerError, ErrorCode::kClientError,
    ErrorCode::kCanceled,    ErrorCode::kInvalidArgument,
    ErrorCode::kInvalidName, ErrorCode::kInternal,
};

// The stable, snake_case name used in logs, JSON and metric labels.
std::string_view ErrorCodeName(ErrorCode code);
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // Server-suggested wait before retrying (429/503 Retry-After), in seconds.
  std::optional<double> retry_after_seconds;
  // Retrying will not help: a retry loop already spent its attempts on this failure (so an outer
  // loop does not multiply them), or the condition is permanent (an unknown host name).
  bool no_retry = false;

  Error() = default;
  Error(ErrorCode c, std::string msg) : code(c), message(std::move(msg)) {}

  // "not_found: manifest v9 not found in team/app"
  std::string ToString() const;
  // Prefixes context so errors read like a path to the failure: "copy team/app:v1: <message>".
  Error WithContext(std::string_view context) const;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

// What an exception says: its what() for a std::exception, "unknown exception" for anything
// else. For the catch (...) at a thread boundary, which has no other way to name it.
std::string ExceptionMessage(const std::exception_ptr& exception);

inline tl::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}

inline Status Ok() {
  return {};
}

}  // namespace freightliner
