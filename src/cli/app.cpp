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
#include "cli/suggest.hpp"
#include "common/format.hpp"
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

// `--log-format json` (or `=json`) anywhere before a `--`.
LogFormat RequestedLogFormat(int argc, char** argv) {
  LogFormat format = LogFormat::kText;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    std::string_view value;
    if (arg == "--log-format" && i + 1 < argc) {
      value = argv[++i];
    } else if (arg.starts_with("--log-format=")) {
      value = arg.substr(std::string_view("--log-format=").size());
    } else {
      continue;
    }
    format = value == "json" ? LogFormat::kJson : LogFormat::kText;
  }
  return format;
}

void AddCredsOption(CLI::App* cmd, std::string& target, const char* name, const char* what) {
  cmd->add_option(name, target,
                  std::string("USER:PASSWORD for the ") + what +
                      " registry; USER alone asks for the password (or see --password-stdin); "
                      "prefer the environment variable or --authfile");
}

// The global options, on the top level and on each command, so that they work after the command
// name too (`replicate --authfile a.json SRC DST`) and each command's --help lists them.
void AddGlobalOptions(CLI::App* cmd, GlobalOptions& global) {
  const std::string group = kGlobalOptionsGroup;
  cmd->add_option("--log-level", global.log_level, "trace|debug|info|warn|error|off")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--log-format", global.log_format, "text|json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--output,-o", global.output, "text|json: the format of results on stdout")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--authfile", global.authfile,
                  "Docker config file with credentials (default: $REGISTRY_AUTH_FILE, else "
                  "$DOCKER_CONFIG/config.json or ~/.docker/config.json)")
      ->group(group);
  // Appended, not assigned: given before and after the command, both lists count.
  cmd->add_option_function<std::vector<std::string>>(
         "--insecure-registry",
         [&global](const std::vector<std::string>& hosts) {
           global.insecure_registries.insert(global.insecure_registries.end(), hosts.begin(),
                                             hosts.end());
         },
         "HOST[:PORT] reachable over plain HTTP or unverified TLS (repeatable); "
         "localhost and 127.0.0.0/8 always are")
      ->allow_extra_args(false)
      ->group(group);
  cmd->add_option("--ca-file", global.ca_file, "extra CA bundle (PEM) for registry TLS")
      ->check(CLI::ExistingFile)
      ->group(group);
  cmd->add_option("--retry-times", global.retry_times,
                  "retries of a failed registry request or blob transfer (0: none)")
      ->check(CLI::Range(0, registry::kMaxRetryTimes))
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--retry-delay", global.retry_delay,
                  "fixed wait between retries, e.g. 500ms or 2s, at most 10m (default: "
                  "exponential backoff from 200ms)")
      ->check(CLI::Validator(
          [](std::string& text) {
            auto delay = registry::ParseRetryDelay(text);
            return delay ? std::string() : delay.error().message;
          },
          "DURATION"))
      ->group(group);
  cmd->add_flag("--password-stdin", global.password_stdin,
                "read the password of --creds/--src-creds/--dest-creds USER (given without "
                ":PASSWORD) from stdin")
      ->group(group);
}

// skopeo's and crane's TLS flags; `two_sides`: the command has a source and a destination.
void AddTlsOptions(CLI::App* cmd, TlsFlags& tls, bool two_sides) {
  cmd->add_flag("--tls-verify", tls.verify,
                "--tls-verify=false: plain HTTP or unverified TLS for this command's "
                "registries (as --insecure-registry for each)");
  cmd->add_flag("--insecure", tls.insecure, "the same as --tls-verify=false");
  if (!two_sides) return;
  cmd->add_flag("--src-tls-verify", tls.source_verify,
                "--src-tls-verify=false: the same for the source registry only");
  cmd->add_flag("--dest-tls-verify", tls.destination_verify,
                "--dest-tls-verify=false: the same for the destination registry only");
}

// The command called `name`, or null (CLI11 2.1 has no non-throwing lookup).
CLI::App* FindCommand(CLI::App& app, const std::string& name) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

// The first argument that is not an option nor an option's value: the command name as typed.
std::string CommandWord(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return i + 1 < argc ? argv[i + 1] : "";
    if (arg.empty() || arg[0] != '-') return arg;
    if (arg.find('=') != std::string::npos) continue;
    const CLI::Option* option = app.get_option_no_throw(arg);
    if (option != nullptr && option->get_type_size() > 0) ++i;  // skip its value
  }
  return "";
}

// "unknown command "replicat"; did you mean "replicate"?": the closest visible command name.
Error UnknownCommand(const CLI::App& app, const std::string& word) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_group().empty()) names.push_back(sub->get_name());  // hidden ones have none
  }
  std::string message = "unknown command " + QuoteUntrusted(word, 64);
  if (auto closest = ClosestName(word, names)) {
    message += "; did you mean \"" + *closest + "\"?";
  } else {
    message += " (see: freightliner help)";
  }
  return Error(ErrorCode::kInvalidArgument, message);
}

// After a parse error: whether it came from a command name that names no command.
std::optional<Error> MistypedCommand(CLI::App& app, int argc, char** argv) {
  if (!app.get_subcommands().empty()) return std::nullopt;  // a command was recognised
  const std::string word = CommandWord(app, argc, argv);
  if (word.empty() || FindCommand(app, word) != nullptr) return std::nullopt;
  return UnknownCommand(app, word);
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
int RunServe(const GlobalOptions& global, const server::ServerFlags& flags, std::stop_token stop,
             server::DrainDelay& drain) {
  auto config = server::LoadServerConfig(flags, ProcessEnvironment());
  if (!config) return Fail(config.error());
  config->insecure_registries.insert(config->insecure_registries.end(),
                                     global.insecure_registries.begin(),
                                     global.insecure_registries.end());
  if (!global.ca_file.empty()) config->ca_file = global.ca_file;
  if (!global.authfile.empty()) config->auth_file = global.authfile;
  config->retry = RetryPolicyOf(global);
  if (Status s = server::Serve(*config, stop, &drain); !s) return Fail(s.error());
  return kExitOk;
}

}  // namespace

int Main(int argc, char** argv) {
  // The command line's own errors are reported in the format it asks for, before it is parsed.
  (void)InitLogging("info", RequestedLogFormat(argc, argv));
  CLI::App app{"freightliner: replicate container images between OCI/Docker registries"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(kVersion));

  GlobalOptions global;
  AddGlobalOptions(&app, global);

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
  AddTlsOptions(rep, replicate.tls, /*two_sides=*/true);

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
  AddTlsOptions(ins, inspect.tls, /*two_sides=*/false);

  DigestArgs digest;
  auto* dig = app.add_subcommand("digest", "Print an image's manifest digest");
  dig->add_option("image", digest.image, "image reference")->required();
  dig->add_option("--platform", digest.platform,
                  "os/arch[/variant]: the digest of this platform's manifest, not the index's");
  AddCredsOption(dig, digest.creds, "--creds", "image's");
  AddTlsOptions(dig, digest.tls, /*two_sides=*/false);

  ListTagsArgs list_tags;
  auto* lst = app.add_subcommand("list-tags", "List a repository's tags (all pages)");
  lst->add_option("repository", list_tags.repository, "e.g. 127.0.0.1:5001/team/app")->required();
  AddCredsOption(lst, list_tags.creds, "--creds", "repository's");
  lst->add_option("--page-size", list_tags.page_size, "tags per request (default: the registry's)");
  AddTlsOptions(lst, list_tags.tls, /*two_sides=*/false);

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
  // Tag patterns match the whole tag, like the repository globs (docs/SYNC.md).
  tre->add_option("--include-tag", tree.include_tag_globs,
                  "glob matched against the whole tag: 'v*' keeps the tags starting with v "
                  "(repeatable: any may match)")
      ->allow_extra_args(false);
  tre->add_option("--exclude-tag", tree.exclude_tag_globs,
                  "glob of tags to skip, matched against the whole tag: '*-rc*' (repeatable)")
      ->allow_extra_args(false);
  tre->add_option("--include-tag-regex", tree.include_tag_regexes,
                  "RE2 regular expression matched against the whole tag: 'v[0-9]+\\..*' "
                  "(repeatable: any may match)")
      ->allow_extra_args(false);
  tre->add_option("--exclude-tag-regex", tree.exclude_tag_regexes,
                  "RE2 regular expression of tags to skip, matched against the whole tag: "
                  "'.*-rc.*' (repeatable)")
      ->allow_extra_args(false);
  tre->add_flag("--allow-empty", tree.allow_empty,
                "selecting no repository or no tag is a success (default: an error, exit 4)");
  tre->add_option("--platform", tree.platforms, "os/arch[/variant] to copy (repeatable)")
      ->allow_extra_args(false);
  AddCredsOption(tre, tree.src_creds, "--src-creds", "source");
  AddCredsOption(tre, tree.dest_creds, "--dest-creds", "destination");
  AddTlsOptions(tre, tree.tls, /*two_sides=*/true);
  AddFleetOptions(tre, tree.fleet);

  SyncArgs sync;
  auto* syn = app.add_subcommand("sync", "Copy what a sync file describes (docs/SYNC.md)");
  syn->add_option("--config,-c", sync.config, "the sync file (YAML)");
  syn->add_flag("--allow-empty", sync.allow_empty,
                "a mapping selecting no repository or no tag is a success (default: an error, "
                "exit 4; per mapping: allow_empty: true)");
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
  srv->add_option("--drain-delay", serve_flags.drain_delay,
                  "how long /ready answers 503 after SIGTERM before jobs are refused (default "
                  "5s; 0 disables)");
  srv->add_flag("--allow-unauthenticated", serve_flags.allow_unauthenticated,
                "serve the API without an API key on a non-loopback address (not recommended)");

  auto* ver = app.add_subcommand("version", "Print version and revision");

  std::string help_topic;
  auto* hlp = app.add_subcommand("help", "Show the help of COMMAND (without one: this overview)");
  hlp->add_option("COMMAND", help_topic, "a command, e.g. replicate");

  // Both are generated from `app` as parsed: every command and flag defined here is in them.
  std::string completion_shell;
  auto* completion =
      app.add_subcommand("completion", "Print a shell completion script (bash or zsh) on stdout");
  completion->add_option("shell", completion_shell, "bash | zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  auto* man = app.add_subcommand("man", "Print the freightliner(1) man page (roff) on stdout");
  man->group("");  // hidden: for packagers

  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub != ver && sub != hlp && sub != completion && sub != man) AddGlobalOptions(sub, global);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (auto unknown = MistypedCommand(app, argc, argv)) return Fail(*unknown);
    const auto parsed = app.get_subcommands();
    return FailUsage(e.what(), parsed.empty() ? "" : parsed.back()->get_name());
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
  if (hlp->parsed()) {
    if (help_topic.empty()) {
      // Not app.help(): that shows the selected command's, and `help` is selected.
      std::cout << app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal);
      return kExitOk;
    }
    CLI::App* topic = FindCommand(app, help_topic);
    if (topic == nullptr) return Fail(UnknownCommand(app, help_topic));
    std::cout << topic->help(app.get_name());
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
    // serve: a second signal cuts its drain delay short; a later one quits at once.
    server::DrainDelay drain;
    const bool serving = srv->parsed();
    SignalStopper signals(
        stop,
        [serving](int signal) {
          NoteInterrupted(signal);
          Say(spdlog::level::warn,
              serving ? "interrupted: stopping (press Ctrl-C again to skip the drain delay)"
                      : "interrupted: stopping (press Ctrl-C again to quit at once)",
              serving ? "interrupted: stopping (signal again to skip the drain delay)"
                      : "interrupted: stopping (signal again to quit at once)",
              {{"signal", InterruptSignalName()}});
        },
        [serving, &drain](int) { return serving && drain.CutShort(); });
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
    if (srv->parsed()) exit_code = RunServe(global, serve_flags, stop.get_token(), drain);
  }
  curl_global_cleanup();
  return exit_code;
}

}  // namespace freightliner::cli
