// Where a PostgresStorage's database is (PgTarget), how each of its
// connections is set up (open_session), and PgSlot, one connection that is
// reopened on demand after it broke, with a growing pause between failed
// attempts. Internal to the PostgreSQL backend.
//
// PgTarget is a plain value. PgSlot is thread-safe: use() hands the
// connection to one caller at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "omniq/settings.hpp"
#include "pg_connection.hpp"

namespace omniq {

struct PgTarget {
  std::string conninfo;  // the URL as given, less omniq's own schema parameter
  std::string schema = "omniq";
  std::string where;  // "host:port/dbname", for messages
  Durability durability = Durability::full;
  Duration timeout = std::chrono::seconds(10);

  // Reads a postgresql:// (or postgres://) URL, or a libpq key=value string,
  // taking out an optional schema=NAME query parameter. Throws ConfigError
  // for a schema name that is not [a-z_][a-z0-9_]* of at most 63 characters
  // (or starts with pg_), and for a URL libpq cannot parse.
  static PgTarget parse(const std::string& url, Durability durability, Duration timeout);

  // The schema as a quoted SQL identifier, e.g. "omniq" in double quotes.
  std::string quoted_schema() const { return '"' + schema + '"'; }
  // When a call starting now must have ended.
  Deadline deadline() const { return std::chrono::steady_clock::now() + timeout; }
};

// Connects and sets the session up for omniq: search_path = the schema,
// TimeZone UTC, DateStyle ISO, statement_timeout = the target's timeout,
// synchronous_commit on for Durability::full and off otherwise, notices
// below WARNING left unsent, and idle_in_transaction_session_timeout = the
// timeout too (a client cut off mid-transaction holds its row locks no
// longer). Throws PgError when it cannot.
std::unique_ptr<PgConnection> open_session(const PgTarget& target, Deadline deadline);

// Rolls back the open transaction, if the connection still works; never throws.
void rollback(PgConnection& conn, Deadline deadline) noexcept;

class PgSlot {
 public:
  explicit PgSlot(PgTarget target) : target_(std::move(target)) {}

  // The connection, held by one caller until the Use is destroyed.
  class Use {
   public:
    explicit Use(PgSlot& slot) : slot_(&slot) {}
    Use(Use&& other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
    Use& operator=(Use&&) = delete;
    ~Use() {
      if (slot_ != nullptr) slot_->release();
    }
    PgConnection& operator*() const { return *slot_->conn_; }
    PgConnection* operator->() const { return slot_->conn_.get(); }

   private:
    PgSlot* slot_;
  };

  // Returns the connection once no other caller holds it, (re)connecting
  // when it is closed or broken; a reconnection waits out the pause after
  // the last failed one, and with `ride_out` a server gone for less than the
  // timeout (a restart) until the deadline. Throws StorageError when the store
  // is closed or the deadline would pass first, PgError (unreachable) when the
  // connection cannot be made.
  Use use(Deadline deadline, bool ride_out = false);
  // Waits for the caller holding the connection, if any, then closes it;
  // use() throws from then on.
  void close();

 private:
  void release();
  void reconnect(Deadline deadline);

  PgTarget target_;
  std::mutex mu_;  // guards busy_ and closed_
  std::condition_variable free_;
  bool busy_ = false;
  bool closed_ = false;
  // Used only by the caller holding the slot:
  std::unique_ptr<PgConnection> conn_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds pause_{0};
  std::string last_error_;
  std::optional<std::chrono::steady_clock::time_point> down_since_;  // failing to connect since
};

// The pause before the next attempt to connect after a failed one: 100 ms,
// doubling up to 2 s.
std::chrono::milliseconds next_pause(std::chrono::milliseconds last);

// Runs body(conn) between BEGIN and COMMIT on the slot's connection, riding
// out a server restart (PgSlot::use) until the deadline; rolls back when
// anything throws. A transaction whose connection breaks runs again on a new
// one, unless it broke during COMMIT: then, with `with_xid` (it costs a
// transaction that writes nothing a commit record), the server says whether
// it committed; without, or when it cannot tell, PgError is thrown. A
// serialization failure or deadlock runs it again too (three tries). body
// must start afresh; in_transaction returns what it returns.
void run_write(PgSlot& slot, Deadline deadline, bool with_xid,
               const std::function<void(PgConnection&)>& body);
template <class F>
auto in_transaction(PgSlot& slot, Deadline deadline, bool with_xid, F&& body) {
  std::optional<decltype(body(std::declval<PgConnection&>()))> out;
  run_write(slot, deadline, with_xid, [&](PgConnection& conn) { out = body(conn); });
  return std::move(*out);
}

}  // namespace omniq
