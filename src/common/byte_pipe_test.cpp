#include "common/byte_pipe.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace freightliner {
namespace {

std::string ReadAll(BytePipe& pipe, Error* error = nullptr) {
  std::string out;
  char buf[7];
  while (true) {
    Result<size_t> n = pipe.Read(buf, sizeof(buf), {});
    if (!n) {
      if (error != nullptr) *error = n.error();
      return out;
    }
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

TEST(BytePipeTest, StreamsMoreThanItsCapacity) {
  BytePipe pipe(16, 1);
  std::string input;
  for (int i = 0; i < 1000; ++i)
    input += static_cast<char>('a' + i % 26);
  std::jthread writer([&] {
    for (size_t i = 0; i < input.size(); i += 33) {
      ASSERT_TRUE(pipe.Write(std::string_view(input).substr(i, 33), {}));
    }
    pipe.CloseWrite(Ok());
  });
  EXPECT_EQ(ReadAll(pipe), input);
}

TEST(BytePipeTest, HeldBackBytesNeverReachAReaderOfAFailedStream) {
  BytePipe pipe(64, 1);
  ASSERT_TRUE(pipe.Write("hello", {}));
  pipe.CloseWrite(MakeError(ErrorCode::kDigestMismatch, "bad digest"));
  Error error;
  const std::string got = ReadAll(pipe, &error);
  // Whatever was read before the error, the final byte was withheld.
  EXPECT_LT(got.size(), 5u);
  EXPECT_EQ(error.code, ErrorCode::kDigestMismatch);
}

TEST(BytePipeTest, LastByteWaitsForSuccessfulClose) {
  BytePipe pipe(64, 1);
  ASSERT_TRUE(pipe.Write("abc", {}));
  char buf[8];
  Result<size_t> first = pipe.Read(buf, sizeof(buf), {});
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 2u);  // "ab"; "c" is held back
  pipe.CloseWrite(Ok());
  Result<size_t> last = pipe.Read(buf, sizeof(buf), {});
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 1u);
  EXPECT_EQ(buf[0], 'c');
  EXPECT_EQ(*pipe.Read(buf, sizeof(buf), {}), 0u);
}

TEST(BytePipeTest, ReaderFailureStopsTheWriter) {
  BytePipe pipe(4, 1);
  std::jthread reader([&] { pipe.CloseRead(Error(ErrorCode::kServerError, "upload refused")); });
  reader.join();
  Status s = pipe.Write("0123456789", {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kServerError);
}

TEST(BytePipeTest, StopTokenUnblocksAWaitingReader) {
  BytePipe pipe(4, 1);
  std::stop_source stop;
  std::jthread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop.request_stop();
  });
  char buf[4];
  Result<size_t> r = pipe.Read(buf, sizeof(buf), stop.get_token());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCanceled);
}

}  // namespace
}  // namespace freightliner
