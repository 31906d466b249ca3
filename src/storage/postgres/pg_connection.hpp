// PgConnection: one libpq connection, owned (RAII), whose every call ends by
// a deadline: libpq runs non-blocking and omniq polls its socket until the
// deadline passes. Statements take their values as PgParams (sent apart from
// the SQL text, never spliced into it). Every failure is a PgError, a
// StorageError with the server's message and SQLSTATE; a connection that
// breaks or does not answer by the deadline is closed, and its error says the
// database is unreachable. Internal to the PostgreSQL backend; keeps
// libpq-fe.h out of the headers that include it.
//
// Not thread-safe: the owner serialises every use of a connection.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "omniq/error.hpp"
#include "omniq/time.hpp"

struct pg_conn;

namespace omniq {

class PgResult;

using Deadline = std::chrono::steady_clock::time_point;

// A failed PostgreSQL call.
class PgError : public StorageError {
 public:
  PgError(const std::string& message, std::string sqlstate, bool unreachable)
      : StorageError(message), sqlstate_(std::move(sqlstate)), unreachable_(unreachable) {}
  // The server's SQLSTATE ("23505"), empty when the server sent none.
  const std::string& sqlstate() const { return sqlstate_; }
  // True when the connection broke or did not answer in time.
  bool unreachable() const { return unreachable_; }
  // True for a serialization failure or a deadlock: the transaction may be run again.
  bool transient() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

 private:
  std::string sqlstate_;
  bool unreachable_;
};

// The values of a statement's $1, $2, ... in order, in PostgreSQL's text form.
class PgParams {
 public:
  PgParams& text(std::string_view v);
  PgParams& opt_text(const std::optional<std::string>& v) { return v ? text(*v) : null(); }
  PgParams& integer(std::int64_t v) { return text(std::to_string(v)); }
  PgParams& count(std::size_t n) {  // a size, at most INT64_MAX
    return integer(static_cast<std::int64_t>(std::min<std::size_t>(n, INT64_MAX)));
  }
  PgParams& boolean(bool v) { return text(v ? "true" : "false"); }
  PgParams& time(Timestamp t) { return text(format_time(t)); }
  PgParams& null();

  int size() const { return static_cast<int>(values_.size()); }
  // One pointer per value (nullptr for NULL), valid until the next change.
  const char* const* pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
  mutable std::vector<const char*> pointers_;
};

class PgConnection {
 public:
  // Connects to `conninfo` (a postgresql:// URL or key=value string, handed
  // to libpq as is, so PG* variables and service files apply) by `deadline`.
  // TCP keepalives and tcp_user_timeout are on unless conninfo says
  // otherwise. `where` names the server in messages (never a password).
  // Throws PgError (unreachable) when it cannot connect.
  PgConnection(const std::string& conninfo, std::string where, Deadline deadline);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement. Returns its rows (none for a command). Throws PgError.
  // One with values is prepared on first use: later runs skip parse and plan.
  PgResult exec(const std::string& sql, const PgParams& params, Deadline deadline);
  PgResult exec(const std::string& sql, Deadline deadline);
  // Runs statements separated by semicolons, without parameters (schema
  // scripts, "BEGIN; SELECT ..."), in one round trip. Returns the last one's
  // rows. Throws PgError.
  PgResult exec_script(const std::string& sql, Deadline deadline);

  // False once the connection is known to be broken; reads what the server
  // sent meanwhile (e.g. a shutdown notice) without blocking.
  bool alive();
  // The socket, for poll(); -1 when closed.
  int socket() const;
  // Reads what arrived without blocking; returns the (channel, payload) of
  // each notification received. Throws PgError when the connection broke.
  std::vector<std::pair<std::string, std::string>> notifications();
  const std::string& where() const { return where_; }

 private:
  PgResult answer(int sent, std::string_view sql, Deadline deadline);  // after a PQsend* call
  void flush(Deadline deadline);
  PgResult collect(std::string_view sql, Deadline deadline);
  void wait(short events, Deadline deadline);
  [[noreturn]] void broken(std::string_view doing);

  pg_conn* conn_ = nullptr;
  std::string where_;
  std::unordered_map<std::string, std::string> prepared_;  // statement -> its name here
};

}  // namespace omniq
