#include "file_due_index.hpp"

#include "storage_rules.hpp"

namespace omniq {

void DueIndex::put(const Task& task) {
  erase(task.id);
  Key key{due_time(task), task.created_at, task.id};
  order_.insert(key);
  keys_.emplace(task.id, std::move(key));
}

void DueIndex::erase(const std::string& id) {
  auto it = keys_.find(id);
  if (it == keys_.end()) return;
  order_.erase(it->second);
  keys_.erase(it);
}

std::optional<std::string> DueIndex::pop_due(Timestamp now) {
  if (order_.empty() || std::get<0>(*order_.begin()) > now) return std::nullopt;
  std::string id = std::get<2>(*order_.begin());
  erase(id);
  return id;
}

std::optional<Timestamp> DueIndex::earliest() const {
  if (order_.empty()) return std::nullopt;
  return std::get<0>(*order_.begin());
}

void DueIndex::clear() {
  order_.clear();
  keys_.clear();
}

}  // namespace omniq
