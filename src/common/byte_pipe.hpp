#pragma once
// A bounded byte queue between one producer (a download) and one consumer (an upload), so a blob
// streams from source to destination with memory bounded by `capacity`, whatever its size.
//
// The consumer never receives the last `hold_back` bytes until the producer closes with success:
// the producer verifies the digest at the end, and an upload that never gets its final byte can
// never complete, so unverified content is never committed at the destination.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string_view>

#include "common/error.hpp"

namespace freightliner {

// Thread-safe for exactly one writer thread and one reader thread.
class BytePipe {
 public:
  BytePipe(size_t capacity, size_t hold_back);

  // Blocks while the pipe is full. Fails when the reader closed or `stop` was requested.
  Status Write(std::string_view data, std::stop_token stop);
  // Ends the stream: success releases the held-back bytes; an error is what Read returns next.
  void CloseWrite(Status outcome);

  // Blocks until bytes are readable; returns 0 at the end of a successful stream.
  Result<size_t> Read(char* buffer, size_t capacity, std::stop_token stop);
  // The reader gives up: the writer's next Write fails with `reason`.
  void CloseRead(Error reason);

 private:
  size_t ReadableLocked() const;

  std::mutex mu_;
  std::condition_variable_any cv_;
  // Not zeroed: every byte is written before it is read (a 1 MiB ring per blob was 742 MiB of
  // memset and page faults in a fleet copy).
  const size_t capacity_;
  std::unique_ptr<char[]> ring_;
  size_t head_ = 0;  // next byte to read
  size_t size_ = 0;  // bytes buffered
  size_t hold_back_;
  bool write_closed_ = false;
  std::optional<Error> write_error_;
  std::optional<Error> read_error_;
};

}  // namespace freightliner
