#include "state/postgres.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <system_error>

namespace freightliner::state::pg {
namespace {

constexpr std::string_view kSqlStateMarker = "(SQLSTATE ";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// libpq's messages end in a newline and go on over tab-indented lines (a hint, the rest of a
// sentence, one failure per address tried): one line reads better in a log.
std::string OneLine(std::string_view message) {
  std::string out;
  size_t i = 0;
  while (i < message.size()) {
    if (message[i] != '\n') {
      out += message[i++];
      continue;
    }
    while (i < message.size() && IsSpace(message[i]))
      ++i;
    if (i < message.size()) {
      out += std::islower(static_cast<unsigned char>(message[i])) ? " " : "; ";
    }
  }
  while (!out.empty() && IsSpace(out.back()))
    out.pop_back();
  return out;
}

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// A connection-level failure as an Error. libpq does not quote the password in these messages,
// but the password (from the string, PGPASSWORD or a password file) is taken out all the same.
Error ConnectionError(PGconn* conn) {
  std::string message = OneLine(PQerrorMessage(conn));
  if (const char* password = PQpass(conn); password != nullptr) {
    ReplaceAll(message, password, "***");
  }
  return Error(ErrorCode::kNetwork, "postgres: " + message);
}

// A failed statement as an Error. `result` may be null (libpq could not allocate one).
Error StatementError(PGconn* conn, const PGresult* result) {
  const char* sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  // Errors libpq makes itself (a lost connection) have no fields, only the whole message.
  const char* text = primary;
  if (text == nullptr)
    text = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn);
  std::string message = OneLine(text);
  if (message.empty()) message = "unknown error";
  const std::string_view state = sqlstate != nullptr ? sqlstate : "";
  ErrorCode code = ErrorCode::kInternal;
  if (PQstatus(conn) == CONNECTION_BAD || state.starts_with("08")) {
    code = ErrorCode::kNetwork;  // class 08: connection exception
  } else if (state == kUniqueViolation) {
    code = ErrorCode::kClientError;
  }
  message = "postgres: " + message;
  if (!state.empty()) message += " " + std::string(kSqlStateMarker) + std::string(state) + ")";
  return Error(code, std::move(message));
}

// Drops NOTICEs ("relation ... already exists, skipping"), which libpq prints to stderr.
void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

struct ConnInfoFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// What libpq's complaint about a connection string says before it quotes the string: up to the
// first '"' that is not part of the message itself ("missing \"=\" after \"pass word\" in ...").
std::string ParseFailure(std::string_view message) {
  static constexpr std::string_view kQuotingPhrases[] = {
      R"(missing "=" after)",
      R"(end of string reached when looking for matching "]" in IPv6 host address in URI)",
      R"(extra key/value separator "=" in URI query parameter)",
      R"(missing key/value separator "=" in URI query parameter)",
  };
  for (std::string_view phrase : kQuotingPhrases) {
    if (message.starts_with(phrase)) return std::string(phrase);
  }
  std::string reason = OneLine(message.substr(0, message.find('"')));
  while (!reason.empty() && (IsSpace(reason.back()) || reason.back() == ':'))
    reason.pop_back();
  return reason;
}

// The key/value form: keyword = value, separated by whitespace; a value is single-quoted (with
// backslash escapes) or runs to the next whitespace.
std::string RedactKeyValue(std::string_view dsn) {
  std::string out;
  size_t i = 0;
  const size_t n = dsn.size();
  while (i < n) {
    if (IsSpace(dsn[i])) {
      out += dsn[i++];
      continue;
    }
    const size_t keyword_start = i;
    while (i < n && !IsSpace(dsn[i]) && dsn[i] != '=')
      ++i;
    const std::string_view keyword = dsn.substr(keyword_start, i - keyword_start);
    out += keyword;
    while (i < n && IsSpace(dsn[i]))
      out += dsn[i++];
    if (i == n || dsn[i] != '=') {
      // libpq refuses this; what follows could be a value without its '='.
      if (i < n) out += "***";
      return out;
    }
    out += dsn[i++];
    while (i < n && IsSpace(dsn[i]))
      out += dsn[i++];
    const size_t value_start = i;
    if (i < n && dsn[i] == '\'') {
      for (++i; i < n; ++i) {
        if (dsn[i] == '\\') {
          ++i;
        } else if (dsn[i] == '\'') {
          ++i;
          break;
        }
      }
    } else {
      for (; i < n && !IsSpace(dsn[i]); ++i) {
        if (dsn[i] == '\\') ++i;
      }
    }
    i = std::min(i, n);
    out += EqualsIgnoreCase(keyword, "password") ? std::string_view("***")
                                                 : dsn.substr(value_start, i - value_start);
  }
  return out;
}

// The URI form: scheme://[user[:password]@]host.../db[?key=value&...]. libpq ends the user
// information at the first '@' before any '/'; a password that breaks the URI rules (a bare '@'
// or '/' in it) must not leak either, so the redaction runs to the last '@' before the query.
std::string RedactUri(std::string_view dsn) {
  const size_t authority = dsn.find("://") + 3;
  std::string out(dsn.substr(0, authority));
  size_t i = authority;
  size_t at = dsn.find_first_of("@/", authority);
  if (at != std::string_view::npos && dsn[at] != '@') {
    at = dsn.find('@', authority);
    if (at > dsn.find('?', authority)) at = std::string_view::npos;
  }
  if (at != std::string_view::npos) {
    at = dsn.substr(0, dsn.find('?', at)).rfind('@');
    const size_t colon = dsn.find(':', authority);
    if (colon < at) {
      out += dsn.substr(authority, colon + 1 - authority);
      out += "***";
      i = at;
    }
  }
  // Parameters are found after any '?' or '&' (one may be inside the span redacted above); a
  // password's value runs to the next '&', as in libpq, which reads a '?' in it as text.
  bool parameter = false;  // the segment follows a '?' or '&'
  while (i < dsn.size()) {
    size_t end = std::min(dsn.find_first_of("?&", i), dsn.size());
    const std::string_view segment = dsn.substr(i, end - i);
    const size_t equals = segment.find('=');
    if (parameter && equals != std::string_view::npos &&
        EqualsIgnoreCase(segment.substr(0, equals), "password")) {
      out += segment.substr(0, equals + 1);
      out += "***";
      end = std::min(dsn.find('&', i), dsn.size());
    } else {
      out += segment;
    }
    if (end < dsn.size()) out += dsn[end];
    parameter = true;
    i = end + 1;
  }
  return out;
}

}  // namespace

Param P(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return std::to_string(value);
  return std::string(buffer, end);
}

std::optional<std::string> SqlState(const Error& error) {
  const size_t at = error.message.rfind(kSqlStateMarker);
  if (at == std::string::npos) return std::nullopt;
  const size_t start = at + kSqlStateMarker.size();
  const size_t end = error.message.find(')', start);
  if (end == std::string::npos || end - start != 5) return std::nullopt;
  return error.message.substr(start, 5);
}

std::string RedactDsn(std::string_view dsn) {
  if (StartsWithIgnoreCase(dsn, "postgresql://") || StartsWithIgnoreCase(dsn, "postgres://")) {
    return RedactUri(dsn);
  }
  return RedactKeyValue(dsn);
}

void Rows::Clear::operator()(pg_result* result) const {
  PQclear(result);
}

Rows::Rows(pg_result* result) : result_(result) {}

int Rows::size() const {
  return result_ ? PQntuples(result_.get()) : 0;
}

std::string Rows::Text(int row, int col) const {
  if (!result_ || row < 0 || row >= PQntuples(result_.get()) || col < 0 ||
      col >= PQnfields(result_.get())) {
    return {};
  }
  return std::string(PQgetvalue(result_.get(), row, col),
                     static_cast<size_t>(PQgetlength(result_.get(), row, col)));
}

int64_t Rows::Int(int row, int col) const {
  const std::string text = Text(row, col);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return 0;
  return value;
}

bool Rows::IsNull(int row, int col) const {
  if (!result_ || row < 0 || row >= PQntuples(result_.get()) || col < 0 ||
      col >= PQnfields(result_.get())) {
    return true;
  }
  return PQgetisnull(result_.get(), row, col) == 1;
}

int64_t Rows::affected() const {
  if (!result_) return 0;
  const std::string_view text = PQcmdTuples(result_.get());  // "" when the command counts none
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return 0;
  return value;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& dsn,
                                                     const std::string& password) {
  // Parsed first: libpq's complaint about a string it cannot parse quotes the string, password
  // and all, so only its words before the quote are kept.
  char* parse_error = nullptr;
  std::unique_ptr<PQconninfoOption, ConnInfoFree> options(
      PQconninfoParse(dsn.c_str(), &parse_error));
  if (!options) {
    const std::string reason = ParseFailure(parse_error != nullptr ? parse_error : "out of memory");
    PQfreemem(parse_error);
    Error e(ErrorCode::kInvalidArgument,
            "postgres: connection string does not parse: " + reason +
                " (libpq's quote of the string is left out: it may hold a password)");
    e.no_retry = true;
    return tl::unexpected(std::move(e));
  }
  // Defaults that the string may override (later keywords win): a database host that drops
  // packets fails the connection in 10 s, not after the kernel's two minutes of SYN retries.
  // A password given apart comes after the string, so it wins.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname",
                            password.empty() ? nullptr : "password", nullptr};
  const char* values[] = {"10", "freightliner", dsn.c_str(),
                          password.empty() ? nullptr : password.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) return MakeError(ErrorCode::kInternal, "postgres: out of memory");
  std::unique_ptr<Connection> conn(new Connection(raw));
  // Kept across Reset(): PQreset reuses the PGconn.
  PQsetNoticeProcessor(raw, IgnoreNotice, nullptr);
  if (PQstatus(raw) != CONNECTION_OK) return tl::unexpected(ConnectionError(raw));
  return conn;
}

Connection::~Connection() {
  PQfinish(conn_);
}

Result<Rows> Connection::Exec(const std::string& sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& param : params)
    values.push_back(param ? param->c_str() : nullptr);
  // Types unspecified: the server infers each from its use, as for a literal.
  Rows rows(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, /*resultFormat=*/0));
  const PGresult* result = rows.result_.get();
  switch (result ? PQresultStatus(result) : PGRES_FATAL_ERROR) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
      return rows;
    default:
      return tl::unexpected(StatementError(conn_, result));
  }
}

bool Connection::Healthy() const {
  return PQstatus(conn_) == CONNECTION_OK;
}

Status Connection::Reset() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return tl::unexpected(ConnectionError(conn_));
  return Ok();
}

namespace {
Status Configure(Connection& conn) {
  for (const char* setting :
       {"SET statement_timeout = '30s'", "SET idle_in_transaction_session_timeout = '60s'"}) {
    if (auto done = conn.Exec(setting); !done) return tl::unexpected(done.error());
  }
  return Ok();
}
}  // namespace

Result<std::unique_ptr<Session>> Session::Open(const std::string& dsn,
                                               const std::string& password) {
  auto conn = Connection::Open(dsn, password);
  if (!conn) return tl::unexpected(conn.error());
  if (Status s = Configure(**conn); !s) return tl::unexpected(s.error());
  return std::unique_ptr<Session>(new Session(std::move(*conn)));
}

Status Session::Reconnect() {
  if (Status s = conn_->Reset(); !s) return s;
  return Configure(*conn_);
}

Transaction::~Transaction() {
  if (open_) (void)conn_.Exec("ROLLBACK");
}

Status Transaction::Begin() {
  if (PQtransactionStatus(conn_.conn_) != PQTRANS_IDLE && conn_.Healthy()) {
    return MakeError(ErrorCode::kInternal, "postgres: a transaction is already open");
  }
  if (auto begun = conn_.Exec("BEGIN"); !begun) return tl::unexpected(begun.error());
  open_ = true;
  return Ok();
}

Status Transaction::Commit() {
  auto committed = conn_.Exec("COMMIT");
  if (!committed) return tl::unexpected(committed.error());
  open_ = false;
  if (std::string_view(PQcmdStatus(committed->result_.get())) == "ROLLBACK") {
    return MakeError(ErrorCode::kInternal,
                     "postgres: transaction rolled back at COMMIT: a statement in it had failed");
  }
  return Ok();
}

Status WithAdvisoryLock(Connection& conn, int64_t key, const std::function<Status()>& body) {
  const std::string id = std::to_string(key);
  if (auto locked = conn.Exec("SELECT pg_advisory_lock($1::bigint)", {P(key)}); !locked) {
    return tl::unexpected(locked.error().WithContext("advisory lock " + id));
  }
  Status result = body();
  auto unlocked = conn.Exec("SELECT pg_advisory_unlock($1::bigint)", {P(key)});
  if (!unlocked && conn.Healthy()) {
    // E.g. `body` left a failed transaction open, where no statement runs: the lock would stay
    // until the session ends, and every other replica would wait for it.
    (void)conn.Reset();
  }
  if (!result) return result;
  if (!unlocked) return tl::unexpected(unlocked.error().WithContext("advisory unlock " + id));
  if (unlocked->Text(0, 0) != "t") {
    // The session ended under `body` (a Reset), and the lock with it.
    return MakeError(ErrorCode::kInternal,
                     "postgres: advisory lock " + id + " was lost while it was held");
  }
  return Ok();
}

}  // namespace freightliner::state::pg
