#include "cli/progress.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

namespace freightliner::cli {
namespace {

// Captures what spdlog's default logger writes while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(CopyProgress, WithoutATerminalOneLineOfTotalsAtTheEnd) {
  CapturedLog log;
  {
    CopyProgress progress(/*terminal=*/false);
    replication::CopyObserver observer = progress.Observer();
    observer.on_bytes(1000);
    observer.on_bytes(1048);
    observer.on_blob("sha256:aa", replication::BlobOutcome::kUploaded, 2048);
    observer.on_blob("sha256:bb", replication::BlobOutcome::kMounted, 5000);
    observer.on_blob("sha256:cc", replication::BlobOutcome::kExisted, 10);
    observer.on_blob("sha256:dd", replication::BlobOutcome::kSkippedForeign, 10);
    progress.Finish();
    progress.Finish();  // once only
  }
  const std::string text = log.text();
  EXPECT_EQ(text.rfind("progress: 3 blobs done (1 uploaded, 1 mounted, 1 already present) | "
                       "2.0 KiB at ",
                       0),
            0u)
      << text;
  EXPECT_EQ(text.find("sha256:aa"), std::string::npos);  // no per-blob lines in a log
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

}  // namespace
}  // namespace freightliner::cli
