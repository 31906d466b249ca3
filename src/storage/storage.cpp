#include "omniq/storage.hpp"

#include <numeric>

#include "base/serializer.hpp"
#include "base/task_rules.hpp"
#include "omniq/error.hpp"
#include "storage/file/file_storage.hpp"
#include "storage/memory/memory_storage.hpp"
#include "storage/postgres/postgres_storage.hpp"
#include "storage/sqlite/sqlite_storage.hpp"

namespace omniq {

std::size_t QueueStats::total() const {
  return std::accumulate(counts.begin(), counts.end(), std::size_t{0});
}

std::shared_ptr<Storage> make_storage(const Settings& settings) {
  settings.validate();
  switch (settings.backend) {
    case Backend::memory:
      return std::make_shared<MemoryStorage>();
    case Backend::sqlite:
      return std::make_shared<SQLiteStorage>(
          SQLiteStorage::Options{sqlite_path(settings), settings.durability});
    case Backend::file:
      return std::make_shared<FileStorage>(FileStorage::Options{
          settings.base_dir, settings.durability, make_serializer(settings.serializer)});
    case Backend::postgres:
      return std::make_shared<PostgresStorage>(
          PostgresStorage::Options{settings.database_url, settings.durability});
  }
  throw ConfigError("backend " + std::string(to_string(settings.backend)) +
                    " is not built into this omniq");
}

}  // namespace omniq
