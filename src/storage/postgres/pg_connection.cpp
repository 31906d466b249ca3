#include "pg_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/log_events.hpp"
#include "pg_result.hpp"

namespace omniq {
namespace {

using std::chrono::steady_clock;

long long remaining_ms(Deadline deadline) {
  return std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now()).count();
}

std::string trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? v : "";
}

// Errors after which the session is gone: connection exceptions (class 08)
// and the server shutting down or crashing (57P01-57P03).
bool ends_session(const std::string& sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

// Server notices (warnings) go to omniq's log, not to stderr.
void log_notice(void*, const char* message) {
  logger()->warn("PostgreSQL: {}", trimmed(message));
}

}  // namespace

PgParams& PgParams::text(std::string_view v) {
  values_.emplace_back(std::string(v));
  return *this;
}

PgParams& PgParams::null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

const char* const* PgParams::pointers() const {
  pointers_.clear();
  for (const auto& v : values_) pointers_.push_back(v ? v->c_str() : nullptr);
  return pointers_.data();
}

PgConnection::PgConnection(const std::string& conninfo, std::string where, Deadline deadline)
    : where_(std::move(where)) {
  // Entries before dbname are defaults that the URL (expanded from dbname)
  // overrides. Keepalives and tcp_user_timeout close an idle connection
  // (a watch's) to a dead peer within about 30 s; calls have their deadline.
  const char* keys[] = {"keepalives",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "tcp_user_timeout",
                        "fallback_application_name",
                        "dbname",
                        nullptr};
  const char* values[] = {"1", "10", "5", "3", "30000", "omniq", conninfo.c_str(), nullptr};
  conn_ = PQconnectStartParams(keys, values, 1);
  if (conn_ == nullptr) throw PgError("cannot connect to PostgreSQL: out of memory", "", true);
  if (PQstatus(conn_) == CONNECTION_BAD) broken("cannot connect");
  for (;;) {
    PostgresPollingStatusType s = PQconnectPoll(conn_);
    if (s == PGRES_POLLING_OK) break;
    if (s == PGRES_POLLING_FAILED) broken("cannot connect");
    wait(s == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
  }
  if (PQsetnonblocking(conn_, 1) != 0) broken("cannot make the connection non-blocking");
  PQsetNoticeProcessor(conn_, log_notice, nullptr);
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

PgResult PgConnection::exec(const std::string& sql, const PgParams& params, Deadline deadline) {
  if (conn_ == nullptr) broken("the connection is closed");
  auto it = prepared_.find(sql);
  if (it == prepared_.end() && params.size() > 0) {
    std::string name = "omniq_" + std::to_string(prepared_.size() + 1);
    answer(PQsendPrepare(conn_, name.c_str(), sql.c_str(), params.size(), nullptr), sql, deadline);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  if (it == prepared_.end()) {
    return answer(PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0),
                  sql, deadline);
  }
  return answer(PQsendQueryPrepared(conn_, it->second.c_str(), params.size(), params.pointers(),
                                    nullptr, nullptr, 0),
                sql, deadline);
}

PgResult PgConnection::exec(const std::string& sql, Deadline deadline) {
  return exec(sql, PgParams{}, deadline);
}

PgResult PgConnection::exec_script(const std::string& sql, Deadline deadline) {
  if (conn_ == nullptr) broken("the connection is closed");
  return answer(PQsendQuery(conn_, sql.c_str()), sql, deadline);
}

PgResult PgConnection::answer(int sent, std::string_view sql, Deadline deadline) {
  if (sent == 0) broken("cannot send a statement");
  flush(deadline);
  return collect(sql, deadline);
}

bool PgConnection::alive() {
  if (conn_ == nullptr) return false;
  pollfd p{PQsocket(conn_), POLLIN, 0};
  if (::poll(&p, 1, 0) > 0 && PQconsumeInput(conn_) == 0) return false;
  return PQstatus(conn_) == CONNECTION_OK;
}

int PgConnection::socket() const {
  return conn_ == nullptr ? -1 : PQsocket(conn_);
}

std::vector<std::pair<std::string, std::string>> PgConnection::notifications() {
  if (conn_ == nullptr || PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
    broken("cannot read notifications");
  }
  std::vector<std::pair<std::string, std::string>> out;
  while (PGnotify* n = PQnotifies(conn_)) {
    out.emplace_back(n->relname, n->extra);
    PQfreemem(n);
  }
  return out;
}

void PgConnection::flush(Deadline deadline) {
  for (;;) {
    int f = PQflush(conn_);
    if (f == 0) return;
    if (f < 0) broken("cannot send a statement");
    wait(POLLIN | POLLOUT, deadline);
    if (PQconsumeInput(conn_) == 0) broken("cannot read the answer");
  }
}

PgResult PgConnection::collect(std::string_view sql, Deadline deadline) {
  PgResult last;
  PgResult error;
  const PGresult* error_raw = nullptr;
  for (;;) {
    while (PQisBusy(conn_) != 0) {
      wait(POLLIN, deadline);
      if (PQconsumeInput(conn_) == 0) broken("cannot read the answer");
    }
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) break;
    ExecStatusType st = PQresultStatus(r);
    if ((st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) && error_raw == nullptr) {
      error_raw = r;
      error = PgResult(r);
    } else {
      last = PgResult(r);
    }
  }
  if (error_raw == nullptr) return last;
  std::string state = field(error_raw, PG_DIAG_SQLSTATE);
  std::string message = field(error_raw, PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = trimmed(PQresultErrorMessage(error_raw));
  if (PQstatus(conn_) != CONNECTION_OK || ends_session(state)) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw PgError("PostgreSQL database unreachable at " + where_ + ": " + message, state, true);
  }
  std::string detail = field(error_raw, PG_DIAG_MESSAGE_DETAIL);
  throw PgError("PostgreSQL error at " + where_ + ": " + message +
                    (detail.empty() ? "" : " (" + detail + ")") + " [SQLSTATE " + state +
                    "] in: " + std::string(sql.substr(0, 120)),
                state, false);
}

void PgConnection::wait(short events, Deadline deadline) {
  for (;;) {
    long long left = remaining_ms(deadline);
    if (left <= 0) {
      PQfinish(conn_);
      conn_ = nullptr;
      throw PgError("PostgreSQL database unreachable at " + where_ +
                        ": no answer before the call's time limit ran out",
                    "", true);
    }
    pollfd p{PQsocket(conn_), events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, INT_MAX)));
    if (n > 0) return;
    if (n < 0 && errno != EINTR) broken(std::string("poll failed: ") + std::strerror(errno));
  }
}

void PgConnection::broken(std::string_view doing) {
  std::string why = conn_ ? trimmed(PQerrorMessage(conn_)) : "";
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  throw PgError("PostgreSQL database unreachable at " + where_ + ": " + std::string(doing) +
                    (why.empty() ? "" : ": " + why),
                "", true);
}

}  // namespace omniq
