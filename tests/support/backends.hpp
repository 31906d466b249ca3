// The stores every backend-independent test runs against.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "storage/file/file_storage.hpp"
#include "storage/memory/memory_storage.hpp"
#include "storage/postgres/postgres_storage.hpp"
#include "storage/sqlite/sqlite_storage.hpp"

namespace omniq::testing {

struct BackendFactory {
  std::string name;
  // Opens (or re-opens) a store kept in `dir`.
  std::function<std::shared_ptr<Storage>(const std::filesystem::path& dir)> open;
  bool persistent = true;
};

#ifdef OMNIQ_TEST_POSTGRES
// The PostgreSQL test binary runs the backend-independent suites on
// PostgreSQL only, against the server its CTest fixture started; each store
// directory gets a schema of its own, so a reopened store sees its tasks.
inline std::vector<BackendFactory> all_backends() {
  return {{"postgres", [](const std::filesystem::path& dir) {
             const char* url = std::getenv("OMNIQ_TEST_PG_URL");
             if (url == nullptr) {
               throw std::runtime_error(
                   "OMNIQ_TEST_PG_URL is not set: run these tests with ctest -R postgres");
             }
             std::string schema = "c_" + std::to_string(std::hash<std::string>{}(dir.string()));
             return std::make_shared<PostgresStorage>(PostgresStorage::Options{
                 std::string(url) + "?schema=" + schema, Durability::full});
           }}};
}
#else
inline std::vector<BackendFactory> all_backends() {
  return {
      {"memory", [](const std::filesystem::path&) { return std::make_shared<MemoryStorage>(); },
       false},
      {"file",
       [](const std::filesystem::path& dir) {
         return std::make_shared<FileStorage>(
             FileStorage::Options{(dir / "store").string(), Durability::full, nullptr});
       }},
      {"sqlite",
       [](const std::filesystem::path& dir) {
         return std::make_shared<SQLiteStorage>(SQLiteStorage::Options{(dir / "q.db").string()});
       }},
  };
}
#endif

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
