// SqliteCheckpointer: moves WAL checkpoints off the commit path. Internal to
// the library.
//
// SQLite's automatic checkpoint runs inside the commit that crosses the WAL
// size limit: that writer (an enqueue, a claim, a batch of outcomes) waits
// for the checkpoint's copying and fsyncs, which put milliseconds into the
// tail of every latency. Instead, the write connection's WAL hook wakes this
// object's thread each time the WAL grows past another kWalPages pages, and
// the thread runs a PASSIVE checkpoint (it takes no write lock
// and does not wait for readers) on a connection of its own with the same
// synchronous setting, so a checkpoint keeps exactly the guarantees of the
// automatic one. Should the WAL still grow to kInlineFactor times the limit
// (checkpoints not keeping up), the committing writer checkpoints itself, as
// SQLite would, so the WAL stays bounded.
//
// Thread-safe. REQUIRES: destroyed before the write connection it watches.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "sqlite_db.hpp"

namespace omniq {

class SqliteCheckpointer {
 public:
  // WAL pages after which a checkpoint is started (SQLite's default limit).
  static constexpr int kWalPages = 1000;
  static constexpr int kInlineFactor = 8;

  // Opens the checkpoint connection with `synchronous_pragma` and takes over
  // the checkpoints of `writer` (a WAL-mode file database).
  SqliteCheckpointer(SqliteDb& writer, const std::string& synchronous_pragma,
                     Duration busy_timeout);
  ~SqliteCheckpointer();  // stops the thread; `writer` checkpoints itself again
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Checkpoints run so far by the thread (for tests).
  std::uint64_t checkpoints() const;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int wal_pages);
  void run();

  SqliteDb& writer_;
  SqliteDb conn_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  int crossings_ = 0;  // WAL size / kWalPages at the last commit
  bool stopping_ = false;
  std::uint64_t checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace omniq
