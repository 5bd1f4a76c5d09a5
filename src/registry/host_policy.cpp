#include "registry/host_policy.hpp"

#include "http/proxy.hpp"

namespace freightliner::registry {

std::string HostWithoutPort(std::string_view host_port) {
  if (!host_port.empty() && host_port.front() == '[') {
    const size_t close = host_port.find(']');
    return std::string(host_port.substr(1, close == std::string_view::npos ? close : close - 1));
  }
  const size_t colon = host_port.rfind(':');
  if (colon != std::string_view::npos && host_port.find(':') == colon) {
    return std::string(host_port.substr(0, colon));
  }
  return std::string(host_port);
}

bool IsLoopbackHost(std::string_view host) {
  return http::IsLoopbackHost(host);
}

bool HostPolicy::IsInsecure(std::string_view host_port) const {
  const std::string host = HostWithoutPort(host_port);
  if (IsLoopbackHost(host)) return true;
  return insecure_.count(std::string(host_port)) > 0 || insecure_.count(host) > 0;
}

}  // namespace freightliner::registry
