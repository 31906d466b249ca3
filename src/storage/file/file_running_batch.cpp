#include "file_running_batch.hpp"

#include <spdlog/spdlog.h>

#include "file_test_hooks.hpp"
#include "fs_temp_files.hpp"
#include "omniq/logging.hpp"

namespace omniq {
namespace {

// Files held (locked, open) in one batch at most.
constexpr std::size_t kMaxBatch = 256;
// Room made for a batch's items at once (a dequeue_many or finish_many of 100).
constexpr std::size_t kReserve = 128;
// A file is rewritten rather than appended to once the append would take it
// past a few times the change plus this.
constexpr std::size_t kCompactSlack = 64u << 10;

std::optional<LockedRecord> lock_and_read(TaskFiles& files, const std::string& id, RecordKind kind,
                                          bool wait, bool& busy) {
  busy = false;
  std::string name = record_name(id, kind);
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
  auto file = files.read_locked(lock, id, kind);
  if (!file) return std::nullopt;
  return LockedRecord{std::move(lock), std::move(*file)};
}

// The cached file of `id` relocked, if nobody changed it since this store did.
std::optional<LockedRecord> relock_cached(ClaimCache* cache, const std::string& id, bool& busy) {
  busy = false;
  auto entry = cache ? cache->take(id) : std::nullopt;
  if (!entry) return std::nullopt;
  switch (entry->lock.relock(/*wait=*/false)) {
    case RunningLock::Status::locked:
      if (entry->lock.size() != entry->file.end) return std::nullopt;
      return LockedRecord{std::move(entry->lock), std::move(entry->file)};
    case RunningLock::Status::busy:
      busy = true;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace

void RunningBatch::add(LockedRecord file, const std::string& id, Change change) {
  if (items_.empty()) items_.reserve(kReserve);
  Item it{std::move(file), id, std::move(change)};
  items_.push_back(std::move(it));
}

void RunningBatch::commit(bool sync) {
  if (items_.empty()) return;
  std::vector<JournalRecord> records;
  {
    TempFiles temps(files_.tmp());
    try {
      bool journaled = sync && files_.durable();
      for (Item& it : items_) write(it, temps, journaled ? &records : nullptr);
      if (temps.size() > 0 && files_.durable()) temps.sync_locked();
      for (Item& it : items_) publish(it, temps);
    } catch (...) {
      roll_back();
      items_.clear();
      throw;
    }
    items_.clear();  // releases the locks; `temps` then the rewritten files'
  }
  files_.commit(records);
}

void RunningBatch::write(Item& it, TempFiles& temps, std::vector<JournalRecord>* records) {
  const Change& c = it.change;
  TaskFile& f = it.file.file;
  std::uint32_t version = f.version + 1;
  std::string bytes;
  std::optional<std::string> result;
  if (c.result_change == ResultChange::set) {
    result = files_.encode(*c.result);
    append_frame(bytes, FrameKind::result, version, *result);
  } else if (c.result_change == ResultChange::clear) {
    append_frame(bytes, FrameKind::no_result, version, {});
  } else {
    result = f.result;
  }
  if (c.record && records) {
    // Journaled: the whole record, so that a replay never needs a frame that
    // was not journaled (a claim's, a renewal's).
    append_frame(bytes, FrameKind::task, version, files_.encode(*c.record));
  } else if (c.record) {
    std::string delta = files_.serializer().encode(record_delta(f.record, *c.record));
    append_frame(bytes, c.claim ? FrameKind::claim : FrameKind::delta, version, delta);
  }
  if (bytes.empty()) return;  // a move only
  it.old_end = f.end;
  RunningLock& lock = it.file.lock;
  if (f.sealed && lock.appendable() && f.end + bytes.size() <= 4 * bytes.size() + kCompactSlack) {
    lock.append(bytes, f.end);
    it.appended = true;
    f.end += bytes.size();
  } else {
    std::string record = files_.encode(c.record ? *c.record : f.record);
    it.rewrite = temps.add(encode_task_file(record, result, version), /*lock=*/true);
  }
  if (c.record) f.record = *c.record;
  f.result = std::move(result);
  f.version = version;
  if (records) records->push_back({it.id, c.dest, version, std::move(bytes), 0});
}

void RunningBatch::publish(Item& it, TempFiles& temps) {
  const FsDir& queue = files_.queue();
  const Change& c = it.change;
  std::string at = record_name(it.id, c.at);
  if (it.rewrite) {
    temps.publish(*it.rewrite, queue, at);
    it.file.lock.release();  // the old file is gone; the new one is locked by `temps`
  }
  if (c.dest != c.at) {
    bool claim = c.at == RecordKind::waiting;
    if (claim && file_store_hooks::before_claim_rename) {
      file_store_hooks::before_claim_rename(it.id);
    } else if (!claim && file_store_hooks::before_move_on) {
      file_store_hooks::before_move_on(it.id);
    }
    std::string to = record_name(it.id, c.dest);
    if (queue.move(at, queue, to, /*noreplace=*/claim) == FsDir::Move::exists) {
      logger()->warn("file store: {} has both a .task and a .running file; leaving it alone",
                     queue.path(it.id));
      if (it.appended) it.file.lock.truncate(it.old_end);
      failed_.push_back(it.id);
      it.done = true;
      return;
    }
    if (claim && file_store_hooks::after_claim_rename) file_store_hooks::after_claim_rename(it.id);
  }
  it.done = true;
  if (c.keep_open && it.file.lock.held()) {
    it.file.lock.unlock();
    kept_.emplace_back(it.id, ClaimCache::Entry{std::move(it.file.lock), std::move(it.file.file)});
  }
}

void RunningBatch::roll_back() noexcept {
  const FsDir& queue = files_.queue();
  for (Item& it : items_) {
    if (it.done) continue;
    if (it.appended) it.file.lock.truncate(it.old_end);
    if (!it.file.lock.held() || it.change.origin == it.change.at) continue;
    try {
      queue.move(record_name(it.id, it.change.at), queue, record_name(it.id, it.change.origin));
    } catch (const std::exception&) {
      // Left as it is: recover_expired moves it back after the grace.
    }
  }
}

std::vector<std::pair<std::string, ClaimCache::Entry>> RunningBatch::take_kept() {
  return std::move(kept_);
}

std::optional<LockedRecord> lock_file(TaskFiles& files, const std::string& id, RecordKind kind) {
  bool busy = false;
  return lock_and_read(files, id, kind, /*wait=*/true, busy);
}

void for_each_running(TaskFiles& files, const std::vector<std::string>& ids, bool sync,
                      bool skip_busy, const RunningVisitor& visit, ClaimCache* cache) {
  auto commit = [&](RunningBatch& b) {
    b.commit(sync);
    if (!cache) return;
    for (auto& [id, entry] : b.take_kept()) cache->put(id, std::move(entry));
  };
  std::vector<std::size_t> busy_ones;
  RunningBatch batch(files);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    bool busy = false;
    auto file = relock_cached(cache, ids[i], busy);
    if (!file && !busy) file = lock_and_read(files, ids[i], RecordKind::running, false, busy);
    if (busy) {
      busy_ones.push_back(i);
      continue;
    }
    visit(i, std::move(file), batch);
    if (batch.size() >= kMaxBatch) commit(batch);
  }
  commit(batch);
  if (skip_busy) return;
  for (std::size_t i : busy_ones) {
    bool busy = false;
    RunningBatch one(files);
    visit(i, lock_and_read(files, ids[i], RecordKind::running, true, busy), one);
    commit(one);
  }
}

}  // namespace omniq
