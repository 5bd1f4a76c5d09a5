#include "registry/reference.hpp"

#include <algorithm>

#include "common/format.hpp"

namespace freightliner::registry {
namespace {

// The grammar of github.com/distribution/reference, matched by hand: one pass over the text, no
// backtracking and no recursion, so that a hostile name costs time linear in its length (and
// every public entry point refuses text longer than kMaxReferenceLength first).

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsAlnum(char c) {
  return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsLowerHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f');
}

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool IsValidPathComponent(std::string_view s) {
  size_t i = 0;
  while (true) {
    const size_t run = i;
    while (i < s.size() && IsLowerAlnum(s[i]))
      ++i;
    if (i == run) return false;  // a component, and each separator, is followed by [a-z0-9]+
    if (i == s.size()) return true;
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-')
        ++i;
    } else {
      return false;
    }
  }
}

// [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?
bool IsValidDomainComponent(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

// :[0-9]{1,5}, the colon already taken off.
bool IsValidPort(std::string_view s) {
  return !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), IsDigit);
}

// host(.host)*(:port)? or [ipv6](:port)?
bool IsValidDomain(std::string_view s) {
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    const std::string_view address = s.substr(1, close - 1);
    if (!std::all_of(address.begin(), address.end(),
                     [](char c) { return IsHex(c) || c == ':' || c == '.'; })) {
      return false;
    }
    const std::string_view rest = s.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && IsValidPort(rest.substr(1)));
  }
  std::string_view host = s;
  if (const size_t colon = s.find(':'); colon != std::string_view::npos) {
    if (!IsValidPort(s.substr(colon + 1))) return false;
    host = s.substr(0, colon);
  }
  while (true) {
    const size_t dot = host.find('.');
    if (!IsValidDomainComponent(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

constexpr size_t kMaxNameLength = 255;

bool LooksLikeDomain(std::string_view first) {
  // Docker: a first component with a dot, a colon, "localhost" or an uppercase letter is a host.
  return first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
         std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

Error Invalid(std::string_view text, std::string_view why) {
  return Error(ErrorCode::kInvalidArgument,
               "invalid reference " + QuoteUntrusted(text) + ": " + std::string(why));
}

// Refused before any parsing: no name is this long, and error messages stay short.
tl::unexpected<Error> TooLong(std::string_view text) {
  return tl::unexpected(Invalid(text, "longer than " + std::to_string(kMaxReferenceLength) +
                                          " bytes (" + std::to_string(text.size()) + ")"));
}

// The first component of `path` that breaks the grammar; nullopt when every one is valid.
std::optional<std::string_view> BadPathComponent(std::string_view path) {
  while (true) {
    const size_t slash = path.find('/');
    const std::string_view component = path.substr(0, slash);
    if (!IsValidPathComponent(component)) return component;
    if (slash == std::string_view::npos) return std::nullopt;
    path.remove_prefix(slash + 1);
  }
}

// Splits "host/path" into a normalised Repository.
Result<Repository> SplitRepository(std::string_view original, std::string_view name) {
  if (name.empty()) return tl::unexpected(Invalid(original, "empty name"));
  Repository repo;
  const size_t slash = name.find('/');
  if (slash != std::string_view::npos && LooksLikeDomain(name.substr(0, slash))) {
    repo.registry = std::string(name.substr(0, slash));
    repo.path = std::string(name.substr(slash + 1));
  } else {
    repo.registry = std::string(kDockerHub);
    repo.path = std::string(name);
  }
  if (repo.registry == "index.docker.io" || repo.registry == kDockerHubApiHost) {
    repo.registry = std::string(kDockerHub);
  }
  if (!IsValidDomain(repo.registry)) {
    return tl::unexpected(Invalid(original, "bad registry host " + QuoteUntrusted(repo.registry)));
  }
  if (repo.registry == kDockerHub && repo.path.find('/') == std::string::npos) {
    repo.path = "library/" + repo.path;
  }
  if (repo.path.empty()) return tl::unexpected(Invalid(original, "empty repository path"));
  if (auto bad = BadPathComponent(repo.path)) {
    return tl::unexpected(
        Invalid(original, "repository path component " + QuoteUntrusted(*bad) +
                              " must be lowercase letters, digits and separators (. _ __ -)"));
  }
  if (repo.registry.size() + 1 + repo.path.size() > kMaxNameLength) {
    return tl::unexpected(Invalid(original, "name longer than 255 characters"));
  }
  return repo;
}

}  // namespace

bool IsValidTag(std::string_view tag) {
  // [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
  if (tag.empty() || tag.size() > kMaxTagLength) return false;
  if (!IsAlnum(tag.front()) && tag.front() != '_') return false;
  return std::all_of(tag.begin(), tag.end(),
                     [](char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool IsValidDigest(std::string_view digest) {
  const auto hex_of_length = [](std::string_view hex, size_t length) {
    return hex.size() == length && std::all_of(hex.begin(), hex.end(), IsLowerHex);
  };
  if (digest.starts_with("sha256:")) return hex_of_length(digest.substr(7), 64);
  if (digest.starts_with("sha512:")) return hex_of_length(digest.substr(7), 128);
  return false;
}

bool IsValidRepositoryPath(std::string_view path) {
  return !path.empty() && path.size() <= kMaxNameLength && !BadPathComponent(path);
}

bool IsValidRegistryHost(std::string_view host) {
  return host.size() <= kMaxNameLength && IsValidDomain(host);
}

std::string Reference::String() const {
  std::string s = repository.String();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Result<Reference> ParseReference(std::string_view text, bool default_tag_latest) {
  if (text.size() > kMaxReferenceLength) return TooLong(text);
  if (text.empty()) return tl::unexpected(Invalid(text, "empty reference"));
  if (text.find_first_of(" \t\r\n") != std::string_view::npos) {
    return tl::unexpected(Invalid(text, "contains whitespace"));
  }
  Reference ref;
  std::string_view rest = text;
  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!IsValidDigest(ref.digest)) {
      return tl::unexpected(
          Invalid(text, "digest must be sha256:<64 hex> or sha512:<128 hex>, lowercase"));
    }
  }
  // A tag follows the last ':' that comes after the last '/', so "host:5000/app" has none.
  const size_t last_slash = rest.rfind('/');
  const size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!IsValidTag(ref.tag)) {
      return tl::unexpected(Invalid(text, "tag " + QuoteUntrusted(ref.tag) +
                                              " must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"));
    }
  }
  auto repo = SplitRepository(text, rest);
  if (!repo) return tl::unexpected(repo.error());
  ref.repository = std::move(*repo);
  if (ref.tag.empty() && ref.digest.empty() && default_tag_latest) ref.tag = "latest";
  return ref;
}

Result<Repository> ParseRepository(std::string_view text) {
  if (text.size() > kMaxReferenceLength) return TooLong(text);
  if (text.find('@') != std::string_view::npos) {
    return tl::unexpected(Invalid(text, "a repository takes no digest"));
  }
  const size_t last_slash = text.rfind('/');
  const size_t colon = text.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    return tl::unexpected(Invalid(text, "a repository takes no tag"));
  }
  while (!text.empty() && text.back() == '/')
    text.remove_suffix(1);
  return SplitRepository(text, text);
}

Result<Repository> ParseRepositoryPrefix(std::string_view text) {
  if (text.size() > kMaxReferenceLength) return TooLong(text);
  std::string_view trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '/')
    trimmed.remove_suffix(1);
  if (!trimmed.empty() && trimmed.find('/') == std::string_view::npos && LooksLikeDomain(trimmed)) {
    if (!IsValidDomain(trimmed)) {
      return tl::unexpected(Invalid(text, "bad registry host"));
    }
    std::string host(trimmed);
    if (host == "index.docker.io" || host == kDockerHubApiHost) host = std::string(kDockerHub);
    return Repository{host, ""};
  }
  return ParseRepository(trimmed);
}

Result<std::string_view> StripTransport(std::string_view text) {
  constexpr std::string_view kDocker = "docker://";
  constexpr std::string_view kHint =
      "; freightliner copies between registries: use docker://HOST/REPO:TAG or HOST/REPO:TAG";
  if (text.starts_with(kDocker)) return text.substr(kDocker.size());
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return text;
  const std::string_view head = text.substr(0, colon);
  const std::string_view rest = text.substr(colon + 1);
  if (text.starts_with("http://") || text.starts_with("https://")) {
    return MakeError(ErrorCode::kInvalidArgument, "a URL scheme (" + std::string(head) +
                                                      "://) is not part of an image reference" +
                                                      std::string(kHint));
  }
  // "docker:24-dind" is Docker Hub's docker image; "docker:ghcr.io/x" is docker:// mistyped.
  if (head == "docker") {
    if (IsValidTag(rest)) return text;
    return MakeError(
        ErrorCode::kInvalidArgument,
        "the docker transport is written docker://REF (with two slashes)" + std::string(kHint));
  }
  // containers/image's other transports: none is a registry host (a host has a '.' or is
  // localhost, and a port follows its ':'), nor a Docker Hub image anyone pulls.
  constexpr std::string_view kOtherTransports[] = {"containers-storage",
                                                   "docker-daemon",
                                                   "docker-archive",
                                                   "oci",
                                                   "oci-archive",
                                                   "dir",
                                                   "tarball",
                                                   "sif",
                                                   "ostree"};
  if (std::find(std::begin(kOtherTransports), std::end(kOtherTransports), head) ==
      std::end(kOtherTransports)) {
    return text;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "transport " + std::string(head) + ": is not supported" + std::string(kHint));
}

std::string ApiHost(std::string_view registry) {
  if (registry == kDockerHub) return std::string(kDockerHubApiHost);
  return std::string(registry);
}

std::string CredentialKey(std::string_view registry) {
  if (registry == kDockerHub) return std::string(kDockerHubCredentialKey);
  return std::string(registry);
}

Result<Reference> ParseCopyDestination(const Reference& source, std::string_view destination) {
  auto dst = ParseReference(destination, /*default_tag_latest=*/false);
  if (!dst) return dst;
  if (dst->tag.empty() && dst->digest.empty()) {
    dst->tag = source.tag;
    if (dst->tag.empty()) dst->digest = source.digest;
  }
  if (!dst->digest.empty() && !source.digest.empty() && dst->digest != source.digest) {
    return MakeError(ErrorCode::kInvalidArgument, "destination digest " + dst->digest +
                                                      " differs from source digest " +
                                                      QuoteUntrusted(source.digest));
  }
  return dst;
}

}  // namespace freightliner::registry
