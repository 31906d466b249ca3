#include "file_index.hpp"

#include <climits>

#include "storage/storage_rules.hpp"

namespace omniq {

void FileIndex::put(const Task& t) {
  erase(t.id);
  Entry e;
  if (is_waiting(t.status)) {
    e.waiting = Place{t.queue, t.priority, due_time(t), t.id};
    waiting_.insert(*e.waiting);
    due_.emplace(due_time(t), t.id);
  }
  if (t.status == TaskStatus::RUNNING && t.lease_expires_at) {
    e.lease = t.lease_expires_at;
    leases_.emplace(*e.lease, t.id);
  }
  if (holds_unique_key(t)) {
    e.key = t.unique_key;
    keys_[*e.key] = t.id;
  }
  if (e.waiting || e.lease || e.key) entries_.emplace(t.id, std::move(e));
}

void FileIndex::erase(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const Entry& e = it->second;
  if (e.waiting) {
    waiting_.erase(*e.waiting);
    due_.erase({std::get<2>(*e.waiting), id});
  }
  if (e.lease) leases_.erase({*e.lease, id});
  if (e.key && keys_[*e.key] == id) keys_.erase(*e.key);
  entries_.erase(it);
}

std::vector<std::string> FileIndex::due(const std::string& queue, Timestamp now,
                                        std::size_t n) const {
  std::vector<std::string> out;
  auto it = waiting_.lower_bound({queue, INT_MIN, Timestamp::min(), ""});
  while (it != waiting_.end() && std::get<0>(*it) == queue && out.size() < n) {
    const auto& [q, priority, at, id] = *it;
    if (at <= now) {
      out.push_back(id);
      ++it;
    } else if (priority == INT_MAX) {
      break;
    } else {  // none due at this priority: on to the next
      it = waiting_.lower_bound({queue, priority + 1, Timestamp::min(), ""});
    }
  }
  return out;
}

std::optional<Timestamp> FileIndex::next_eta() const {
  return due_.empty() ? std::nullopt : std::optional(due_.begin()->first);
}

std::vector<std::string> FileIndex::expired(Timestamp now, std::size_t limit) const {
  std::vector<std::string> out;
  for (const auto& [until, id] : leases_) {
    if (until >= now || out.size() == limit) break;
    out.push_back(id);
  }
  return out;
}

std::optional<std::string> FileIndex::holder(const std::string& key) const {
  auto it = keys_.find(key);
  return it == keys_.end() ? std::nullopt : std::optional(it->second);
}

}  // namespace omniq
