// A SQLite file in the original Python library's format, for the tests of
// SQLiteStorage sharing a database with it: the original's schema and its
// INSERT, which knows only its own fourteen columns.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "storage/sqlite/sqlite_db.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {

// The original library's schema, as its SQLiteStorage._migrate creates it.
inline const char* const kOriginalSchema = R"(
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    func_path TEXT NOT NULL,
    args TEXT NOT NULL,
    kwargs TEXT NOT NULL,
    status TEXT NOT NULL,
    schedule TEXT NOT NULL,
    eta TEXT,
    max_retries INTEGER NOT NULL,
    timeout INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_attempt_at TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS results (
    task_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    result TEXT,
    error TEXT,
    finished_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_attempt_at TEXT,
    FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_tasks_status_eta ON tasks (status, eta);
CREATE INDEX IF NOT EXISTS idx_tasks_eta ON tasks (eta);
CREATE INDEX IF NOT EXISTS idx_tasks_status ON tasks (status);
)";

// A row as the original writes it. The *_sql fields are SQL literals.
struct OriginalRow {
  std::string id;
  std::string status = "PENDING";
  std::string schedule = R"({"eta": null, "interval": null})";
  std::string eta_sql = "NULL";
  std::string timeout_sql = "NULL";
  std::string created_at = "2026-11-26T04:06:40+00:00";
  int attempts = 0;
  std::string last_attempt_at_sql = "NULL";
};

// The original's INSERT: only its own fourteen columns.
inline std::string original_insert(const OriginalRow& r) {
  return "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, "
         "timeout, attempts, created_at, updated_at, last_attempt_at, error) VALUES ('" +
         r.id + "', 'app.tasks.add', '[1, 2]', '{\"x\": \"y\"}', '" + r.status + "', '" +
         r.schedule + "', " + r.eta_sql + ", 3, " + r.timeout_sql + ", " +
         std::to_string(r.attempts) + ", '" + r.created_at + "', '" + r.created_at + "', " +
         r.last_attempt_at_sql + ", 'null')";
}

// A database file the original created (WAL, its schema), a connection of the
// test's own to it, and an SQLiteStorage opened on it when first asked for.
class OriginalDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    raw_ = std::make_unique<SqliteDb>(path(), std::chrono::seconds(5));
    raw_->exec("PRAGMA journal_mode = WAL");
    raw_->exec(kOriginalSchema);
  }
  void TearDown() override {
    if (store_) store_->close();
  }
  std::string path() const { return (dir_ / "python.db").string(); }
  SQLiteStorage& store() {
    if (!store_) store_ = std::make_unique<SQLiteStorage>(SQLiteStorage::Options{path()});
    return *store_;
  }
  void insert(const OriginalRow& row) { raw_->exec(original_insert(row)); }
  std::string text(const std::string& query) { return raw_->query_text(query); }

  TempDir dir_;
  std::unique_ptr<SqliteDb> raw_;
  std::unique_ptr<SQLiteStorage> store_;
};

}  // namespace omniq::testing
