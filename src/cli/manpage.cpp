#include "cli/manpage.hpp"

#include <sstream>

#include "cli/context.hpp"

namespace freightliner::cli {
namespace {

std::string Bold(std::string_view text) {
  return "\\fB" + RoffEscape(text) + "\\fR";
}
std::string Italic(std::string_view text) {
  return "\\fI" + RoffEscape(text) + "\\fR";
}

// Descriptions are written for --help ("tags copied in parallel"); the man page ends them with
// a full stop, so that the notes after them read as sentences.
std::string Sentence(std::string text) {
  if (!text.empty() && text.back() != '.') text += '.';
  return text;
}

// "freightliner: replicate ..." (the root's description) -> "replicate ...".
std::string WithoutProgramPrefix(const std::string& description) {
  const std::string prefix = std::string(kProgramName) + ": ";
  return description.starts_with(prefix) ? description.substr(prefix.size()) : description;
}

std::string PositionalUsage(const PositionalInfo& pos) {
  std::string usage = Italic(pos.name);
  if (pos.repeatable) usage += " ...";
  return pos.required ? usage : "[" + usage + "]";
}

std::string CommandUsage(const CommandInfo& cmd, const std::string& path) {
  std::string usage = Bold(std::string(kProgramName) + " " + path);
  if (!cmd.options.empty()) usage += " [\\fIoptions\\fR]";
  if (!cmd.subcommands.empty()) usage += " \\fICOMMAND\\fR";
  for (const PositionalInfo& pos : cmd.positionals)
    usage += " " + PositionalUsage(pos);
  return usage;
}

void WriteOption(std::ostream& out, const OptionInfo& opt) {
  std::string names;
  for (const std::string& name : opt.Names()) {
    if (!names.empty()) names += ", ";
    names += Bold(name);
  }
  if (!opt.is_flag()) names += " " + Italic(opt.value_name);
  out << ".TP\n" << names << "\n" << RoffEscape(Sentence(opt.description)) << "\n";
  std::vector<std::string> notes;
  if (!opt.choices.empty()) {
    std::string choices;
    for (const std::string& choice : opt.choices) {
      if (!choices.empty()) choices += ", ";
      choices += Bold(choice);
    }
    notes.push_back("One of: " + choices + ".");
  }
  if (!opt.constraint.empty()) notes.push_back(RoffEscape("Value: " + opt.constraint + "."));
  if (!opt.default_value.empty()) notes.push_back("Default: " + Bold(opt.default_value) + ".");
  if (opt.repeatable && opt.description.find("repeatable") == std::string::npos) {
    notes.push_back("Repeatable.");
  }
  for (const std::string& note : notes)
    out << note << "\n";
}

void WriteCommand(std::ostream& out, const CommandInfo& cmd, const std::string& path) {
  out << ".SS \"" << RoffEscape(path) << "\"\n"
      << CommandUsage(cmd, path) << "\n.PP\n"
      << RoffEscape(Sentence(cmd.description)) << "\n";
  for (const PositionalInfo& pos : cmd.positionals) {
    out << ".TP\n" << Italic(pos.name) << "\n" << RoffEscape(Sentence(pos.description)) << "\n";
    if (!pos.choices.empty()) {
      std::string choices;
      for (const std::string& choice : pos.choices) {
        if (!choices.empty()) choices += ", ";
        choices += Bold(choice);
      }
      out << "One of: " << choices << ".\n";
    }
  }
  for (const OptionInfo& opt : cmd.options) {
    // -h and the global options are listed once, under OPTIONS.
    if (!opt.is_help && !opt.is_global) WriteOption(out, opt);
  }
  for (const CommandInfo& sub : cmd.subcommands)
    WriteCommand(out, sub, path + " " + sub.name);
}

void WriteSynopsis(std::ostream& out, const CommandInfo& root) {
  out << ".SH SYNOPSIS\n"
      << Bold(kProgramName) << " [\\fIglobal options\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR] "
      << "[\\fIARGS\\fR]\n";
  for (const CommandInfo& cmd : root.subcommands) {
    out << ".br\n" << CommandUsage(cmd, cmd.name) << "\n";
  }
}

void WriteDescription(std::ostream& out) {
  out << ".SH DESCRIPTION\n"
      << Bold(kProgramName) << " "
      << RoffEscape(
             "copies container images between OCI/Docker registries exactly: the same bytes "
             "and the same digests, every platform of a multi-arch image, blobs streamed from "
             "source to destination with their SHA-256 verified in flight. It copies single "
             "images (replicate), whole repository trees (replicate-tree) and the mappings of "
             "a sync file (sync), and runs as a service (serve).")
      << "\n.PP\n"
      << RoffEscape(
             "Image references are parsed as Docker does: nginx is "
             "docker.io/library/nginx:latest; a first component with a . or : or equal to "
             "localhost is a registry host (127.0.0.1:5001/team/app:v1); name@sha256:... pins "
             "a digest. Results go to standard output, logs and errors to standard error.")
      << "\n";
}

struct Entry {
  std::string term;
  std::string text;
};

void WriteEntries(std::ostream& out, const char* section, const std::vector<Entry>& entries) {
  out << ".SH " << section << "\n";
  for (const Entry& entry : entries) {
    out << ".TP\n" << Bold(entry.term) << "\n" << RoffEscape(entry.text) << "\n";
  }
}

void WriteExitStatus(std::ostream& out) {
  WriteEntries(
      out, "EXIT STATUS",
      {
          {std::to_string(kExitOk), "Success, including \"up to date\" and dry runs."},
          {std::to_string(kExitFailed),
           "The operation failed (network, server error, digest mismatch, ...)."},
          {std::to_string(kExitUsage), "Bad input: invalid reference, flag or platform."},
          {std::to_string(kExitAuth), "Authentication failed or was refused."},
          {std::to_string(kExitNotFound), "Not found: repository, tag, manifest or platform."},
          {std::to_string(kExitCanceled), "Interrupted (Ctrl-C or SIGTERM)."},
      });
  out << ".PP\n"
      << RoffEscape("A failure prints one line on standard error: error: CODE: what failed: why.")
      << "\n";
}

void WriteEnvironment(std::ostream& out) {
  WriteEntries(
      out, "ENVIRONMENT",
      {
          {"FREIGHTLINER_SRC_CREDS",
           "USER:PASSWORD for the source registry, when no "
           "--src-creds is given."},
          {"FREIGHTLINER_DEST_CREDS",
           "USER:PASSWORD for the destination registry, when no "
           "--dest-creds is given."},
          {"REGISTRY_AUTH_FILE", "The auth file, when no --authfile is given."},
          {"DOCKER_CONFIG",
           "The directory of the Docker config.json read when neither --authfile nor "
           "REGISTRY_AUTH_FILE is given (default ~/.docker)."},
          {"XDG_STATE_HOME",
           "Checkpoints of fleet runs live in $XDG_STATE_HOME/freightliner (default "
           "~/.local/state/freightliner)."},
          {"FREIGHTLINER_API_KEY", "serve: an API key (instead of a keys file)."},
          {"FREIGHTLINER_API_KEYS_FILE", "serve: the file of API keys, one per line."},
          {"FREIGHTLINER_API_ADDR", "serve: HOST:PORT of the API."},
          {"FREIGHTLINER_METRICS_ADDR", "serve: HOST:PORT of /metrics."},
          {"FREIGHTLINER_STATE_DIR", "serve: where jobs and checkpoints live."},
          {"FREIGHTLINER_STATE_DSN",
           "serve: cluster mode, the jobs in this PostgreSQL database (postgres://...), "
           "shared by every replica."},
          {"FREIGHTLINER_STATE_PASSWORD_FILE", "serve: the file holding the PostgreSQL password."},
          {"FREIGHTLINER_WORKERS", "serve: tags copied in parallel by a sync."},
      });
}

void WriteFiles(std::ostream& out) {
  WriteEntries(
      out, "FILES",
      {
          {"~/.docker/config.json",
           "Docker credentials (auths, credHelpers, credsStore), when no other auth file is "
           "named."},
          {"~/.local/state/freightliner", "Checkpoints of replicate-tree and sync runs."},
          {"/usr/share/doc/freightliner/examples/sync.yaml",
           "An example sync file (freightliner sync --config)."},
          {"/usr/share/doc/freightliner/examples/server.yaml",
           "An example server config (freightliner serve --config)."},
      });
}

void WriteSeeAlso(std::ostream& out) {
  out << ".SH SEE ALSO\n"
      << ".BR skopeo (1),\n"
      << ".BR skopeo-copy (1)\n"
      << ".PP\n"
      << RoffEscape(
             "The full reference: /usr/share/doc/freightliner (README.md, CLI.md, SYNC.md, "
             "SERVER.md, METRICS.md, SECURITY.md).")
      << "\n";
}

}  // namespace

std::string RoffEscape(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

std::string ManPage(const CommandInfo& root, std::string_view version) {
  std::ostringstream out;
  out << ".\\\" Generated by `" << kProgramName << " man` from its command definitions.\n"
      << ".TH FREIGHTLINER 1 \"\" \"" << RoffEscape(std::string(kProgramName) + " ")
      << RoffEscape(version) << "\" \"User Commands\"\n"
      << ".SH NAME\n"
      << kProgramName << " \\- " << RoffEscape(WithoutProgramPrefix(root.description)) << "\n";
  WriteSynopsis(out, root);
  WriteDescription(out);
  out << ".SH OPTIONS\n" << RoffEscape("Global options:") << "\n";
  for (const OptionInfo& opt : root.options)
    WriteOption(out, opt);
  out << ".SH COMMANDS\n";
  for (const CommandInfo& cmd : root.subcommands)
    WriteCommand(out, cmd, cmd.name);
  WriteExitStatus(out);
  WriteEnvironment(out);
  WriteFiles(out);
  WriteSeeAlso(out);
  return out.str();
}

}  // namespace freightliner::cli
