#include "file_running_batch.hpp"

#include "fs_temp_files.hpp"

namespace omniq {
namespace {

// Files held (locked, with their temp files open) in one batch at most.
constexpr std::size_t kMaxBatch = 64;

std::optional<LockedRecord> lock_and_read(TaskFiles& files, const std::string& id, bool wait,
                                          bool& busy) {
  busy = false;
  std::string name = record_name(id, RecordKind::running);
  RunningLock lock;
  switch (lock.acquire(files.queue(), name, wait)) {
    case RunningLock::Status::locked:
      break;
    case RunningLock::Status::busy:
      busy = true;
      return std::nullopt;
    case RunningLock::Status::foreign:
      files.quarantine(files.queue(), name, "not a regular file");
      return std::nullopt;
    case RunningLock::Status::absent:
      return std::nullopt;
  }
  auto record = files.read_locked(lock, id);
  if (!record) return std::nullopt;
  return LockedRecord{std::move(lock), std::move(*record)};
}

}  // namespace

void RunningBatch::add(RunningLock lock, const std::string& id, std::optional<TaskRecord> record,
                       RecordKind dest, std::optional<TaskResult> result, RecordKind origin) {
  items_.push_back({std::move(lock), id, std::move(record), dest, std::move(result), origin});
}

void RunningBatch::commit(bool sync_queue) {
  if (items_.empty()) return;
  try {
    write_all(sync_queue);
  } catch (...) {
    put_back_unwritten();
    items_.clear();
    throw;
  }
  items_.clear();  // releases the locks
}

void RunningBatch::put_back_unwritten() noexcept {
  const FsDir& queue = files_.queue();
  for (Item& it : items_) {
    if (!it.lock.held() || it.origin == RecordKind::running) continue;
    try {
      queue.move(record_name(it.id, RecordKind::running), queue, record_name(it.id, it.origin));
    } catch (const std::exception&) {
      // Left as it is: recover_expired moves it back after the grace.
    }
  }
}

void RunningBatch::write_all(bool sync_queue) {
  const FsDir& queue = files_.queue();
  TempFiles temps(files_.tmp(), files_.durable());
  std::vector<std::size_t> result_at(items_.size()), record_at(items_.size());
  for (std::size_t i = 0; i < items_.size(); ++i) {
    Item& it = items_[i];
    if (it.result) result_at[i] = temps.add(files_.encode(*it.result));
    // A file that moves on is locked from birth, until it has moved.
    if (it.record)
      record_at[i] = temps.add(files_.encode(*it.record), it.dest != RecordKind::running);
  }
  temps.sync();
  bool any_result = false;
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (!items_[i].result) continue;
    temps.publish(result_at[i], files_.results(), result_name(items_[i].id));
    any_result = true;
  }
  if (any_result && files_.durable()) files_.results().sync();
  bool moved = false;
  for (std::size_t i = 0; i < items_.size(); ++i) {
    Item& it = items_[i];
    std::string running = record_name(it.id, RecordKind::running);
    if (it.record) {
      temps.publish(record_at[i], queue, running);
      it.lock.release();  // the old file is gone; the new one is locked by `temps`
    }
    if (it.dest != RecordKind::running) {
      queue.move(running, queue, record_name(it.id, it.dest));
      moved = true;
    }
    it.lock.release();
  }
  if ((moved || sync_queue) && files_.durable()) queue.sync();
  // `temps`, going out of scope, releases the new files' locks.
}

std::optional<LockedRecord> lock_running(TaskFiles& files, const std::string& id) {
  bool busy = false;
  return lock_and_read(files, id, /*wait=*/true, busy);
}

void for_each_running(TaskFiles& files, const std::vector<std::string>& ids, bool sync_queue,
                      bool skip_busy, const RunningVisitor& visit) {
  std::vector<std::size_t> busy_ones;
  RunningBatch batch(files);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    bool busy = false;
    auto file = lock_and_read(files, ids[i], /*wait=*/false, busy);
    if (busy) {
      busy_ones.push_back(i);
      continue;
    }
    visit(i, std::move(file), batch);
    if (batch.size() >= kMaxBatch) batch.commit(sync_queue);
  }
  batch.commit(sync_queue);
  if (skip_busy) return;
  for (std::size_t i : busy_ones) {
    bool busy = false;
    RunningBatch one(files);
    visit(i, lock_and_read(files, ids[i], /*wait=*/true, busy), one);
    one.commit(sync_queue);
  }
}

}  // namespace omniq
