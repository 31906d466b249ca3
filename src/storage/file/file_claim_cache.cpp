#include "file_claim_cache.hpp"

namespace omniq {

void ClaimCache::put(const std::string& id, Entry entry) {
  take(id);
  while (entries_.size() >= kCapacity) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  auto age = order_.insert(order_.end(), id);
  entries_.emplace(id, Slot{std::move(entry), age});
}

std::optional<ClaimCache::Entry> ClaimCache::take(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  Entry out = std::move(it->second.entry);
  order_.erase(it->second.age);
  entries_.erase(it);
  return out;
}

void ClaimCache::clear() {
  entries_.clear();
  order_.clear();
}

}  // namespace omniq
