#pragma once
// Runs a function over items on up to N threads; the first failure stops the rest.
//
//   Status s = ParallelFor(blobs, 4, stop, [&](const Descriptor& d, std::stop_token t) {...});
//
// A body that throws (anything, std::exception or not) is a failure like any other: it stops the
// rest, and once every thread has ended the exception is rethrown on the calling thread, where
// the thread boundary that owns the work (the engine's task, a job's runner) catches it, fails
// the work with code internal and counts the panic. An exception never escapes a thread here:
// that would end the process.

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/error.hpp"

namespace freightliner {

template <typename T>
Status ParallelFor(const std::vector<T>& items, int concurrency, std::stop_token stop,
                   const std::function<Status(const T&, std::stop_token)>& fn) {
  std::stop_source inner;
  std::stop_callback link(stop, [&] { inner.request_stop(); });
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::optional<Error> first_error;
  std::exception_ptr first_exception;
  auto work = [&] {
    for (size_t i = next++; i < items.size(); i = next++) {
      if (inner.stop_requested()) return;
      Status s = Ok();
      try {
        s = fn(items[i], inner.get_token());
      } catch (...) {
        std::lock_guard lock(mu);
        if (!first_error && !first_exception) first_exception = std::current_exception();
        inner.request_stop();
        return;
      }
      if (!s) {
        std::lock_guard lock(mu);
        // Failures caused by our own stop request are echoes of the first error.
        if (!first_error && !first_exception) first_error = s.error();
        inner.request_stop();
        return;
      }
    }
  };
  const size_t threads = std::min(items.size(), static_cast<size_t>(std::max(1, concurrency)));
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::jthread> pool;
    for (size_t i = 0; i < threads; ++i)
      pool.emplace_back(work);
  }
  if (first_exception) std::rethrow_exception(first_exception);
  if (first_error) return tl::unexpected(*first_error);
  if (stop.stop_requested()) return MakeError(ErrorCode::kCanceled, "canceled");
  return Ok();
}

}  // namespace freightliner
