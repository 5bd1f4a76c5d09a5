#include "registry/reference.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace freightliner::registry {
namespace {

// The grammar of github.com/distribution/reference, written as regexes.
const std::regex& PathComponentRe() {
  static const std::regex re("[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*");
  return re;
}
const std::regex& DomainRe() {
  static const std::regex re(
      R"((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]{1,5})?|\[[0-9a-fA-F:.]+\](?::[0-9]{1,5})?)");
  return re;
}

constexpr size_t kMaxNameLength = 255;

bool LooksLikeDomain(std::string_view first) {
  // Docker: a first component with a dot, a colon, "localhost" or an uppercase letter is a host.
  return first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
         std::any_of(first.begin(), first.end(),
                     [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
}

Error Invalid(std::string_view text, std::string_view why) {
  return Error(ErrorCode::kInvalidArgument,
               "invalid reference \"" + std::string(text) + "\": " + std::string(why));
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
  if (!std::regex_match(repo.registry, DomainRe())) {
    return tl::unexpected(Invalid(original, "bad registry host \"" + repo.registry + "\""));
  }
  if (repo.registry == kDockerHub && repo.path.find('/') == std::string::npos) {
    repo.path = "library/" + repo.path;
  }
  if (repo.path.empty()) return tl::unexpected(Invalid(original, "empty repository path"));
  size_t start = 0;
  while (true) {
    const size_t end = repo.path.find('/', start);
    const std::string component = repo.path.substr(start, end - start);
    if (!std::regex_match(component, PathComponentRe())) {
      return tl::unexpected(
          Invalid(original, "repository path component \"" + component +
                                "\" must be lowercase letters, digits and separators (. _ __ -)"));
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (repo.registry.size() + 1 + repo.path.size() > kMaxNameLength) {
    return tl::unexpected(Invalid(original, "name longer than 255 characters"));
  }
  return repo;
}

}  // namespace

bool IsValidTag(std::string_view tag) {
  static const std::regex re(R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
  return std::regex_match(tag.begin(), tag.end(), re);
}

bool IsValidDigest(std::string_view digest) {
  static const std::regex re(R"(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})");
  return std::regex_match(digest.begin(), digest.end(), re);
}

std::string Reference::String() const {
  std::string s = repository.String();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Result<Reference> ParseReference(std::string_view text, bool default_tag_latest) {
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
      return tl::unexpected(
          Invalid(text, "tag \"" + ref.tag + "\" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"));
    }
  }
  auto repo = SplitRepository(text, rest);
  if (!repo) return tl::unexpected(repo.error());
  ref.repository = std::move(*repo);
  if (ref.tag.empty() && ref.digest.empty() && default_tag_latest) ref.tag = "latest";
  return ref;
}

Result<Repository> ParseRepository(std::string_view text) {
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
  std::string_view trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '/')
    trimmed.remove_suffix(1);
  if (!trimmed.empty() && trimmed.find('/') == std::string_view::npos && LooksLikeDomain(trimmed)) {
    if (!std::regex_match(trimmed.begin(), trimmed.end(), DomainRe())) {
      return tl::unexpected(Invalid(text, "bad registry host"));
    }
    std::string host(trimmed);
    if (host == "index.docker.io" || host == kDockerHubApiHost) host = std::string(kDockerHub);
    return Repository{host, ""};
  }
  return ParseRepository(trimmed);
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
    return MakeError(
        ErrorCode::kInvalidArgument,
        "destination digest " + dst->digest + " differs from source digest " + source.digest);
  }
  return dst;
}

}  // namespace freightliner::registry
