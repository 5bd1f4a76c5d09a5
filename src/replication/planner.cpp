#include "replication/planner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "common/format.hpp"
#include "common/parallel.hpp"

namespace freightliner::replication {
namespace {

struct RepoJob {
  size_t mapping_index;
  std::string source_repo;
  std::string destination_repo;
};

// A placeholder for a name that is not copied: it carries the names as they may be shown (the
// registry's text escaped) and the reason, so that the run counts and reports it.
CopyTask Rejected(const SyncMapping& m, std::string source_path, std::string destination_path,
                  std::string tag, const std::string& why) {
  CopyTask t;
  t.seq = kNotInPlan;
  t.source = {{m.source.registry, std::move(source_path)}, tag, ""};
  t.destination = {{m.destination.registry, std::move(destination_path)}, std::move(tag), ""};
  t.platforms = m.platforms;
  t.rejected = Error(ErrorCode::kInvalidName, why);
  spdlog::warn("skipping {}: {}", t.source.String(), why);
  return t;
}

constexpr size_t kNamesShown = 5;
constexpr const char* kAllowEmptyHint =
    " (--allow-empty, or allow_empty: true in a sync file, accepts an empty selection)";

// "a, b, c and 4 more" (of `total`): valid names only, so nothing a registry sent is echoed
// unchecked.
std::string Sample(const std::vector<std::string>& names, size_t total) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kNamesShown; ++i)
    out += (i == 0 ? "" : ", ") + names[i];
  if (total > kNamesShown) out += " and " + std::to_string(total - kNamesShown) + " more";
  return out;
}

std::string PrefixName(const registry::Repository& prefix) {
  return prefix.path.empty() ? prefix.registry : prefix.String();
}

// A recursive mapping that selected no repository: usually a typo in the prefix or a filter.
// Says what the registry has, under the prefix or (when nothing is) at all.
Error NoRepositorySelected(const SyncMapping& m, const std::vector<std::string>& catalog) {
  std::vector<std::string> all;
  std::vector<std::string> under;
  for (const std::string& repo : catalog) {
    if (!registry::IsValidRepositoryPath(repo)) continue;
    all.push_back(repo);
    if (RelativeTo(m.source.path, repo)) under.push_back(repo);
  }
  std::string message = PrefixName(m.source) + ": no repository selected";
  if (!under.empty()) {
    message += ": " + std::to_string(under.size()) + " under the prefix, none matching " +
               m.repos.Describe() + ": " + Sample(under, under.size());
  } else if (all.empty()) {
    message += ": the registry lists no repositories";
  } else {
    message += ": the registry lists " + std::to_string(all.size()) + ", none under " +
               m.source.path + ": " + Sample(all, all.size());
  }
  return Error(ErrorCode::kNotFound, message + kAllowEmptyHint);
}

// What a mapping's tag listings gave, for the message when none was selected.
struct TagCounts {
  int64_t selected = 0;
  int64_t listed = 0;
  int64_t repositories = 0;
  bool rejected = false;  // a name was skipped: the run fails on it anyway
  std::vector<std::string> sample;
};

Error NoTagSelected(const SyncMapping& m, const TagCounts& counts) {
  std::string message = PrefixName(m.source) + ": no tag selected: ";
  if (counts.listed == 0) {
    message += "the source lists no tags";
  } else {
    message += std::to_string(counts.listed) + " listed" +
               (m.recursive ? " in " + std::to_string(counts.repositories) +
                                  (counts.repositories == 1 ? " repository" : " repositories")
                            : "") +
               ", none kept by " + m.tags.Describe() + ": " +
               Sample(counts.sample, static_cast<size_t>(counts.listed));
  }
  return Error(ErrorCode::kNotFound, message + kAllowEmptyHint);
}

}  // namespace

bool IsInsidePrefix(const std::string& prefix, const std::string& destination) {
  if (!registry::IsValidRepositoryPath(destination)) return false;
  if (prefix.empty() || destination == prefix) return true;
  return destination.size() > prefix.size() && destination.starts_with(prefix) &&
         destination[prefix.size()] == '/';
}

Status PlanMappings(registry::ClientPool& clients, const std::vector<SyncMapping>& mappings,
                    const PlanOptions& options, std::stop_token stop,
                    const RepositoryPlanned& on_repository, const NameRejected& on_rejected) {
  std::mutex mu;  // held while calling on_repository and on_rejected
  const auto reject = [&](CopyTask placeholder) {
    std::lock_guard lock(mu);
    if (on_rejected) on_rejected(std::move(placeholder));
  };
  std::vector<TagFilter> filters;
  std::vector<RepoJob> jobs;
  std::vector<TagCounts> counts(mappings.size());  // guarded by mu once listing runs in parallel
  for (size_t i = 0; i < mappings.size(); ++i) {
    const SyncMapping& m = mappings[i];
    auto filter = TagFilter::Create(m.tags);
    if (!filter) return tl::unexpected(filter.error());
    filters.push_back(std::move(*filter));
    if (!m.recursive) {
      jobs.push_back({i, m.source.path, m.destination.path});
      continue;
    }
    auto src = clients.Get(m.source.registry, registry::Role::kSource);
    if (!src) return tl::unexpected(src.error());
    auto catalog = (*src)->Catalog(stop, options.page_size);
    if (!catalog) {
      return tl::unexpected(
          catalog.error().WithContext("list repositories of " + m.source.registry));
    }
    size_t matched = 0;
    size_t rejected = 0;
    for (const std::string& repo : *catalog) {
      auto relative = RelativeTo(m.source.path, repo);
      if (!relative || !m.repos.Matches(*relative)) continue;
      if (!registry::IsValidRepositoryPath(repo)) {
        ++rejected;
        reject(Rejected(m, QuoteUntrusted(repo),
                        JoinPath(m.destination.path, QuoteUntrusted(*relative)), "",
                        "the source lists a repository name outside the distribution grammar"));
        continue;
      }
      std::string destination = JoinPath(m.destination.path, *relative);
      if (!IsInsidePrefix(m.destination.path, destination)) {
        ++rejected;
        reject(Rejected(m, repo, QuoteUntrusted(destination), "",
                        "destination " + QuoteUntrusted(destination) +
                            " is not a valid name under " + QuoteUntrusted(m.destination.path)));
        continue;
      }
      jobs.push_back({i, repo, std::move(destination)});
      ++matched;
    }
    spdlog::info("{}: {} of {} repositories selected", m.source.String(), matched, catalog->size());
    if (matched == 0 && rejected == 0 && !m.allow_empty) {
      return tl::unexpected(NoRepositorySelected(m, *catalog));
    }
  }

  int64_t next_seq = 0;
  Status listed = ParallelFor<RepoJob>(
      jobs, options.parallelism, stop, [&](const RepoJob& job, std::stop_token token) -> Status {
        const SyncMapping& m = mappings[job.mapping_index];
        const TagFilter& filter = filters[job.mapping_index];
        std::vector<std::string> source_tags;
        if (filter.NeedsSourceTags()) {
          auto src = clients.Get(m.source.registry, registry::Role::kSource);
          if (!src) return tl::unexpected(src.error());
          auto tags = (*src)->ListTags(job.source_repo, token, options.page_size);
          if (!tags) return tl::unexpected(tags.error());
          source_tags = std::move(*tags);
        }
        const size_t listed_here = source_tags.size();
        std::erase_if(source_tags, [&](const std::string& tag) {
          if (registry::IsValidTag(tag)) return false;
          reject(Rejected(m, job.source_repo, job.destination_repo, QuoteUntrusted(tag),
                          "the source lists a tag outside the distribution grammar"));
          return true;
        });
        std::vector<std::string> selected = filter.Select(source_tags);
        std::sort(selected.begin(), selected.end());
        // The first tags in order, for the message if nothing is selected.
        std::vector<std::string> first(std::min(kNamesShown, source_tags.size()));
        std::partial_sort_copy(source_tags.begin(), source_tags.end(), first.begin(), first.end());
        {
          std::lock_guard lock(mu);
          TagCounts& c = counts[job.mapping_index];
          c.selected += static_cast<int64_t>(selected.size());
          c.listed += static_cast<int64_t>(listed_here);
          c.repositories += 1;
          c.rejected = c.rejected || source_tags.size() < listed_here;
          c.sample.insert(c.sample.end(), first.begin(), first.end());
          std::sort(c.sample.begin(), c.sample.end());
          c.sample.resize(std::min(kNamesShown, c.sample.size()));
        }
        if (selected.empty()) return Ok();
        auto dst = clients.Get(m.destination.registry, registry::Role::kDestination);
        if (!dst) return tl::unexpected(dst.error());
        std::set<std::string> present;
        auto dst_tags = (*dst)->ListTags(job.destination_repo, token, options.page_size);
        const bool new_repository = !dst_tags && dst_tags.error().code == ErrorCode::kNotFound;
        if (dst_tags) {
          present.insert(dst_tags->begin(), dst_tags->end());
        } else if (!new_repository) {
          return tl::unexpected(dst_tags.error());  // a new repository is fine; others are not
        }
        std::vector<CopyTask> tasks;
        for (const std::string& tag : selected) {
          CopyTask t;
          t.source = {{m.source.registry, job.source_repo}, tag, ""};
          t.destination = {{m.destination.registry, job.destination_repo}, tag, ""};
          t.platforms = m.platforms;
          t.destination_has_tag = present.count(tag) > 0;
          t.destination_repository_is_new = new_repository;
          tasks.push_back(std::move(t));
        }
        std::lock_guard lock(mu);
        for (CopyTask& t : tasks)
          t.seq = next_seq++;
        return on_repository(std::move(tasks));
      });
  if (!listed) return listed;
  // Checked once every repository is listed: a tree's selection is the sum of its repositories'.
  for (size_t i = 0; i < mappings.size(); ++i) {
    const SyncMapping& m = mappings[i];
    const TagCounts& c = counts[i];
    const bool listed_repositories = c.repositories > 0 || !m.recursive;
    if (c.selected == 0 && !c.rejected && listed_repositories && !m.allow_empty) {
      return tl::unexpected(NoTagSelected(m, c));
    }
  }
  return Ok();
}

}  // namespace freightliner::replication
