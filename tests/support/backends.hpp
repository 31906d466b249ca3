// The stores every backend-independent test runs against.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "storage/file/file_storage.hpp"
#include "storage/memory/memory_storage.hpp"

namespace omniq::testing {

struct BackendFactory {
  std::string name;
  // Opens (or re-opens) a store kept in `dir`.
  std::function<std::shared_ptr<Storage>(const std::filesystem::path& dir)> open;
  bool persistent = true;
};

inline std::vector<BackendFactory> all_backends() {
  return {
      {"memory", [](const std::filesystem::path&) { return std::make_shared<MemoryStorage>(); },
       false},
      {"file",
       [](const std::filesystem::path& dir) {
         return std::make_shared<FileStorage>(
             FileStorage::Options{(dir / "store").string(), Durability::full, nullptr});
       }},
      // TODO(core): sqlite comes back on the new contract.
  };
}

inline std::vector<BackendFactory> persistent_backends() {
  auto all = all_backends();
  std::erase_if(all, [](const BackendFactory& b) { return !b.persistent; });
  return all;
}

// Shows a backend by name in test output.
inline void PrintTo(const BackendFactory& b, std::ostream* os) {
  *os << b.name;
}

inline std::string backend_name(const ::testing::TestParamInfo<BackendFactory>& info) {
  return info.param.name;
}

}  // namespace omniq::testing
