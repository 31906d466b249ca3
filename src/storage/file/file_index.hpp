// FileIndex: one process's view of the file store, so that claims,
// next_eta, expired() and unique keys never list or read the whole queue:
// waiting tasks in claim order (queue, priority, due time, then id, which
// is enqueue order), running tasks by lease, and the tasks holding a unique
// key. The store keeps it current from its own changes and those of other
// processes. It only points at files: a claim reads the file it picks, and
// the file wins where they disagree. Internal; not synchronised.
#pragma once

#include <set>
#include <tuple>
#include <unordered_map>

#include "omniq/task.hpp"

namespace omniq {

class FileIndex {
 public:
  // Records `t` as it now stands.
  void put(const Task& t);
  void erase(const std::string& id);
  void clear() { *this = FileIndex(); }

  // Returns up to `n` ids of tasks of `queue` due at `now`, in claim order.
  std::vector<std::string> due(const std::string& queue, Timestamp now, std::size_t n) const;
  // Returns the earliest due time of a waiting task, if any.
  std::optional<Timestamp> next_eta() const;
  // Returns up to `limit` ids of running tasks whose lease ran out before
  // `now`, oldest lease first.
  std::vector<std::string> expired(Timestamp now, std::size_t limit) const;
  // Returns the id of the task holding unique key `key`, if any.
  std::optional<std::string> holder(const std::string& key) const;

 private:
  using Place = std::tuple<std::string, int, Timestamp, std::string>;  // queue, priority, due, id
  using ByTime = std::pair<Timestamp, std::string>;
  struct Entry {
    std::optional<Place> waiting;
    std::optional<Timestamp> lease;  // running
    std::optional<std::string> key;  // held
  };
  std::unordered_map<std::string, Entry> entries_;
  std::set<Place> waiting_;
  std::set<ByTime> due_;                               // waiting tasks by due time
  std::set<ByTime> leases_;                            // running tasks by lease
  std::unordered_map<std::string, std::string> keys_;  // unique key -> holder
};

}  // namespace omniq
