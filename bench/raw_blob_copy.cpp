// The raw limit of a registry-to-registry copy, for benchmarks: one process doing nothing but
// GET each blob from the source and upload it to the destination (POST a session, one monolithic
// PUT), streamed (the PUT sends what the GET receives), over J keep-alive connections per side.
// No manifests, no existence checks, no mounts, no digest computed here (the destination checks
// it). Plain libcurl, not freightliner's client, so the limit does not inherit its costs.
//
//   bench_raw_blob_copy SRC_HOST:PORT DST_HOST:PORT BLOBS_FILE [JOBS] [DST_REPO_PREFIX]
//
// BLOBS_FILE: one blob a line, "DIGEST SIZE SOURCE_REPO". Each blob goes to
// DST/DST_REPO_PREFIX/SOURCE_REPO (prefix "raw" by default). Blobs are handed out largest
// first (the best schedule for a fixed number of workers). Prints one JSON line:
// {"blobs":N,"bytes":B,"seconds":S,"jobs":J,"connections":C}. Exit 1 if any blob failed.

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/byte_pipe.hpp"
#include "common/error.hpp"

namespace {

using freightliner::BytePipe;
using freightliner::ErrorCode;
using freightliner::MakeError;
using freightliner::Ok;
using freightliner::Status;

constexpr const char* kUserAgent = "bench_raw_blob_copy";

struct Blob {
  std::string digest;
  uint64_t size = 0;
  std::string repo;
};

struct Counters {
  std::atomic<uint64_t> bytes{0};
  std::atomic<long> connections{0};
  std::atomic<int> failures{0};
  std::mutex mu;  // stderr
};

struct GetState {
  BytePipe* pipe;
  std::stop_source* stop;
};

size_t OnGetData(char* data, size_t size, size_t count, void* user) {
  auto* s = static_cast<GetState*>(user);
  const size_t n = size * count;
  if (!s->pipe->Write(std::string_view(data, n), s->stop->get_token())) return 0;
  return n;
}

size_t OnPutRead(char* buffer, size_t size, size_t count, void* user) {
  auto* pipe = static_cast<BytePipe*>(user);
  auto got = pipe->Read(buffer, size * count, {});
  if (!got) return CURL_READFUNC_ABORT;
  return *got;
}

size_t Discard(char*, size_t size, size_t count, void*) {
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* location = static_cast<std::string*>(user);
  const size_t n = size * count;
  std::string line(data, n);
  if (line.size() > 9 && (line.rfind("Location:", 0) == 0 || line.rfind("location:", 0) == 0)) {
    std::string value = line.substr(9);
    while (!value.empty() && (value.front() == ' '))
      value.erase(0, 1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.pop_back();
    }
    *location = value;
  }
  return n;
}

class Worker {
 public:
  Worker(std::string src, std::string dst, std::string prefix, Counters& counters)
      : src_(std::move(src)), dst_(std::move(dst)), prefix_(std::move(prefix)), c_(counters) {}
  ~Worker() {
    curl_easy_cleanup(get_);
    curl_easy_cleanup(put_);
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Copy(const Blob& blob) {
    Status s = CopyOnce(blob);
    if (!s) {
      ++c_.failures;
      std::lock_guard lock(c_.mu);
      std::fprintf(stderr, "raw copy of %s failed: %s\n", blob.digest.c_str(),
                   s.error().message.c_str());
    }
  }

 private:
  long Connections(CURL* easy) {
    long n = 0;
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &n);
    return n;
  }

  Status CopyOnce(const Blob& blob) {
    BytePipe pipe(1u << 20, 0);
    std::stop_source stop;
    // The download starts at once, alongside the POST that opens the upload session.
    std::thread download([&] {
      curl_easy_reset(get_);
      const std::string url = "http://" + src_ + "/v2/" + blob.repo + "/blobs/" + blob.digest;
      GetState state{&pipe, &stop};
      curl_easy_setopt(get_, CURLOPT_URL, url.c_str());
      curl_easy_setopt(get_, CURLOPT_USERAGENT, kUserAgent);
      curl_easy_setopt(get_, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(get_, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(get_, CURLOPT_FAILONERROR, 1L);
      curl_easy_setopt(get_, CURLOPT_WRITEFUNCTION, &OnGetData);
      curl_easy_setopt(get_, CURLOPT_WRITEDATA, &state);
      const CURLcode code = curl_easy_perform(get_);
      c_.connections += Connections(get_);
      if (code != CURLE_OK) {
        pipe.CloseWrite(
            MakeError(ErrorCode::kNetwork, std::string("GET: ") + curl_easy_strerror(code)));
      } else {
        pipe.CloseWrite(Ok());
      }
    });
    Status uploaded = Upload(blob, pipe);
    if (!uploaded) {
      pipe.CloseRead(uploaded.error());
      stop.request_stop();
    }
    download.join();
    return uploaded;
  }

  Status Upload(const Blob& blob, BytePipe& pipe) {
    // POST: an upload session.
    curl_easy_reset(put_);
    std::string location;
    const std::string post_url =
        "http://" + dst_ + "/v2/" + prefix_ + "/" + blob.repo + "/blobs/uploads/";
    curl_easy_setopt(put_, CURLOPT_URL, post_url.c_str());
    curl_easy_setopt(put_, CURLOPT_USERAGENT, kUserAgent);
    curl_easy_setopt(put_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(put_, CURLOPT_POST, 1L);
    curl_easy_setopt(put_, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(put_, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(put_, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(put_, CURLOPT_HEADERDATA, &location);
    curl_easy_setopt(put_, CURLOPT_WRITEFUNCTION, &Discard);
    CURLcode code = curl_easy_perform(put_);
    c_.connections += Connections(put_);
    long status = 0;
    curl_easy_getinfo(put_, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK || status != 202 || location.empty()) {
      return MakeError(
          ErrorCode::kServerError,
          "POST " + post_url + ": " + curl_easy_strerror(code) + " HTTP " + std::to_string(status));
    }
    if (location.rfind("http", 0) != 0) location = "http://" + dst_ + location;
    const std::string put_url = location + (location.find('?') == std::string::npos ? "?" : "&") +
                                "digest=sha256%3A" + blob.digest.substr(7);

    // PUT: the whole blob, as the GET delivers it.
    curl_easy_reset(put_);
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(put_, CURLOPT_URL, put_url.c_str());
    curl_easy_setopt(put_, CURLOPT_USERAGENT, kUserAgent);
    curl_easy_setopt(put_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(put_, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(put_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(blob.size));
    curl_easy_setopt(put_, CURLOPT_READFUNCTION, &OnPutRead);
    curl_easy_setopt(put_, CURLOPT_READDATA, &pipe);
    curl_easy_setopt(put_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(put_, CURLOPT_WRITEFUNCTION, &Discard);
    code = curl_easy_perform(put_);
    curl_slist_free_all(headers);
    c_.connections += Connections(put_);
    status = 0;
    curl_easy_getinfo(put_, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK || status != 201) {
      return MakeError(ErrorCode::kServerError, "PUT " + put_url + ": " + curl_easy_strerror(code) +
                                                    " HTTP " + std::to_string(status));
    }
    c_.bytes += blob.size;
    return Ok();
  }

  std::string src_, dst_, prefix_;
  Counters& c_;
  CURL* get_ = curl_easy_init();
  CURL* put_ = curl_easy_init();
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 6) {
    std::fprintf(stderr, "usage: %s SRC_HOST:PORT DST_HOST:PORT BLOBS_FILE [JOBS] [PREFIX]\n",
                 argv[0]);
    return 2;
  }
  const std::string src = argv[1], dst = argv[2];
  const int jobs = argc >= 5 ? std::max(1, std::atoi(argv[4])) : 8;
  const std::string prefix = argc >= 6 ? argv[5] : "raw";
  std::vector<Blob> blobs;
  {
    std::ifstream in(argv[3]);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[3]);
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      Blob b;
      if (fields >> b.digest >> b.size >> b.repo) blobs.push_back(std::move(b));
    }
  }
  std::stable_sort(blobs.begin(), blobs.end(),
                   [](const Blob& a, const Blob& b) { return a.size > b.size; });
  curl_global_init(CURL_GLOBAL_ALL);
  Counters counters;
  std::atomic<size_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < jobs; ++i) {
      threads.emplace_back([&] {
        Worker worker(src, dst, prefix, counters);
        for (size_t k = next++; k < blobs.size(); k = next++)
          worker.Copy(blobs[k]);
      });
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"blobs\":%zu,\"bytes\":%llu,\"seconds\":%.3f,\"jobs\":%d,\"connections\":%ld,"
      "\"failures\":%d}\n",
      blobs.size(), static_cast<unsigned long long>(counters.bytes.load()), seconds, jobs,
      counters.connections.load(), counters.failures.load());
  curl_global_cleanup();
  return counters.failures.load() == 0 ? 0 : 1;
}
