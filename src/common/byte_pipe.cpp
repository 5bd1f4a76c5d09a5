#include "common/byte_pipe.hpp"

#include <algorithm>
#include <cstring>

namespace freightliner {

BytePipe::BytePipe(size_t capacity, size_t hold_back)
    : capacity_(std::max(capacity, hold_back + 1)),
      ring_(new char[capacity_]),
      hold_back_(hold_back) {}

Status BytePipe::Write(std::string_view data, std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!data.empty()) {
    cv_.wait(lock, stop, [&] { return read_error_ || size_ < capacity_; });
    if (read_error_) return tl::unexpected(*read_error_);
    if (stop.stop_requested()) return MakeError(ErrorCode::kCanceled, "canceled");
    const size_t tail = (head_ + size_) % capacity_;
    const size_t n = std::min({data.size(), capacity_ - size_, capacity_ - tail});
    std::memcpy(ring_.get() + tail, data.data(), n);
    size_ += n;
    data.remove_prefix(n);
    cv_.notify_all();
  }
  return Ok();
}

void BytePipe::CloseWrite(Status outcome) {
  std::lock_guard lock(mu_);
  write_closed_ = true;
  if (!outcome) write_error_ = outcome.error();
  cv_.notify_all();
}

size_t BytePipe::ReadableLocked() const {
  if (write_closed_ && !write_error_) return size_;
  return size_ > hold_back_ ? size_ - hold_back_ : 0;
}

Result<size_t> BytePipe::Read(char* buffer, size_t capacity, std::stop_token stop) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, stop, [&] { return write_error_ || write_closed_ || ReadableLocked() > 0; });
  if (write_error_) return tl::unexpected(*write_error_);
  if (stop.stop_requested()) return MakeError(ErrorCode::kCanceled, "canceled");
  const size_t n = std::min({capacity, ReadableLocked(), capacity_ - head_});
  std::memcpy(buffer, ring_.get() + head_, n);
  head_ = (head_ + n) % capacity_;
  size_ -= n;
  cv_.notify_all();
  return n;
}

void BytePipe::CloseRead(Error reason) {
  std::lock_guard lock(mu_);
  if (!read_error_) read_error_ = std::move(reason);
  cv_.notify_all();
}

}  // namespace freightliner
