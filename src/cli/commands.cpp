#include "cli/commands.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/progress.hpp"
#include "common/format.hpp"

namespace freightliner::cli {
namespace {

using nlohmann::json;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Each blob of the copy and its action (upload, mount, exists, skip), as done or as it would be.
json BlobsJson(const replication::CopyReport& report) {
  json blobs = json::array();
  for (const replication::BlobRecord& b : report.blobs) {
    blobs.push_back({{"digest", b.digest},
                     {"size", b.size},
                     {"action", replication::BlobActionName(b.outcome)}});
  }
  return blobs;
}

}  // namespace

int RunReplicate(Context& ctx, const ReplicateArgs& args) {
  auto src = registry::ParseReference(args.source);
  if (!src) return Fail(src.error());
  auto parsed_dst = registry::ParseCopyDestination(*src, args.destination);
  if (!parsed_dst) return Fail(parsed_dst.error());
  const registry::Reference dst = *parsed_dst;

  replication::CopyOptions options;
  options.force = args.force;
  options.dry_run = args.dry_run;
  options.blob_concurrency = args.blob_concurrency;
  options.chunk_size = args.chunk_size;
  options.retry = ctx.retry_policy();
  if (!args.platform.empty()) {
    auto platform = registry::ParsePlatform(args.platform);
    if (!platform) return Fail(platform.error());
    options.platforms = {*platform};
  }

  auto pool = ctx.MakePool({.src_creds = args.src_creds, .dest_creds = args.dest_creds});
  auto source_client = pool->Get(src->repository.registry, registry::Role::kSource);
  if (!source_client) return Fail(source_client.error());
  auto dest_client = pool->Get(dst.repository.registry, registry::Role::kDestination);
  if (!dest_client) return Fail(dest_client.error());

  const auto start = std::chrono::steady_clock::now();
  std::optional<CopyProgress> progress;
  if (!args.dry_run) progress.emplace(isatty(STDERR_FILENO) == 1);
  replication::Copier copier(**source_client, **dest_client, options,
                             progress ? progress->Observer() : replication::CopyObserver{});
  auto report = copier.Copy(*src, dst, ctx.stop());
  if (progress) progress->Finish();  // its last line goes out before the result
  const double seconds = SecondsSince(start);
  if (!report) {
    return Fail(report.error().WithContext("replicate " + src->String() + " to " + dst.String()));
  }

  if (ctx.json_output()) {
    json out = {{"source", src->String()},
                {"destination", dst.String()},
                {"digest", report->digest},
                {"media_type", report->media_type},
                {"action", report->up_to_date ? "up to date" : "copy"},
                {"up_to_date", report->up_to_date},
                {"dry_run", args.dry_run},
                {"bytes_transferred", report->bytes_transferred},
                {"layers_transferred", report->layers_transferred},
                {"blobs_uploaded", report->blobs_uploaded},
                {"blobs_mounted", report->blobs_mounted},
                {"blobs_existing", report->blobs_existing},
                {"manifests_pushed", report->manifests_pushed},
                {"duration_seconds", seconds},
                {"blobs", BlobsJson(*report)},
                {"plan", report->plan}};
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  for (const std::string& line : report->plan)
    std::cout << line << "\n";
  if (report->up_to_date) {
    std::cout << "up to date: " << dst.String() << " is " << report->digest << "\n";
    return kExitOk;
  }
  char took[32];
  std::snprintf(took, sizeof(took), "%.2f s", seconds);
  std::cout << (args.dry_run ? "would copy " : "copied ") << src->String() << " -> " << dst.String()
            << " " << report->digest << ": " << report->blobs_uploaded << " blobs "
            << (args.dry_run ? "to upload" : "uploaded") << " ("
            << HumanBytes(report->bytes_transferred) << "), " << report->blobs_mounted
            << (args.dry_run ? " to mount, " : " mounted, ") << report->blobs_existing
            << " already present, " << report->manifests_pushed
            << (args.dry_run ? " manifests to push" : " manifests pushed in " + std::string(took))
            << "\n";
  return kExitOk;
}

int RunListTags(Context& ctx, const ListTagsArgs& args) {
  auto repo = registry::ParseRepository(args.repository);
  if (!repo) return Fail(repo.error());
  auto client = ctx.MakePool({.src_creds = args.creds, .src_creds_flag = "--creds"})
                    ->Get(repo->registry, registry::Role::kSource);
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
