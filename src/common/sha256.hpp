#pragma once
// Incremental SHA-256 over OpenSSL's EVP interface, for verifying blobs while they stream.
//
//   Sha256 h;  h.Update(chunk1);  h.Update(chunk2);  std::string d = h.FinalDigest();  //
//   "sha256:..."

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace freightliner {

// Not thread-safe: one hasher per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  // The OCI digest string "sha256:<64 lowercase hex>". Call once.
  std::string FinalDigest();

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;
};

// "sha256:<hex>" of a whole buffer.
std::string Sha256Digest(std::string_view data);

}  // namespace freightliner
