#include "http/proxy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "http/untrusted.hpp"

namespace freightliner::http {
namespace {

std::string FirstSet(const std::function<std::optional<std::string>(const std::string&)>& env,
                     const char* upper, const char* lower) {
  for (const char* name : {upper, lower}) {
    if (auto value = env(name); value && !value->empty()) return *value;
  }
  return "";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<uint32_t> Ipv4(std::string_view text) {
  in_addr addr{};
  if (inet_pton(AF_INET, std::string(text).c_str(), &addr) != 1) return std::nullopt;
  return ntohl(addr.s_addr);
}

bool MatchesCidr(std::string_view cidr, std::string_view host) {
  const size_t slash = cidr.find('/');
  const auto network = Ipv4(cidr.substr(0, slash));
  const auto bits = ParseBoundedUnsigned(cidr.substr(slash + 1), 32);
  const auto address = Ipv4(host);
  if (!network || !bits || !address) return false;
  const uint32_t mask = *bits == 0 ? 0 : ~uint32_t{0} << (32 - *bits);
  return (*network & mask) == (*address & mask);
}

// One NO_PROXY entry against a host and port.
bool MatchesEntry(std::string_view entry, std::string_view host, uint16_t port) {
  if (entry == "*") return true;
  if (entry.find('/') != std::string_view::npos) return MatchesCidr(entry, host);
  std::string_view entry_host = entry;
  if (const size_t colon = entry.rfind(':');
      colon != std::string_view::npos && entry.find(':') == colon) {
    const auto entry_port = ParseBoundedUnsigned(entry.substr(colon + 1), 65535);
    if (!entry_port || *entry_port != port) return false;
    entry_host = entry.substr(0, colon);
  }
  if (!entry_host.empty() && entry_host.front() == '.') entry_host.remove_prefix(1);
  if (entry_host.empty()) return false;
  if (host == entry_host) return true;
  // "example.com" and ".example.com" both cover the subdomains, as in Go and curl.
  return host.size() > entry_host.size() && host.ends_with(entry_host) &&
         host[host.size() - entry_host.size() - 1] == '.';
}

}  // namespace

ProxySettings ProxySettings::FromEnvironment(
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  return {.http_proxy = FirstSet(env, "HTTP_PROXY", "http_proxy"),
          .https_proxy = FirstSet(env, "HTTPS_PROXY", "https_proxy"),
          .no_proxy = FirstSet(env, "NO_PROXY", "no_proxy")};
}

std::string ProxySettings::ProxyFor(std::string_view url) const {
  const auto origin = OriginOf(url);
  if (!origin) return "";
  const std::string& proxy = origin->scheme == "https" ? https_proxy : http_proxy;
  if (proxy.empty() || IsLoopbackHost(origin->host)) return "";
  if (MatchesNoProxy(no_proxy, origin->host, origin->port)) return "";
  return proxy;
}

bool MatchesNoProxy(std::string_view no_proxy, std::string_view host, uint16_t port) {
  while (!no_proxy.empty()) {
    const size_t comma = no_proxy.find(',');
    const std::string entry = Lower(Trim(no_proxy.substr(0, comma)));
    if (!entry.empty() && MatchesEntry(entry, host, port)) return true;
    if (comma == std::string_view::npos) break;
    no_proxy.remove_prefix(comma + 1);
  }
  return false;
}

std::string RedactProxyUrl(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t end = url.find_first_of("/?#", start);
  const size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  if (auto address = Ipv4(host)) return (*address >> 24) == 127;
  return false;
}

}  // namespace freightliner::http
