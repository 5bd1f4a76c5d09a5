#include "common/error.hpp"

namespace freightliner {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kAuth:
      return "auth";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kNetwork:
      return "network";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kDigestMismatch:
      return "digest_mismatch";
    case ErrorCode::kServerError:
      return "server_error";
    case ErrorCode::kClientError:
      return "client_error";
    case ErrorCode::kCanceled:
      return "canceled";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kInvalidName:
      return "invalid_name";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (ErrorCode code : kAllErrorCodes) {
    if (ErrorCodeName(code) == name) return code;
  }
  return std::nullopt;
}

std::string Error::ToString() const {
  return std::string(ErrorCodeName(code)) + ": " + message;
}

Error Error::WithContext(std::string_view context) const {
  Error e = *this;
  e.message = std::string(context) + ": " + message;
  return e;
}

std::string ExceptionMessage(const std::exception_ptr& exception) {
  if (!exception) return "no exception";
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace freightliner
