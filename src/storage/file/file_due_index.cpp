#include "file_due_index.hpp"

#include "storage_rules.hpp"

namespace omniq {

void DueIndex::put(const Task& task) {
  put(Key{due_time(task), task.created_at, task.id});
}

void DueIndex::put(Key key) {
  const std::string& id = std::get<2>(key);
  erase(id);
  order_.insert(key);
  keys_.emplace(id, std::move(key));
}

void DueIndex::erase(const std::string& id) {
  auto it = keys_.find(id);
  if (it == keys_.end()) return;
  order_.erase(it->second);
  keys_.erase(it);
}

std::optional<DueIndex::Key> DueIndex::pop_due(Timestamp now) {
  if (order_.empty() || std::get<0>(*order_.begin()) > now) return std::nullopt;
  Key key = *order_.begin();
  erase(std::get<2>(key));
  return key;
}

std::optional<Timestamp> DueIndex::earliest() const {
  if (order_.empty()) return std::nullopt;
  return std::get<0>(*order_.begin());
}

void DueIndex::retain(const std::unordered_set<std::string>& ids) {
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (ids.count(it->first) != 0) {
      ++it;
    } else {
      order_.erase(it->second);
      it = keys_.erase(it);
    }
  }
}

void DueIndex::clear() {
  order_.clear();
  keys_.clear();
}

}  // namespace omniq
