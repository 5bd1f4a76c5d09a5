#include "cli/app.hpp"

#include <curl/curl.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>

#include "cli/command_tree.hpp"
#include "cli/commands.hpp"
#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "cli/fleet.hpp"
#include "cli/manpage.hpp"
#include "cli/password.hpp"
#include "common/log.hpp"
#include "common/signals.hpp"
#include "common/version.hpp"
#include "server/config.hpp"
#include "server/server.hpp"

namespace freightliner::cli {
namespace {

// Overwrites credential values in our own argv so that `ps` and /proc/PID/cmdline stop showing
// them once parsing is done. (Prefer FREIGHTLINER_*_CREDS or an auth file: this leaves a window.)
void ScrubSecretArguments(int argc, char** argv) {
  const char* secret_flags[] = {"--src-creds", "--dest-creds", "--creds"};
  for (int i = 1; i < argc; ++i) {
    for (const char* flag : secret_flags) {
      const size_t len = std::strlen(flag);
      if (std::strncmp(argv[i], flag, len) != 0) continue;
      if (argv[i][len] == '=') {
        std::memset(argv[i] + len + 1, 'x', std::strlen(argv[i] + len + 1));
      } else if (argv[i][len] == '\0' && i + 1 < argc) {
        std::memset(argv[i + 1], 'x', std::strlen(argv[i + 1]));
      }
    }
  }
}

void AddCredsOption(CLI::App* cmd, std::string& target, const char* name, const char* what) {
  cmd->add_option(name, target,
                  std::string("USER:PASSWORD for the ") + what +
                      " registry; USER alone asks for the password (or see --password-stdin); "
                      "prefer the environment variable or --authfile");
}

void AddFleetOptions(CLI::App* cmd, FleetFlags& flags) {
  cmd->add_option("--workers", flags.workers, "tags copied in parallel")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--blob-concurrency", flags.blob_concurrency, "blobs of one tag in parallel")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--max-transfers", flags.max_transfers,
                  "blob transfers in flight across all tags")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--page-size", flags.page_size,
                  "entries per catalog and tag-list request (default: the registry's)")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--dry-run", flags.dry_run, "list what would be copied; copy nothing");
  cmd->add_flag("--force", flags.force, "copy tags even when the destination is up to date");
  auto* fail_fast = cmd->add_flag("--fail-fast", flags.fail_fast,
                                  "stop at the first failed tag (default: keep going)");
  cmd->add_flag("--keep-going")
      ->description("the default: a failed tag does not stop the others")
      ->excludes(fail_fast);
  cmd->add_flag("--assume-destination-unchanged", flags.assume_destination_unchanged,
                "a tag an earlier run left at the digest the source still has is up to date "
                "without asking the destination (half the requests; does not notice a "
                "destination tag changed by someone else)");
  cmd->add_option("--resume", flags.resume, "continue the checkpointed run ID");
  cmd->add_option("--state-dir", flags.state_dir,
                  "where checkpoints live (default: $XDG_STATE_HOME/freightliner or "
                  "~/.local/state/freightliner)");
}

// skopeo's names: --retry-times, --retry-delay, --password-stdin (docs/CLI.md).
void AddRetryAndPasswordOptions(CLI::App& app, GlobalOptions& global) {
  app.add_option("--retry-times", global.retry_times,
                 "retries of a failed registry request or blob transfer (0: none)")
      ->check(CLI::Range(0, registry::kMaxRetryTimes))
      ->capture_default_str();
  app.add_option("--retry-delay", global.retry_delay,
                 "fixed wait between retries, e.g. 500ms or 2s, at most 10m (default: "
                 "exponential backoff from 200ms)")
      ->check(CLI::Validator(
          [](std::string& text) {
            auto delay = registry::ParseRetryDelay(text);
            return delay ? std::string() : delay.error().message;
          },
          "DURATION"));
  app.add_flag("--password-stdin", global.password_stdin,
               "read the password of --creds/--src-creds/--dest-creds USER (given without "
               ":PASSWORD) from stdin");
}

int RunServe(const GlobalOptions& global, const server::ServerFlags& flags, std::stop_token stop) {
  auto config = server::LoadServerConfig(flags, ProcessEnvironment());
  if (!config) return Fail(config.error());
  config->insecure_registries.insert(config->insecure_registries.end(),
                                     global.insecure_registries.begin(),
                                     global.insecure_registries.end());
  if (!global.ca_file.empty()) config->ca_file = global.ca_file;
  if (!global.authfile.empty()) config->auth_file = global.authfile;
  config->retry = RetryPolicyOf(global);
  if (Status s = server::Serve(*config, stop); !s) return Fail(s.error());
  return kExitOk;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"freightliner: replicate container images between OCI/Docker registries"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(kVersion));

  GlobalOptions global;
  app.add_option("--log-level", global.log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str();
  app.add_option("--log-format", global.log_format, "text|json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--output,-o", global.output, "text|json: the format of results on stdout")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--authfile", global.authfile,
                 "Docker config file with credentials (default: $REGISTRY_AUTH_FILE, else "
                 "$DOCKER_CONFIG/config.json or ~/.docker/config.json)");
  app.add_option("--insecure-registry", global.insecure_registries,
                 "HOST[:PORT] reachable over plain HTTP or unverified TLS (repeatable); "
                 "localhost and 127.0.0.0/8 always are")
      ->allow_extra_args(false);
  app.add_option("--ca-file", global.ca_file, "extra CA bundle (PEM) for registry TLS")
      ->check(CLI::ExistingFile);
  AddRetryAndPasswordOptions(app, global);

  ReplicateArgs replicate;
  auto* rep =
      app.add_subcommand("replicate", "Copy one image (every platform) to another registry");
  rep->add_option("source", replicate.source, "source image, e.g. 127.0.0.1:5001/team/app:v1")
      ->required();
  rep->add_option("destination", replicate.destination,
                  "destination image; without a tag the source's tag (or digest) is used")
      ->required();
  rep->add_option("--platform", replicate.platform,
                  "os/arch[/variant]: copy only this platform of a multi-arch image");
  rep->add_flag("--force", replicate.force, "copy even if the destination is up to date");
  rep->add_flag("--dry-run", replicate.dry_run, "check and report what would be copied");
  AddCredsOption(rep, replicate.src_creds, "--src-creds", "source");
  AddCredsOption(rep, replicate.dest_creds, "--dest-creds", "destination");
  rep->add_option("--blob-concurrency", replicate.blob_concurrency, "blobs copied in parallel")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  rep->add_option("--chunk-size", replicate.chunk_size,
                  "upload in PATCH chunks of this many bytes (default: one PUT per blob)");

  InspectArgs inspect;
  auto* ins = app.add_subcommand(
      "inspect", "Show an image's digest, platforms, config (labels, env, entrypoint), layers");
  ins->add_option("image", inspect.image, "image reference")->required();
  ins->add_flag("--raw", inspect.raw, "print the manifest bytes exactly as served");
  ins->add_option("--platform", inspect.platform,
                  "os/arch[/variant]: inspect this platform of a multi-arch image");
  ins->add_option("--format,-f", inspect.format,
                  "print a template ({{.Digest}}, {{json .Env}}) or a path (.config.Labels)");
  AddCredsOption(ins, inspect.creds, "--creds", "image's");

  DigestArgs digest;
  auto* dig = app.add_subcommand("digest", "Print an image's manifest digest");
  dig->add_option("image", digest.image, "image reference")->required();
  dig->add_option("--platform", digest.platform,
                  "os/arch[/variant]: the digest of this platform's manifest, not the index's");
  AddCredsOption(dig, digest.creds, "--creds", "image's");

  ListTagsArgs list_tags;
  auto* lst = app.add_subcommand("list-tags", "List a repository's tags (all pages)");
  lst->add_option("repository", list_tags.repository, "e.g. 127.0.0.1:5001/team/app")->required();
  AddCredsOption(lst, list_tags.creds, "--creds", "repository's");
  lst->add_option("--page-size", list_tags.page_size, "tags per request (default: the registry's)");

  TreeArgs tree;
  auto* tre = app.add_subcommand("replicate-tree",
                                 "Copy every repository under a prefix, every selected tag");
  tre->add_option("source", tree.source, "source prefix, e.g. 127.0.0.1:5001/team");
  tre->add_option("destination", tree.destination,
                  "destination prefix, e.g. 127.0.0.1:5002/mirror");
  // Repeatable options take one value each, so that positionals after them stay positionals.
  tre->add_option("--include-repo", tree.include_repos,
                  "glob on the path below the prefix (repeatable; default: all)")
      ->allow_extra_args(false);
  tre->add_option("--exclude-repo", tree.exclude_repos, "glob of repositories to skip (repeatable)")
      ->allow_extra_args(false);
  tre->add_option("--include-tag", tree.include_tags,
                  "regular expression a tag must match (repeatable: any)")
      ->allow_extra_args(false);
  tre->add_option("--exclude-tag", tree.exclude_tags,
                  "regular expression of tags to skip (write --exclude-tag=-rc for a leading -)")
      ->allow_extra_args(false);
  tre->add_option("--platform", tree.platforms, "os/arch[/variant] to copy (repeatable)")
      ->allow_extra_args(false);
  AddCredsOption(tre, tree.src_creds, "--src-creds", "source");
  AddCredsOption(tre, tree.dest_creds, "--dest-creds", "destination");
  AddFleetOptions(tre, tree.fleet);

  SyncArgs sync;
  auto* syn = app.add_subcommand("sync", "Copy what a sync file describes (docs/SYNC.md)");
  syn->add_option("--config,-c", sync.config, "the sync file (YAML)");
  AddFleetOptions(syn, sync.fleet);

  CheckpointArgs checkpoint;
  auto* chk = app.add_subcommand("checkpoint", "List, show or delete checkpointed fleet runs");
  chk->add_option("action", checkpoint.action, "list | show | delete")
      ->required()
      ->check(CLI::IsMember({"list", "show", "delete"}));
  chk->add_option("id", checkpoint.id, "the run ID (show, delete)");
  chk->add_option("--state-dir", checkpoint.state_dir, "where checkpoints live");

  server::ServerFlags serve_flags;
  auto* srv = app.add_subcommand(
      "serve", "Run the HTTP API, scheduled syncs and the Prometheus metrics endpoint");
  srv->add_option("--config", serve_flags.config, "server config file (docs/SERVER.md)");
  srv->add_option("--api-addr", serve_flags.api_addr,
                  "HOST:PORT of the API (default 0.0.0.0:8080)");
  srv->add_option("--metrics-addr", serve_flags.metrics_addr,
                  "HOST:PORT of /metrics (default 0.0.0.0:2112)");
  srv->add_option("--state-dir", serve_flags.state_dir, "where jobs and checkpoints live");
  srv->add_flag("--allow-unauthenticated", serve_flags.allow_unauthenticated,
                "serve the API without an API key on a non-loopback address (not recommended)");

  auto* ver = app.add_subcommand("version", "Print version and revision");

  // Both are generated from `app` as parsed: every command and flag defined here is in them.
  std::string completion_shell;
  auto* completion =
      app.add_subcommand("completion", "Print a shell completion script (bash or zsh) on stdout");
  completion->add_option("shell", completion_shell, "bash | zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  auto* man = app.add_subcommand("man", "Print the freightliner(1) man page (roff) on stdout");
  man->group("");  // hidden: for packagers

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n(run with --help for usage)\n";
    return kExitUsage;
  }
  ScrubSecretArguments(argc, argv);
  if (Status s = CompletePasswords({{"--src-creds", &replicate.src_creds},
                                    {"--dest-creds", &replicate.dest_creds},
                                    {"--creds", &inspect.creds},
                                    {"--creds", &list_tags.creds},
                                    {"--src-creds", &tree.src_creds},
                                    {"--dest-creds", &tree.dest_creds}},
                                   global.password_stdin, ProcessPasswordInput());
      !s) {
    return Fail(s.error());
  }

  if (ver->parsed()) {
    std::cout << "freightliner " << kVersion << " (revision " << kRevision << ")\n";
    return kExitOk;
  }
  if (completion->parsed()) {
    const CommandInfo commands = DescribeCommands(app);
    std::cout << (completion_shell == "bash" ? BashCompletion(commands) : ZshCompletion(commands));
    return kExitOk;
  }
  if (man->parsed()) {
    std::cout << ManPage(DescribeCommands(app), kVersion);
    return kExitOk;
  }
  if (Status s = InitLogging(global.log_level,
                             global.log_format == "json" ? LogFormat::kJson : LogFormat::kText);
      !s) {
    return Fail(s.error());
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::stop_source stop;
  int exit_code = kExitOk;
  {
    SignalStopper signals(stop, [](int) {
      std::cerr << "interrupted: stopping (press Ctrl-C again to quit at once)\n";
    });
    Context ctx(global, stop.get_token());
    if (rep->parsed()) exit_code = RunReplicate(ctx, replicate);
    if (ins->parsed()) exit_code = RunInspect(ctx, inspect);
    if (dig->parsed()) exit_code = RunDigest(ctx, digest);
    if (lst->parsed()) exit_code = RunListTags(ctx, list_tags);
    if (tre->parsed()) exit_code = RunReplicateTree(ctx, tree);
    if (syn->parsed()) {
      sync.workers_set = syn->get_option("--workers")->count() > 0;
      exit_code = RunSync(ctx, sync);
    }
    if (chk->parsed()) exit_code = RunCheckpoint(ctx, checkpoint);
    if (srv->parsed()) exit_code = RunServe(global, serve_flags, stop.get_token());
  }
  curl_global_cleanup();
  return exit_code;
}

}  // namespace freightliner::cli
