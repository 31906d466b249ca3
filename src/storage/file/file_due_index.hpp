// DueIndex: the waiting tasks one FileStorage knows of, in claim order (due
// time, then created_at, then id, so that ties keep enqueue order). It lets
// dequeue pick the next candidate without listing queue/; entries can be
// stale (another process claimed the task meanwhile), which the claim itself
// finds out: the rename of <id>.task fails and the entry is dropped.
// Internal to the library; not synchronised (the store's mutex guards it).
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "omniq/task.hpp"

namespace omniq {

class DueIndex {
 public:
  using Key = std::tuple<Timestamp, Timestamp, std::string>;  // due, created_at, id

  // Adds a waiting task, or moves it to its new place.
  void put(const Task& task);
  // Puts back an entry pop_due returned.
  void put(Key key);
  void erase(const std::string& id);
  bool contains(const std::string& id) const { return keys_.count(id) != 0; }
  // Removes and returns the first entry due at `now` (its id last), or nullopt.
  std::optional<Key> pop_due(Timestamp now);
  // The earliest due time, if any.
  std::optional<Timestamp> earliest() const;
  void clear();
  // Drops the entries whose id is not in `ids`.
  void retain(const std::unordered_set<std::string>& ids);
  std::size_t size() const { return keys_.size(); }

 private:
  std::set<Key> order_;
  std::unordered_map<std::string, Key> keys_;
};

}  // namespace omniq
