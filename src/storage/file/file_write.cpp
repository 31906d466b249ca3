// FileStorage::write: new tasks, outcomes and claims, planned in that order
// against the files (and what the batch changed before), then committed: all
// records are written to tmp/ before any file is renamed, so a batch refused
// by a check or an I/O error changes nothing; a crash during the renames
// leaves a prefix of them.

#include "file_storage_impl.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {

class FileStorage::Impl::Batch {
 public:
  Batch(Impl& store, const WriteBatch& batch) : s_(store), b_(batch) {}

  WriteResult run() {
    try {
      std::set<std::string_view> ids;  // a new id must be new to the store and the batch
      for (const Task& t : b_.enqueue) {
        if (!ids.insert(t.id).second || s_.load(t.id, {Slot::waiting, Slot::running, Slot::done})) {
          throw ValidationError("a task with id " + t.id + " exists already");
        }
      }
      for (const Task& t : b_.enqueue) r_.enqueued.push_back(add(t));
      for (const Outcome& o : b_.outcomes) r_.applied.push_back(record(o));
      for (const QueueClaim& c : b_.claims) claim(c);
      s_.commit(changes_);
    } catch (...) {
      for (const Change& c : changes_) s_.dirty.insert(c.record.task.id);  // the index ran ahead
      throw;
    }
    return std::move(r_);
  }

 private:
  Enqueued add(const Task& t) {
    auto holder = t.unique_key ? s_.index.holder(*t.unique_key) : std::nullopt;
    if (holder) return {*holder, false};  // the index is exact under the lock
    stage(Record{t, std::nullopt}, std::nullopt);
    return {t.id, true};
  }

  Applied record(const Outcome& o) {
    auto f = current(o.task_id, {Slot::running});
    Applied a = f ? outcome_applies(f->record.task, o) : Applied::not_current;
    if (a != Applied::yes) return a;
    apply_outcome(f->record.task, o);
    if (o.result) f->record.result = o.result;
    stage(std::move(f->record), f->from);
    return a;
  }

  void claim(const QueueClaim& c) {
    if (s_.paused.stat(c.queue + ".paused")) return;
    for (std::size_t taken = 0; taken < c.n;) {
      std::vector<std::string> ids = s_.index.due(c.queue, b_.now, c.n - taken);
      if (ids.empty()) return;
      for (const std::string& id : ids) taken += claim_one(id, c.queue) ? 1 : 0;
    }
  }

  // Claims a task the index names if its file agrees that it is due in `queue`.
  bool claim_one(const std::string& id, const std::string& queue) {
    auto f = current(id, {Slot::waiting});
    if (!f) {
      s_.index.erase(id);
      return false;
    }
    Task& t = f->record.task;
    if (!is_waiting(t.status) || t.queue != queue || due_time(t) > b_.now) {
      s_.index.put(t);  // the index was behind the file
      return false;
    }
    apply_claim(t, b_.now, b_.lease);
    r_.claimed.push_back(t);
    stage(std::move(f->record), f->from);
    return true;
  }

  // The task as this batch leaves it so far: staged, or read from its file.
  std::optional<Change> current(const std::string& id, std::initializer_list<Slot> slots) {
    auto it = at_.find(id);
    if (it == at_.end()) return s_.load(id, slots);
    const Record& r = changes_[it->second].record;
    return Change{r, slot_for(r.task.status)};
  }

  // Stages a task's new record, and indexes it at once for the steps after.
  void stage(Record record, std::optional<Slot> from) {
    s_.index.put(record.task);
    auto [it, fresh] = at_.emplace(record.task.id, changes_.size());
    if (fresh) {
      changes_.push_back(Change{std::move(record), from});
    } else {
      changes_[it->second].record = std::move(record);
    }
  }

  Impl& s_;
  const WriteBatch& b_;
  WriteResult r_;
  std::vector<Change> changes_;
  std::unordered_map<std::string, std::size_t> at_;  // id -> its change
};

WriteResult FileStorage::write(const WriteBatch& batch) {
  check_batch(batch);
  return impl_->locked(kChange, [&] { return Impl::Batch(*impl_, batch).run(); });
}

}  // namespace omniq
