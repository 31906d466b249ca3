// SqliteDb: one SQLite connection, owned (RAII), with omniq's busy handling
// and every failure turned into a SqliteError (a StorageError) that names the
// database and says what went wrong. Internal to the library; keeps sqlite3.h
// out of everything that includes it.
//
// Not thread-safe: whoever owns a connection serialises every use of it (and
// of the statements prepared on it).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "omniq/error.hpp"
#include "omniq/time.hpp"

struct sqlite3;

namespace omniq {

class SqliteStatement;

// A failed SQLite call. code() is SQLite's extended result code.
class SqliteError : public StorageError {
 public:
  SqliteError(int code, const std::string& message) : StorageError(message), code_(code) {}
  int code() const { return code_; }
  // True for a UNIQUE or PRIMARY KEY violation.
  bool is_unique_violation() const;

 private:
  int code_;
};

class SqliteDb {
 public:
  // Opens `path` (":memory:" for a private in-memory database). A file that
  // does not exist is created first, mode 0600, so SQLite's -wal and -shm
  // files (which copy the database's mode) are private too. SQLITE_BUSY is
  // retried for up to busy_timeout. Throws StorageError when it cannot open.
  SqliteDb(std::string path, Duration busy_timeout);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  bool in_memory() const { return path_ == ":memory:"; }

  // The statement prepared from `sql` on this connection: prepared at first
  // use and kept for the connection's life. `sql` is known by its address
  // (pass the sql:: constants, not temporaries). Throws SqliteError.
  SqliteStatement& prepared(const std::string& sql);

  // Runs one or more statements that return no rows. Throws SqliteError.
  void exec(std::string_view sql);
  // Runs a statement returning one integer (e.g. "PRAGMA user_version").
  std::int64_t query_int(std::string_view sql);
  // Runs a statement returning one text value (e.g. "PRAGMA journal_mode=WAL").
  std::string query_text(std::string_view sql);

  // Throws the SqliteError for result code `rc`, with the connection's message.
  [[noreturn]] void fail(int rc, std::string_view doing) const;

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int changes() const;
  // True while a transaction is open (false after COMMIT, ROLLBACK, or an
  // error that made SQLite roll the transaction back by itself).
  bool in_transaction() const;

 private:
  static int on_busy(void* self, int count);

  sqlite3* db_ = nullptr;
  std::string path_;
  Duration busy_timeout_;
  std::chrono::steady_clock::time_point busy_since_{};
  std::unordered_map<const std::string*, std::unique_ptr<SqliteStatement>> statements_;
};

// A transaction on `db`, rolled back when the scope ends unless committed.
class SqliteTransaction {
 public:
  // Runs `begin` (BEGIN IMMEDIATE takes the write lock at once). Throws SqliteError.
  // `unsynced`: this transaction's commit skips the fsync (synchronous=NORMAL
  // until it ends); the next synced commit or checkpoint syncs it.
  explicit SqliteTransaction(SqliteDb& db, const char* begin = "BEGIN IMMEDIATE",
                             bool unsynced = false);
  ~SqliteTransaction();  // never throws
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  void commit();

 private:
  SqliteDb& db_;
  bool unsynced_;
};

}  // namespace omniq
