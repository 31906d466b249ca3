#include "pg_session.hpp"

#include <libpq-fe.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <thread>

#include "base/log_events.hpp"
#include "pg_result.hpp"

namespace omniq {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

bool is_url(const std::string& s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

bool valid_schema(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.starts_with("pg_") || (s[0] >= '0' && s[0] <= '9')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Takes "schema=NAME" out of a URL's query; returns the URL without it.
std::string take_schema(const std::string& url, std::optional<std::string>& schema) {
  std::size_t q = url.find('?');
  if (q == std::string::npos) return url;
  std::string kept;
  std::size_t pos = q + 1;
  while (pos <= url.size()) {
    std::size_t end = std::min(url.find('&', pos), url.size());
    std::string pair = url.substr(pos, end - pos);
    if (pair.starts_with("schema=")) {
      schema = pair.substr(7);
    } else if (!pair.empty()) {
      kept += (kept.empty() ? "" : "&") + pair;
    }
    pos = end + 1;
  }
  return url.substr(0, q) + (kept.empty() ? "" : "?" + kept);
}

// Whether transaction `xid` committed; nullopt when the server cannot tell.
std::optional<bool> committed(PgSlot& slot, std::int64_t xid, Deadline deadline) {
  try {
    PgResult r =
        slot.use(deadline, true)->exec("SELECT txid_status($1)", PgParams().integer(xid), deadline);
    if (!r.is_null(0, 0) && r.text(0, 0) != "in progress") return r.text(0, 0) == "committed";
  } catch (const PgError&) {
  }
  return std::nullopt;
}

// "host:port/dbname" from what libpq reads in conninfo (unset parts left out).
std::string describe(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (options == nullptr) {
    std::string why = err ? err : "out of memory";
    PQfreemem(err);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    throw ConfigError("invalid PostgreSQL URL (OMNIQ_DB_URL): " + why +
                      "; expected postgresql://user@host:port/dbname[?schema=NAME]");
  }
  std::string host, port, db;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    std::string key = o->keyword, val = o->val ? o->val : "";
    if (key == "host" || (key == "hostaddr" && host.empty())) host = val;
    if (key == "port") port = val;
    if (key == "dbname") db = val;
  }
  PQconninfoFree(options);
  if (host.empty()) host = "the default host";
  return "\"" + host + (port.empty() ? "" : ":" + port) + (db.empty() ? "" : "/" + db) + "\"";
}

}  // namespace

PgTarget PgTarget::parse(const std::string& url, Durability durability, Duration timeout) {
  PgTarget t;
  std::optional<std::string> schema;
  t.conninfo = is_url(url) ? take_schema(url, schema) : url;
  if (schema) t.schema = *schema;
  if (!valid_schema(t.schema)) {
    throw ConfigError("invalid schema \"" + t.schema.substr(0, 80) +
                      "\" in the PostgreSQL URL: expected 1-63 characters of a-z, 0-9 and _, "
                      "not starting with a digit or pg_");
  }
  t.where = describe(t.conninfo);
  t.durability = durability;
  t.timeout = timeout;
  return t;
}

std::unique_ptr<PgConnection> open_session(const PgTarget& target, Deadline deadline) {
  auto conn = std::make_unique<PgConnection>(target.conninfo, target.where, deadline);
  auto timeout_ms = std::chrono::duration_cast<milliseconds>(target.timeout).count();
  PgParams p;
  p.text(target.quoted_schema())
      .text(target.durability == Durability::full ? "on" : "off")
      .text(std::to_string(std::max<long long>(timeout_ms, 1)));
  conn->exec(
      "SELECT set_config('search_path', $1, false), set_config('synchronous_commit', $2, false), "
      "set_config('statement_timeout', $3, false), set_config('TimeZone', 'UTC', false), "
      "set_config('DateStyle', 'ISO, YMD', false), set_config('client_min_messages', 'warning', "
      "false), set_config('idle_in_transaction_session_timeout', $3, false)",
      p, deadline);
  return conn;
}

void rollback(PgConnection& conn, Deadline deadline) noexcept {
  try {
    if (conn.alive()) conn.exec("ROLLBACK", deadline);
  } catch (const std::exception&) {  // the connection broke: the server rolls back
  }
}

milliseconds next_pause(milliseconds last) {
  return std::clamp(last * 2, milliseconds{100}, milliseconds{2000});
}

PgSlot::Use PgSlot::use(Deadline deadline, bool ride_out) {
  {
    std::unique_lock lock(mu_);
    if (!free_.wait_until(lock, deadline, [&] { return !busy_; })) {
      throw StorageError("PostgreSQL at " + target_.where +
                         ": no connection came free before the call's time limit ran out");
    }
    if (closed_) throw StorageError("the PostgreSQL store is closed");
    busy_ = true;
  }
  Use use(*this);  // gives the slot back if connecting throws
  if (conn_ && conn_->alive()) return use;
  for (;;) {
    try {
      reconnect(deadline);
      return use;
    } catch (const PgError&) {
      bool recent = down_since_ && steady_clock::now() - *down_since_ < target_.timeout;
      if (!ride_out || !recent || next_attempt_ > deadline) throw;
    }
  }
}

void PgSlot::close() {
  std::unique_lock lock(mu_);
  free_.wait(lock, [&] { return !busy_; });  // a call in flight ends by its deadline
  closed_ = true;
  conn_.reset();
}

void PgSlot::release() {
  {
    std::lock_guard lock(mu_);
    busy_ = false;
  }
  free_.notify_one();
}

void PgSlot::reconnect(Deadline deadline) {
  conn_.reset();
  if (next_attempt_ > deadline) {
    auto wait = std::chrono::duration_cast<milliseconds>(next_attempt_ - steady_clock::now());
    throw PgError(last_error_ + " (next attempt in " + std::to_string(wait.count()) + " ms)", "",
                  true);
  }
  std::this_thread::sleep_until(next_attempt_);
  try {
    conn_ = open_session(target_, deadline);
    pause_ = milliseconds{0};
    down_since_.reset();
  } catch (const PgError& e) {
    if (!down_since_) down_since_ = steady_clock::now();
    pause_ = next_pause(pause_);
    next_attempt_ = steady_clock::now() + pause_;
    last_error_ = e.what();
    throw;
  }
}

void run_write(PgSlot& slot, Deadline deadline, bool with_xid,
               const std::function<void(PgConnection&)>& body) {
  for (int attempt = 1;; ++attempt) {
    std::optional<std::int64_t> xid;
    bool committing = false, again = false;
    std::string unreachable;  // why, when the connection broke in time to try again
    std::exception_ptr failed;
    {
      auto conn = slot.use(deadline, true);  // its failure ends the call
      try {
        PgResult begun =
            conn->exec_script(with_xid ? "BEGIN; SELECT txid_current()" : "BEGIN", deadline);
        if (with_xid) xid = begun.integer(0, 0);
        body(*conn);
        committing = true;
        conn->exec_script("COMMIT", deadline);
        return;
      } catch (const PgError& e) {
        rollback(*conn, deadline);
        failed = std::current_exception();
        again = e.transient() && attempt < 3;
        if (e.unreachable() && steady_clock::now() < deadline) unreachable = e.what();
      } catch (...) {
        rollback(*conn, deadline);
        throw;
      }
    }
    if (!unreachable.empty()) {
      std::optional<bool> done = !committing ? std::optional<bool>(false)
                                 : xid       ? committed(slot, *xid, deadline)
                                             : std::nullopt;
      if (done == true) return;
      again = done.has_value();
      if (again) logger()->warn("{}; writing again on a new session", unreachable);
    }
    if (!again) std::rethrow_exception(failed);
  }
}

}  // namespace omniq
