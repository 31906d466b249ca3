#include "sqlite_db.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "base/task_rules.hpp"
#include "sqlite_statement.hpp"

namespace omniq {
namespace {

// Creates `path` with mode 0600 unless it exists. Creating it ourselves (rather
// than through the umask) keeps the process-wide umask untouched.
void create_private_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);  // in case the umask took bits we asked for
    ::close(fd);
    return;
  }
  if (errno == EEXIST) return;
  throw StorageError("cannot create SQLite database file \"" + path +
                     "\": " + std::strerror(errno) +
                     " (give a path in an existing, writable directory, or :memory:)");
}

}  // namespace

bool SqliteError::is_unique_violation() const {
  return code_ == SQLITE_CONSTRAINT_PRIMARYKEY || code_ == SQLITE_CONSTRAINT_UNIQUE;
}

SqliteDb::SqliteDb(std::string path, Duration busy_timeout)
    : path_(std::move(path)), busy_timeout_(busy_timeout) {
  if (path_.empty()) {
    throw StorageError("SQLite database path is empty: give a file path or :memory:");
  }
  if (!in_memory()) create_private_file(path_);
  int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(rc, "cannot open SQLite database \"" + path_ + "\": " + why);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_handler(db_, &SqliteDb::on_busy, this);
}

SqliteDb::~SqliteDb() {
  statements_.clear();  // finalized before their connection closes
  sqlite3_close_v2(db_);
}

SqliteStatement& SqliteDb::prepared(const std::string& sql) {
  auto& s = statements_[&sql];
  if (!s) s = std::make_unique<SqliteStatement>(*this, sql);
  return *s;
}

int SqliteDb::on_busy(void* self, int count) {
  auto* db = static_cast<SqliteDb*>(self);
  auto now = std::chrono::steady_clock::now();
  if (count == 0) db->busy_since_ = now;
  if (now - db->busy_since_ >= db->busy_timeout_) return 0;  // give up: SQLITE_BUSY
  // Short sleeps first: another process's write transaction usually lasts well
  // under a millisecond. Then back off to at most 5 ms.
  auto pause = std::chrono::microseconds(50) * (1 << std::min(count, 7));
  std::this_thread::sleep_for(std::min<Duration>(pause, std::chrono::milliseconds(5)));
  return 1;
}

void SqliteDb::fail(int rc, std::string_view doing) const {
  int primary = rc & 0xff;
  std::string where = "SQLite database \"" + path_ + "\"";
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw SqliteError(rc, where + " stayed locked by another connection for longer than the " +
                              format_duration(busy_timeout_) + " busy timeout while " +
                              std::string(doing) +
                              "; another process holds a long write transaction (raise "
                              "busy_timeout, or find the process)");
  }
  if (primary == SQLITE_NOTADB) {
    throw SqliteError(rc, where +
                              " is not an SQLite database (or is encrypted); point omniq "
                              "at an omniq database, a database of the original library, "
                              "or a path that does not exist yet");
  }
  std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  throw SqliteError(rc, where + ": " + msg + " (SQLite code " + std::to_string(rc) + ") while " +
                            std::string(doing));
}

void SqliteDb::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);  // sqlite3_errmsg still has the message
  if (rc != SQLITE_OK) fail(rc, "running \"" + text.substr(0, 80) + "\"");
}

std::int64_t SqliteDb::query_int(std::string_view sql) {
  SqliteStatement s(*this, sql);
  return s.step() ? s.integer(0) : 0;
}

std::string SqliteDb::query_text(std::string_view sql) {
  SqliteStatement s(*this, sql);
  return s.step() ? s.text(0) : std::string();
}

int SqliteDb::changes() const {
  return sqlite3_changes(db_);
}

bool SqliteDb::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

SqliteTransaction::SqliteTransaction(SqliteDb& db, const char* begin, bool unsynced)
    : db_(db), unsynced_(unsynced) {
  if (unsynced_) db_.exec("PRAGMA synchronous = NORMAL");
  db_.exec(begin);
}

SqliteTransaction::~SqliteTransaction() {
  try {
    if (db_.in_transaction()) db_.exec("ROLLBACK");  // else committed, or rolled back by SQLite
    if (unsynced_) db_.exec("PRAGMA synchronous = FULL");
  } catch (const StorageError&) {  // the first error is the one to report
  }
}

void SqliteTransaction::commit() {
  db_.exec("COMMIT");
}

}  // namespace omniq
