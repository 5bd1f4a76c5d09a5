#pragma once
// Runs a function over items on up to N threads; the first failure stops the rest.
//
//   Status s = ParallelFor(blobs, 4, stop, [&](const Descriptor& d, std::stop_token t) {...});

#include <algorithm>
#include <atomic>
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
  auto work = [&] {
    for (size_t i = next++; i < items.size(); i = next++) {
      if (inner.stop_requested()) return;
      Status s = fn(items[i], inner.get_token());
      if (!s) {
        std::lock_guard lock(mu);
        // Failures caused by our own stop request are echoes of the first error.
        if (!first_error) first_error = s.error();
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
  if (first_error) return tl::unexpected(*first_error);
  if (stop.stop_requested()) return MakeError(ErrorCode::kCanceled, "canceled");
  return Ok();
}

}  // namespace freightliner
