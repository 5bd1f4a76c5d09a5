#include "cli/commands.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/format.hpp"

namespace freightliner::cli {
namespace {

using nlohmann::json;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A reference from the command line: "docker://" dropped, other transports refused.
Result<registry::Reference> ReferenceArgument(const std::string& text) {
  auto name = registry::StripTransport(text);
  if (!name) return tl::unexpected(name.error());
  return registry::ParseReference(*name);
}

}  // namespace

int RunReplicate(Context& ctx, const ReplicateArgs& args) {
  auto src = ReferenceArgument(args.source);
  if (!src) return Fail(src.error());
  auto dst_text = registry::StripTransport(args.destination);
  if (!dst_text) return Fail(dst_text.error());
  auto parsed_dst = registry::ParseCopyDestination(*src, *dst_text);
  if (!parsed_dst) return Fail(parsed_dst.error());
  const registry::Reference dst = *parsed_dst;

  replication::CopyOptions options;
  options.force = args.force;
  options.dry_run = args.dry_run;
  options.blob_concurrency = args.blob_concurrency;
  options.chunk_size = args.chunk_size;
  if (!args.platform.empty()) {
    auto platform = registry::ParsePlatform(args.platform);
    if (!platform) return Fail(platform.error());
    options.platforms = {*platform};
  }

  registry::ClientPoolOptions pool_options{.src_creds = args.src_creds,
                                           .dest_creds = args.dest_creds};
  if (args.tls.SourceInsecure()) pool_options.insecure_hosts.insert(src->repository.registry);
  if (args.tls.DestinationInsecure()) pool_options.insecure_hosts.insert(dst.repository.registry);
  auto pool = ctx.MakePool(std::move(pool_options));
  auto source_client = pool->Get(src->repository.registry, registry::Role::kSource);
  if (!source_client) return Fail(source_client.error());
  auto dest_client = pool->Get(dst.repository.registry, registry::Role::kDestination);
  if (!dest_client) return Fail(dest_client.error());

  const auto start = std::chrono::steady_clock::now();
  replication::Copier copier(**source_client, **dest_client, options);
  auto report = copier.Copy(*src, dst, ctx.stop());
  const double seconds = SecondsSince(start);
  if (!report) {
    return Fail(report.error().WithContext("replicate " + src->String() + " to " + dst.String()));
  }

  if (ctx.json_output()) {
    json out = {{"source", src->String()},
                {"destination", dst.String()},
                {"digest", report->digest},
                {"media_type", report->media_type},
                {"up_to_date", report->up_to_date},
                {"dry_run", args.dry_run},
                {"bytes_transferred", report->bytes_transferred},
                {"layers_transferred", report->layers_transferred},
                {"blobs_uploaded", report->blobs_uploaded},
                {"blobs_mounted", report->blobs_mounted},
                {"blobs_existing", report->blobs_existing},
                {"manifests_pushed", report->manifests_pushed},
                {"duration_seconds", seconds},
                {"plan", report->plan}};
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  for (const std::string& line : report->plan)
    std::cout << line << "\n";
  if (report->up_to_date) {
    std::cout << "up to date: " << dst.String() << " is " << report->digest << "\n";
  } else if (args.dry_run) {
    std::cout << "dry run: " << src->String() << " -> " << dst.String() << " (" << report->digest
              << "), nothing was copied\n";
  } else {
    char took[32];
    std::snprintf(took, sizeof(took), "%.2f s", seconds);
    std::cout << "copied " << src->String() << " -> " << dst.String() << " " << report->digest
              << ": " << report->blobs_uploaded << " blobs uploaded ("
              << HumanBytes(report->bytes_transferred) << "), " << report->blobs_mounted
              << " mounted, " << report->blobs_existing << " already present, "
              << report->manifests_pushed << " manifests pushed in " << took << "\n";
  }
  return kExitOk;
}

int RunInspect(Context& ctx, const InspectArgs& args) {
  auto ref = ReferenceArgument(args.image);
  if (!ref) return Fail(ref.error());
  registry::ClientPoolOptions pool_options{.src_creds = args.creds};
  if (args.tls.SourceInsecure()) pool_options.insecure_hosts.insert(ref->repository.registry);
  auto client =
      ctx.MakePool(std::move(pool_options))->Get(ref->repository.registry, registry::Role::kSource);
  if (!client) return Fail(client.error());
  auto manifest = (*client)->GetManifest(ref->repository.path, ref->Identifier(), ctx.stop());
  if (!manifest) return Fail(manifest.error());
  if (args.raw) {
    std::cout << manifest->bytes;
    return kExitOk;
  }
  if (ctx.json_output()) {
    json out = {{"reference", ref->String()},
                {"digest", manifest->digest},
                {"media_type", manifest->media_type}};
    if (manifest->is_index) {
      json children = json::array();
      for (const auto& c : manifest->children) {
        children.push_back({{"digest", c.digest},
                            {"media_type", c.media_type},
                            {"size", c.size},
                            {"platform", c.platform ? c.platform->String() : ""}});
      }
      out["manifests"] = children;
    } else {
      out["config"] = {{"digest", manifest->config->digest}, {"size", manifest->config->size}};
      json layers = json::array();
      for (const auto& l : manifest->layers) {
        layers.push_back({{"digest", l.digest}, {"media_type", l.media_type}, {"size", l.size}});
      }
      out["layers"] = layers;
    }
    std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  std::cout << "Name:       " << ref->String() << "\n"
            << "Digest:     " << manifest->digest << "\n"
            << "MediaType:  " << manifest->media_type << "\n";
  if (manifest->is_index) {
    std::cout << "Platforms:\n";
    for (const auto& c : manifest->children) {
      std::cout << "  " << (c.platform ? c.platform->String() : std::string("(none)")) << "  "
                << c.digest << "\n";
    }
  } else {
    int64_t total = 0;
    std::cout << "Config:     " << manifest->config->digest << "\n"
              << "Layers:\n";
    for (const auto& l : manifest->layers) {
      total += l.size;
      std::cout << "  " << l.digest << "  " << HumanBytes(static_cast<uint64_t>(l.size))
                << (l.foreign ? "  (foreign)" : "") << "\n";
    }
    std::cout << "Total size: " << HumanBytes(static_cast<uint64_t>(total)) << "\n";
  }
  return kExitOk;
}

int RunListTags(Context& ctx, const ListTagsArgs& args) {
  auto name = registry::StripTransport(args.repository);
  if (!name) return Fail(name.error());
  auto repo = registry::ParseRepository(*name);
  if (!repo) return Fail(repo.error());
  registry::ClientPoolOptions pool_options{.src_creds = args.creds};
  if (args.tls.SourceInsecure()) pool_options.insecure_hosts.insert(repo->registry);
  auto client = ctx.MakePool(std::move(pool_options))->Get(repo->registry, registry::Role::kSource);
  if (!client) return Fail(client.error());
  auto tags = (*client)->ListTags(repo->path, ctx.stop(), args.page_size);
  if (!tags) return Fail(tags.error());
  // A tag outside the grammar is not printed (it could forge lines, or break the JSON): it is
  // named escaped on stderr, and the listing ends partial.
  const size_t listed = tags->size();
  std::erase_if(*tags, [](const std::string& tag) {
    if (registry::IsValidTag(tag)) return false;
    spdlog::warn("skipping tag {}: outside the distribution grammar", QuoteUntrusted(tag));
    return true;
  });
  const int exit_code = tags->size() == listed ? kExitOk : kExitFailed;
  if (ctx.json_output()) {
    std::cout << json{{"repository", repo->String()}, {"tags", *tags}}.dump(
                     -1, ' ', false, json::error_handler_t::replace)
              << "\n";
    return exit_code;
  }
  for (const std::string& tag : *tags)
    std::cout << tag << "\n";
  return exit_code;
}

}  // namespace freightliner::cli
