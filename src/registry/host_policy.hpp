#pragma once
// Which hosts may be reached over plain HTTP or with unverified TLS. Like Docker: hosts given
// with --insecure-registry, plus localhost and 127.0.0.0/8 (and ::1), which are always allowed.

#include <set>
#include <string>
#include <string_view>

namespace freightliner::registry {

class HostPolicy {
 public:
  HostPolicy() = default;
  // Entries are "host" (any port) or "host:port".
  explicit HostPolicy(std::set<std::string> insecure_hosts, std::string ca_file = {})
      : insecure_(std::move(insecure_hosts)), ca_file_(std::move(ca_file)) {}

  bool IsInsecure(std::string_view host_port) const;
  const std::string& ca_file() const { return ca_file_; }

 private:
  std::set<std::string> insecure_;
  std::string ca_file_;
};

// "127.0.0.1:5000" -> "127.0.0.1"; "[::1]:5000" -> "::1".
std::string HostWithoutPort(std::string_view host_port);
bool IsLoopbackHost(std::string_view host);

}  // namespace freightliner::registry
