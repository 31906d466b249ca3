// ClaimCache: task files this store claimed (or renewed) last, kept open and
// unlocked with what they held after the claim, so the outcome that follows
// relocks and appends without looking the file up or reading it again.
//
// An entry is only a shortcut: its user relocks the file and checks that it
// still has a link and the size the claim left. Every change to a task file
// appends to it (or replaces it), so an unchanged size means nobody changed
// it since; anything else and the entry is dropped for the slow path. Holds at
// most kCapacity descriptors, forgetting the oldest. Internal to the library;
// not synchronised (the store's mutex guards it).
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "file_record.hpp"
#include "file_running_lock.hpp"

namespace omniq {

class ClaimCache {
 public:
  static constexpr std::size_t kCapacity = 256;

  struct Entry {
    RunningLock lock;  // open, not locked
    TaskFile file;     // what the file holds, as this store left it
  };

  void put(const std::string& id, Entry entry);
  // Removes and returns the entry for `id`, if any.
  std::optional<Entry> take(const std::string& id);
  void clear();
  std::size_t size() const { return entries_.size(); }

 private:
  struct Slot {
    Entry entry;
    std::list<std::string>::iterator age;
  };
  std::unordered_map<std::string, Slot> entries_;
  std::list<std::string> order_;  // oldest first
};

}  // namespace omniq
