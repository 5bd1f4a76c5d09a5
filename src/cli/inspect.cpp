// inspect and digest: what a manifest (and its image config) says, as skopeo inspect and
// crane digest show it.

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/output_format.hpp"
#include "common/format.hpp"
#include "registry/image_config.hpp"
#include "registry/json_fields.hpp"

namespace freightliner::cli {
namespace {

using nlohmann::json;
using registry::Descriptor;
using registry::ImageConfig;
using registry::Manifest;

// What a reference names once --platform has picked from an index.
struct Resolved {
  Manifest manifest;              // an image manifest; an index only when no platform was asked for
  std::optional<Manifest> index;  // the index the manifest was picked from
  std::optional<registry::Platform> wanted;  // --platform
  std::optional<ImageConfig> config;         // image manifests with an image config
};

std::string PlatformList(const Manifest& index) {
  std::string out;
  for (const Descriptor& child : index.children) {
    if (child.platform) out += (out.empty() ? "" : ", ") + child.platform->String();
  }
  return out;
}

bool IsImageConfig(std::string_view media_type) {
  return media_type == "application/vnd.oci.image.config.v1+json" ||
         media_type == "application/vnd.docker.container.image.v1+json";
}

// Picks the platform of an index, reads the image config, and checks that a single image is of
// the platform asked for.
Result<Resolved> Resolve(registry::RegistryClient& client, const registry::Reference& ref,
                         const std::string& platform, bool with_config, std::stop_token stop) {
  Resolved r;
  if (!platform.empty()) {
    auto wanted = registry::ParsePlatform(platform);
    if (!wanted) return tl::unexpected(wanted.error());
    r.wanted = *wanted;
  }
  const std::string& repo = ref.repository.path;
  auto top = client.GetManifest(repo, ref.Identifier(), stop);
  if (!top) return tl::unexpected(top.error());
  r.manifest = std::move(*top);
  if (r.manifest.is_index && r.wanted) {
    const Descriptor* chosen = nullptr;
    for (const Descriptor& child : r.manifest.children) {
      if (child.platform && child.platform->Matches(*r.wanted)) {
        chosen = &child;
        break;
      }
    }
    if (chosen == nullptr) {
      return MakeError(ErrorCode::kNotFound, ref.String() + " has no platform " +
                                                 r.wanted->String() +
                                                 " (it has: " + PlatformList(r.manifest) + ")");
    }
    auto child = client.GetManifest(repo, chosen->digest, stop);
    if (!child) return tl::unexpected(child.error());
    r.index = std::move(r.manifest);
    r.manifest = std::move(*child);
  }
  const bool need_config = with_config || (r.wanted && !r.index);
  if (r.manifest.is_index || !need_config || !IsImageConfig(r.manifest.config->media_type)) {
    return r;
  }
  auto bytes = registry::FetchConfigBlob(client, repo, *r.manifest.config, stop);
  if (!bytes) return tl::unexpected(bytes.error());
  auto config = registry::ParseImageConfig(*bytes);
  if (!config) return tl::unexpected(config.error().WithContext(r.manifest.config->digest));
  if (r.wanted && !r.index) {
    const registry::Platform actual{config->os, config->architecture, config->variant};
    if (!actual.Matches(*r.wanted)) {
      return MakeError(ErrorCode::kNotFound, ref.String() + " is a single image for " +
                                                 QuoteUntrusted(actual.String()) + ", not " +
                                                 r.wanted->String());
    }
  }
  r.config = std::move(*config);
  return r;
}

uint64_t LayerBytes(const Manifest& m) {
  uint64_t total = 0;
  for (const Descriptor& l : m.layers)
    total += static_cast<uint64_t>(l.size);
  return total;
}

// The -o json document (and what --format paths select from).
json InspectJson(const registry::Reference& ref, const Resolved& r) {
  const Manifest& m = r.manifest;
  json out = {{"reference", ref.String()}, {"digest", m.digest}, {"media_type", m.media_type}};
  if (r.index) {
    out["index_digest"] = r.index->digest;
    out["platform"] = r.wanted->String();
  }
  if (m.is_index) {
    json children = json::array();
    for (const auto& c : m.children) {
      children.push_back({{"digest", c.digest},
                          {"media_type", c.media_type},
                          {"size", c.size},
                          {"platform", c.platform ? c.platform->String() : ""}});
    }
    out["manifests"] = children;
    return out;
  }
  json config = {
      {"digest", m.config->digest}, {"media_type", m.config->media_type}, {"size", m.config->size}};
  if (r.config) {
    const ImageConfig& c = *r.config;
    out["architecture"] = c.architecture;
    out["os"] = c.os;
    out["variant"] = c.variant;
    out["created"] = c.created;
    out["author"] = c.author;
    config["Labels"] = c.labels;
    config["Env"] = c.env;
    config["Entrypoint"] = c.entrypoint;
    config["Cmd"] = c.cmd;
    config["WorkingDir"] = c.working_dir;
    config["User"] = c.user;
  }
  out["config"] = config;
  json layers = json::array();
  for (const auto& l : m.layers) {
    layers.push_back({{"digest", l.digest}, {"media_type", l.media_type}, {"size", l.size}});
  }
  out["layers"] = layers;
  out["size"] = LayerBytes(m);
  return out;
}

// What --format templates select from: skopeo inspect's field names.
json TemplateView(const registry::Reference& ref, const Resolved& r) {
  const Manifest& m = r.manifest;
  json view = {{"Name", ref.repository.String()},
               {"Tag", ref.tag},
               {"Digest", m.digest},
               {"MediaType", m.media_type}};
  if (m.is_index) {
    json platforms = json::array();
    for (const Descriptor& c : m.children)
      platforms.push_back(c.platform ? c.platform->String() : "");
    view["Platforms"] = platforms;
    return view;
  }
  view["IndexDigest"] = r.index ? r.index->digest : "";
  const ImageConfig c = r.config.value_or(ImageConfig{});
  view["Created"] = c.created;
  view["Architecture"] = c.architecture;
  view["Os"] = c.os;
  view["Variant"] = c.variant;
  view["Author"] = c.author;
  view["Labels"] = c.labels;
  view["Env"] = c.env;
  view["Entrypoint"] = c.entrypoint;
  view["Cmd"] = c.cmd;
  view["WorkingDir"] = c.working_dir;
  view["User"] = c.user;
  view["Config"] = m.config->digest;
  json layers = json::array(), layers_data = json::array();
  for (const Descriptor& l : m.layers) {
    layers.push_back(l.digest);
    layers_data.push_back({{"MIMEType", l.media_type}, {"Digest", l.digest}, {"Size", l.size}});
  }
  view["Layers"] = layers;
  view["LayersData"] = layers_data;
  view["Size"] = LayerBytes(m);
  return view;
}

std::string Field(const std::string& name) {
  std::ostringstream out;
  out << std::left << std::setw(14) << (name + ":");
  return out.str();
}

// An exec-form list ("Entrypoint", "Cmd") as JSON: quoted, escaped, unambiguous.
std::string ExecForm(const std::vector<std::string>& args) {
  return registry::SafeDump(json(args));
}

void PrintConfigText(const ImageConfig& c) {
  if (!c.created.empty()) std::cout << Field("Created") << EscapeUntrusted(c.created) << "\n";
  std::cout << Field("Architecture") << EscapeUntrusted(c.architecture) << "\n"
            << Field("Os") << EscapeUntrusted(c.os) << "\n";
  if (!c.variant.empty()) std::cout << Field("Variant") << EscapeUntrusted(c.variant) << "\n";
  if (!c.author.empty()) std::cout << Field("Author") << EscapeUntrusted(c.author) << "\n";
  if (!c.entrypoint.empty()) std::cout << Field("Entrypoint") << ExecForm(c.entrypoint) << "\n";
  if (!c.cmd.empty()) std::cout << Field("Cmd") << ExecForm(c.cmd) << "\n";
  if (!c.working_dir.empty()) {
    std::cout << Field("WorkingDir") << EscapeUntrusted(c.working_dir) << "\n";
  }
  if (!c.user.empty()) std::cout << Field("User") << EscapeUntrusted(c.user) << "\n";
  if (!c.env.empty()) {
    std::cout << "Env:\n";
    for (const std::string& e : c.env)
      std::cout << "  " << EscapeUntrusted(e, e.size()) << "\n";
  }
  if (!c.labels.empty()) {
    std::cout << "Labels:\n";
    for (const auto& [key, value] : c.labels)
      std::cout << "  " << EscapeUntrusted(key) << "=" << EscapeUntrusted(value, value.size())
                << "\n";
  }
}

void PrintText(const registry::Reference& ref, const Resolved& r) {
  const Manifest& m = r.manifest;
  std::cout << Field("Name") << ref.String() << "\n"
            << Field("Digest") << m.digest << "\n"
            << Field("MediaType") << m.media_type << "\n";
  if (r.index) {
    std::cout << Field("Index") << r.index->digest << " (platform " << r.wanted->String() << ")\n";
  }
  if (m.is_index) {
    std::cout << "Platforms:\n";
    for (const auto& c : m.children) {
      const std::string platform = c.platform ? c.platform->String() : std::string("(none)");
      std::cout << "  " << EscapeUntrusted(platform) << "  " << c.digest << "\n";
    }
    return;
  }
  if (r.config) PrintConfigText(*r.config);
  std::cout << Field("Config") << m.config->digest << "\n"
            << "Layers:\n";
  for (const auto& l : m.layers) {
    std::cout << "  " << l.digest << "  " << HumanBytes(static_cast<uint64_t>(l.size))
              << (l.foreign ? "  (foreign)" : "") << "\n";
  }
  std::cout << Field("Total size") << HumanBytes(LayerBytes(m)) << "\n";
}

}  // namespace

int RunInspect(Context& ctx, const InspectArgs& args) {
  auto ref = registry::ParseReference(args.image);
  if (!ref) return Fail(ref.error());
  auto client = ctx.MakePool({.src_creds = args.creds, .src_creds_flag = "--creds"})
                    ->Get(ref->repository.registry, registry::Role::kSource);
  if (!client) return Fail(client.error());
  auto resolved = Resolve(**client, *ref, args.platform, /*with_config=*/!args.raw, ctx.stop());
  if (!resolved) return Fail(resolved.error());
  if (args.raw) {
    std::cout << resolved->manifest.bytes;
    return kExitOk;
  }
  const json doc = InspectJson(*ref, *resolved);
  if (!args.format.empty()) {
    auto rendered = RenderFormat(args.format, TemplateView(*ref, *resolved), doc);
    if (!rendered) return Fail(rendered.error());
    std::cout << *rendered << "\n";
    return kExitOk;
  }
  if (ctx.json_output()) {
    std::cout << registry::SafeDump(doc, 2) << "\n";
    return kExitOk;
  }
  PrintText(*ref, *resolved);
  return kExitOk;
}

int RunDigest(Context& ctx, const DigestArgs& args) {
  auto ref = registry::ParseReference(args.image);
  if (!ref) return Fail(ref.error());
  auto client = ctx.MakePool({.src_creds = args.creds, .src_creds_flag = "--creds"})
                    ->Get(ref->repository.registry, registry::Role::kSource);
  if (!client) return Fail(client.error());
  auto resolved = Resolve(**client, *ref, args.platform, /*with_config=*/false, ctx.stop());
  if (!resolved) return Fail(resolved.error());
  std::cout << resolved->manifest.digest << "\n";
  return kExitOk;
}

}  // namespace freightliner::cli
