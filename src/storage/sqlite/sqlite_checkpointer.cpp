#include "sqlite_checkpointer.hpp"

#include <sqlite3.h>

namespace omniq {

SqliteCheckpointer::SqliteCheckpointer(SqliteDb& writer, const std::string& synchronous_pragma,
                                       Duration busy_timeout)
    : writer_(writer), conn_(writer.path(), busy_timeout) {
  conn_.exec(synchronous_pragma);
  thread_ = std::thread([this] { run(); });
  // Replaces the automatic checkpoint, which is itself a WAL hook.
  sqlite3_wal_hook(writer_.handle(), &SqliteCheckpointer::on_commit, this);
}

SqliteCheckpointer::~SqliteCheckpointer() {
  sqlite3_wal_autocheckpoint(writer_.handle(), kWalPages);  // unhooks this object
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::uint64_t SqliteCheckpointer::checkpoints() const {
  std::lock_guard lock(mu_);
  return checkpoints_;
}

int SqliteCheckpointer::on_commit(void* self, sqlite3* db, const char* name, int wal_pages) {
  auto* c = static_cast<SqliteCheckpointer*>(self);
  if (wal_pages >= kWalPages * kInlineFactor) {
    // Far behind: checkpoint here, as the automatic checkpoint would.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  // Once per kWalPages pages appended: the checkpoint that a crossing starts
  // usually lets the next write restart the WAL, and until then the commits
  // in between need no checkpoint of their own (each would be an fsync more).
  int crossings = wal_pages / kWalPages;
  bool start = false;
  {
    std::lock_guard lock(c->mu_);
    if (crossings > c->crossings_) {
      c->wanted_ = true;
      start = true;
    }
    c->crossings_ = crossings;
  }
  if (start) c->cv_.notify_one();
  return SQLITE_OK;  // a commit is never failed for a checkpoint
}

void SqliteCheckpointer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    // Errors (SQLITE_BUSY while another process checkpoints, I/O errors) are
    // left for the next one; the writer goes on regardless.
    sqlite3_wal_checkpoint_v2(conn_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    ++checkpoints_;
  }
}

}  // namespace omniq
