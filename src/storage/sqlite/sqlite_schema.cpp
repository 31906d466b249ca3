#include "sqlite_schema.hpp"

#include <set>
#include <string>
#include <vector>

#include "sqlite_sql.hpp"
#include "sqlite_statement.hpp"

namespace omniq {
namespace {

// Columns every readable tasks/results table has (the original's core).
const std::vector<std::string> kTaskRequired = {"id",      "func_path", "args",       "kwargs",
                                                "status",  "schedule",  "eta",        "max_retries",
                                                "timeout", "attempts",  "created_at", "updated_at"};
const std::vector<std::string> kResultRequired = {"task_id", "status",      "result",
                                                  "error",   "finished_at", "attempts"};

// Columns added when missing (ALTER TABLE ... ADD COLUMN): older tables of the
// original lack some, and omniq's own come last. All have defaults, so the
// original's INSERTs work and its rows read as queue "default", priority 0,
// no unique key.
const std::vector<std::string> kTaskAdded = {
    "last_attempt_at TEXT",
    "error TEXT",
    "lease_expires_at TEXT DEFAULT NULL",
    "cancel_requested INTEGER NOT NULL DEFAULT 0",
    "queue TEXT NOT NULL DEFAULT 'default'",
    "priority INTEGER NOT NULL DEFAULT 0",
    "unique_key TEXT DEFAULT NULL",
    "unique_statuses INTEGER NOT NULL DEFAULT 0",
    "retry_of TEXT DEFAULT NULL",
};
const std::vector<std::string> kResultAdded = {"last_attempt_at TEXT",
                                               "error_detail TEXT DEFAULT NULL"};

std::set<std::string> strings(SqliteDb& db, const std::string& query) {
  SqliteStatement s(db, query);
  std::set<std::string> out;
  while (s.step()) out.insert(s.text(0));
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

void upgrade_table(SqliteDb& db, const std::string& table, const std::vector<std::string>& required,
                   const std::vector<std::string>& added) {
  auto columns = strings(db, "SELECT name FROM pragma_table_info('" + table + "')");
  std::vector<std::string> missing;
  for (const auto& c : required) {
    if (!columns.count(c)) missing.push_back(c);
  }
  if (!missing.empty()) {
    throw StorageError("SQLite database \"" + db.path() + "\" has a table \"" + table +
                       "\" without the column(s) " + joined(missing) +
                       ": it was not written by omniq or the original library, so omniq will "
                       "not touch it (use a new database file)");
  }
  for (const std::string& definition : added) {
    if (!columns.count(definition.substr(0, definition.find(' ')))) {
      db.exec("ALTER TABLE " + table + " ADD COLUMN " + definition);
    }
  }
}

void create_or_upgrade(SqliteDb& db) {
  std::int64_t version = db.query_int("PRAGMA user_version");
  if (version > sql::kSchemaVersion) {
    throw StorageError(
        "SQLite database \"" + db.path() + "\" has schema version " + std::to_string(version) +
        ", written by a newer omniq; this omniq reads "
        "versions up to " +
        std::to_string(sql::kSchemaVersion) + " (upgrade omniq, or use another database file)");
  }
  if (version < 0) {
    throw StorageError("SQLite database \"" + db.path() + "\" has user_version " +
                       std::to_string(version) + ", which is not an omniq schema version");
  }
  auto tables = strings(db,
                        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                        "'sqlite\\_%' ESCAPE '\\'");
  if (!tables.count("tasks")) {
    if (!tables.empty()) {
      throw StorageError("SQLite database \"" + db.path() + "\" holds other tables (" +
                         joined({tables.begin(), tables.end()}) +
                         ") and no omniq \"tasks\" table; omniq will not add its tables to "
                         "another application's database (use a new database file)");
    }
    if (version != 0) {
      throw StorageError("SQLite database \"" + db.path() + "\" says omniq schema version " +
                         std::to_string(version) + " but has no tasks table; it is damaged");
    }
    db.exec(sql::kCreateTasks);
  }
  if (!tables.count("results")) db.exec(sql::kCreateResults);
  upgrade_table(db, "tasks", kTaskRequired, kTaskAdded);
  upgrade_table(db, "results", kResultRequired, kResultAdded);
  db.exec(sql::kCreateOwn);
  // A status index serves stats, list_tasks and purge; the original's tables
  // may have one already.
  std::int64_t status_indexes = db.query_int(
      "SELECT count(*) FROM pragma_index_list('tasks') AS l, pragma_index_info(l.name) AS i "
      "WHERE l.partial = 0 AND i.seqno = 0 AND i.name = 'status'");
  if (status_indexes == 0) db.exec("CREATE INDEX omniq_tasks_status ON tasks (status)");
  if (version != sql::kSchemaVersion) {
    db.exec("PRAGMA user_version = " + std::to_string(sql::kSchemaVersion));
  }
}

}  // namespace

void ensure_sqlite_schema(SqliteDb& db) {
  SqliteTransaction txn(db);
  create_or_upgrade(db);
  txn.commit();
}

}  // namespace omniq
