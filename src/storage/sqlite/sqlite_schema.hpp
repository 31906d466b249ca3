// Creating, checking and upgrading the SQLite store's schema at open.
// Internal to the library.
#pragma once

#include "sqlite_db.hpp"

namespace omniq {

// In one write transaction:
//  - a new or empty database gets omniq's tables and indexes;
//  - user_version = ours: checked (every required column present), missing
//    indexes created;
//  - an older user_version (1: omniq before queues, priorities and unique
//    keys), or 0 with the original library's tables: the missing columns are
//    added (ALTER TABLE ... ADD COLUMN, all with defaults, so existing rows
//    read as queue "default", priority 0, no unique key), omniq's tables and
//    indexes created, and user_version set;
//  - a newer user_version, a `tasks` table lacking required columns, or a
//    database holding other tables and no `tasks`: StorageError, nothing
//    changed.
// REQUIRES: no transaction is open on `db`.
void ensure_sqlite_schema(SqliteDb& db);

}  // namespace omniq
