#pragma once
// Forward proxies from the environment, read once, as Go's net/http reads them
// (httpproxy.FromEnvironment): HTTP_PROXY or http_proxy, HTTPS_PROXY or https_proxy, NO_PROXY or
// no_proxy, the upper-case name first. libcurl alone ignores HTTP_PROXY on purpose (a CGI
// hazard), which surprised users of Go tools; so the transport sets the proxy itself, per request.
// Loopback hosts (localhost, 127.0.0.0/8, ::1) never go through a proxy, as in Go.
//
//   ProxySettings proxies = ProxySettings::FromEnvironment(ProcessEnvironment());
//   std::string proxy = proxies.ProxyFor("https://ghcr.io/v2/");  // "" means direct

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace freightliner::http {

struct ProxySettings {
  std::string http_proxy;   // for http:// URLs
  std::string https_proxy;  // for https:// URLs
  // Comma-separated: "*", host names (a leading "." or not: the domain and its subdomains),
  // HOST:PORT, IPv4 addresses and IPv4 CIDR blocks.
  std::string no_proxy;

  static ProxySettings FromEnvironment(
      const std::function<std::optional<std::string>(const std::string&)>& env);

  // The proxy URL for a request to `url`, or "" for a direct connection.
  std::string ProxyFor(std::string_view url) const;
  bool Empty() const { return http_proxy.empty() && https_proxy.empty(); }
};

// NO_PROXY's rule for one host (lowercase, IPv6 without brackets) and port.
bool MatchesNoProxy(std::string_view no_proxy, std::string_view host, uint16_t port);

// "http://user:secret@proxy:3128" -> "http://***@proxy:3128": a proxy URL fit for a log line.
std::string RedactProxyUrl(std::string_view url);

// localhost, 127.0.0.0/8 and ::1 (no brackets, no port).
bool IsLoopbackHost(std::string_view host);

}  // namespace freightliner::http
