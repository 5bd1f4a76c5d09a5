// The raw limit of a registry-to-registry copy, for benchmarks: one process doing nothing but
// GET each blob from the source and upload it to the destination (POST a session, one monolithic
// PUT), streamed (the PUT sends what the GET receives), over J keep-alive connections per side.
// No existence checks, no digest computed here (the destination checks it). Plain libcurl, not
// freightliner's client, so the limit does not inherit its costs.
//
//   bench_raw_blob_copy SRC_HOST:PORT DST_HOST:PORT BLOBS_FILE [JOBS [PREFIX [MOUNTS MANIFESTS]]]
//
// BLOBS_FILE: one blob a line, "DIGEST SIZE SOURCE_REPO". Each blob goes to
// DST/PREFIX/SOURCE_REPO (PREFIX "raw" by default). Blobs are handed out largest first (the best
// schedule for a fixed number of workers).
//
// With MOUNTS and MANIFESTS, the copy is completed, still with nothing but the necessary
// requests, in phases (each over the same J workers, one after the other): the blobs; then the
// mounts, "REPO DIGEST FROM_REPO" a line (POST ?mount= into PREFIX/REPO from PREFIX/FROM_REPO);
// then the manifests, "PHASE REPO REFERENCE" a line (GET from the source, PUT to PREFIX/REPO),
// phase by phase in increasing order (children of indexes before the indexes).
//
// Prints one JSON line: {"blobs":N,"bytes":B,"seconds":S (the blobs),"total_seconds":T (all
// phases),"mounts":M,"manifests":K,"jobs":J,"connections":C,"failures":F}. Exit 1 on any failure.

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
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

struct MountRef {
  std::string repo, digest, from;
};

struct ManifestRef {
  int phase = 0;
  std::string repo, reference;
};

constexpr const char* kManifestAccept =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t OnContentType(char* data, size_t size, size_t count, void* user) {
  const size_t n = size * count;
  std::string line(data, n);
  for (size_t i = 0; i < line.size() && line[i] != ':'; ++i)
    line[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(line[i])));
  if (line.rfind("content-type:", 0) == 0) {
    std::string value = line.substr(13);
    while (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
      value.pop_back();
    *static_cast<std::string*>(user) = value;
  }
  return n;
}

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

  void Copy(const Blob& blob) { Report(blob.digest, CopyOnce(blob)); }
  void Mount(const MountRef& m) { Report(m.repo + "@" + m.digest, MountOnce(m)); }
  void CopyManifest(const ManifestRef& m) { Report(m.repo + ":" + m.reference, ManifestOnce(m)); }

 private:
  void Report(const std::string& what, const Status& s) {
    if (s) return;
    ++c_.failures;
    std::lock_guard lock(c_.mu);
    std::fprintf(stderr, "raw copy of %s failed: %s\n", what.c_str(), s.error().message.c_str());
  }

  // A fresh request on `easy`: URL, user agent, answer bodies dropped unless the caller says.
  static void Start(CURL* easy, const std::string& url) {
    curl_easy_reset(easy);
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_USERAGENT, kUserAgent);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Discard);
  }

  // Runs the request (then frees `headers`, if any) and wants HTTP `expected`.
  Status Finish(CURL* easy, long expected, const std::string& what, curl_slist* headers = nullptr) {
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    const CURLcode code = curl_easy_perform(easy);
    curl_slist_free_all(headers);
    c_.connections += Connections(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK || status != expected) {
      return MakeError(ErrorCode::kServerError,
                       what + ": " + curl_easy_strerror(code) + " HTTP " + std::to_string(status));
    }
    return Ok();
  }

  static void EmptyPost(CURL* easy) {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
  }

  Status MountOnce(const MountRef& m) {
    Start(put_, "http://" + dst_ + "/v2/" + prefix_ + "/" + m.repo +
                    "/blobs/uploads/?mount=sha256%3A" + m.digest.substr(7) + "&from=" + prefix_ +
                    "%2F" + Escape(m.from));
    EmptyPost(put_);
    return Finish(put_, 201, "mount");
  }

  Status ManifestOnce(const ManifestRef& m) {
    std::string body, content_type;
    Start(get_, "http://" + src_ + "/v2/" + m.repo + "/manifests/" + m.reference);
    curl_easy_setopt(get_, CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(get_, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(get_, CURLOPT_HEADERFUNCTION, &OnContentType);
    curl_easy_setopt(get_, CURLOPT_HEADERDATA, &content_type);
    if (Status s = Finish(get_, 200, "GET manifest", curl_slist_append(nullptr, kManifestAccept));
        !s) {
      return s;
    }
    Start(put_, "http://" + dst_ + "/v2/" + prefix_ + "/" + m.repo + "/manifests/" + m.reference);
    curl_slist* headers = curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str());
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(put_, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(put_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(put_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    return Finish(put_, 201, "PUT manifest", headers);
  }

  static std::string Escape(const std::string& path) {
    std::string out;
    for (char ch : path) {
      if (ch == '/') {
        out += "%2F";
      } else {
        out += ch;
      }
    }
    return out;
  }

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
      GetState state{&pipe, &stop};
      Start(get_, "http://" + src_ + "/v2/" + blob.repo + "/blobs/" + blob.digest);
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
    std::string location;
    const std::string post_url =
        "http://" + dst_ + "/v2/" + prefix_ + "/" + blob.repo + "/blobs/uploads/";
    Start(put_, post_url);
    EmptyPost(put_);
    curl_easy_setopt(put_, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(put_, CURLOPT_HEADERDATA, &location);
    if (Status s = Finish(put_, 202, "POST " + post_url); !s) return s;
    if (location.empty()) {
      return MakeError(ErrorCode::kServerError, "POST " + post_url + ": no Location");
    }
    if (location.rfind("http", 0) != 0) location = "http://" + dst_ + location;
    const std::string put_url = location + (location.find('?') == std::string::npos ? "?" : "&") +
                                "digest=sha256%3A" + blob.digest.substr(7);

    // PUT: the whole blob, as the GET delivers it.
    Start(put_, put_url);
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/octet-stream");
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(put_, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(put_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(blob.size));
    curl_easy_setopt(put_, CURLOPT_READFUNCTION, &OnPutRead);
    curl_easy_setopt(put_, CURLOPT_READDATA, &pipe);
    if (Status s = Finish(put_, 201, "PUT " + put_url, headers); !s) return s;
    c_.bytes += blob.size;
    return Ok();
  }

  std::string src_, dst_, prefix_;
  Counters& c_;
  CURL* get_ = curl_easy_init();
  CURL* put_ = curl_easy_init();
};

// Runs fn(worker, item) for every item on the workers, one thread per worker; returns seconds.
template <typename T, typename Fn>
double RunPhase(std::vector<std::unique_ptr<Worker>>& workers, const std::vector<T>& items, Fn fn) {
  std::atomic<size_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> threads;
    for (auto& w : workers) {
      threads.emplace_back([&, worker = w.get()] {
        for (size_t k = next++; k < items.size(); k = next++)
          fn(*worker, items[k]);
      });
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template <typename T, typename Parse>
bool ReadLines(const char* path, std::vector<T>& out, Parse parse) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    T item;
    if (parse(fields, item)) out.push_back(std::move(item));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 8 || argc == 7) {
    std::fprintf(stderr,
                 "usage: %s SRC_HOST:PORT DST_HOST:PORT BLOBS_FILE [JOBS [PREFIX [MOUNTS "
                 "MANIFESTS]]]\n",
                 argv[0]);
    return 2;
  }
  const std::string src = argv[1], dst = argv[2];
  const int jobs = argc >= 5 ? std::max(1, std::atoi(argv[4])) : 8;
  const std::string prefix = argc >= 6 ? argv[5] : "raw";
  std::vector<Blob> blobs;
  std::vector<MountRef> mounts;
  std::vector<ManifestRef> manifests;
  if (!ReadLines(argv[3], blobs, [](std::istringstream& f, Blob& b) {
        return static_cast<bool>(f >> b.digest >> b.size >> b.repo);
      })) {
    return 2;
  }
  const bool complete = argc == 8;
  if (complete && (!ReadLines(argv[6], mounts, [](std::istringstream& f, MountRef& m) {
        return static_cast<bool>(f >> m.repo >> m.digest >> m.from);
      }) || !ReadLines(argv[7], manifests, [](std::istringstream& f, ManifestRef& m) {
        return static_cast<bool>(f >> m.phase >> m.repo >> m.reference);
      }))) {
    return 2;
  }
  std::stable_sort(blobs.begin(), blobs.end(),
                   [](const Blob& a, const Blob& b) { return a.size > b.size; });
  curl_global_init(CURL_GLOBAL_ALL);
  Counters counters;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < jobs; ++i)
    workers.push_back(std::make_unique<Worker>(src, dst, prefix, counters));
  const double blob_seconds = RunPhase(workers, blobs, [](Worker& w, const Blob& b) { w.Copy(b); });
  double total_seconds = blob_seconds;
  if (complete) {
    total_seconds += RunPhase(workers, mounts, [](Worker& w, const MountRef& m) { w.Mount(m); });
    std::map<int, std::vector<ManifestRef>> phases;
    for (const ManifestRef& m : manifests)
      phases[m.phase].push_back(m);
    for (const auto& [phase, items] : phases) {
      total_seconds +=
          RunPhase(workers, items, [](Worker& w, const ManifestRef& m) { w.CopyManifest(m); });
    }
  }
  workers.clear();
  std::printf(
      "{\"blobs\":%zu,\"bytes\":%llu,\"seconds\":%.3f,\"total_seconds\":%.3f,\"mounts\":%zu,"
      "\"manifests\":%zu,\"jobs\":%d,\"connections\":%ld,\"failures\":%d}\n",
      blobs.size(), static_cast<unsigned long long>(counters.bytes.load()), blob_seconds,
      total_seconds, mounts.size(), manifests.size(), jobs, counters.connections.load(),
      counters.failures.load());
  curl_global_cleanup();
  return counters.failures.load() == 0 ? 0 : 1;
}
