// The PostgreSQL backend's schema: its tables and indexes, and the
// migrations that bring a database's schema to kSchemaVersion. Internal to
// the PostgreSQL backend.
//
// migrate() is safe to run from many processes at once: it works in one
// transaction that first takes an advisory lock, so the first process
// creates or upgrades the schema and the others find it done.
#pragma once

#include "pg_connection.hpp"
#include "pg_session.hpp"

namespace omniq {

// The schema version this omniq creates and uses.
inline constexpr int kSchemaVersion = 1;

// Creates the target's schema and its tables, or upgrades them, to
// kSchemaVersion, in one transaction on the slot's session of `target`;
// each applied version is recorded once in schema_version. Throws
// StorageError for a schema newer than this omniq knows, for tables in the
// schema that omniq did not create, and when the database fails.
void migrate(PgSlot& slot, const PgTarget& target, Deadline deadline);

// The schema version recorded in the target's schema, or 0 when there is none.
int schema_version(PgConnection& conn, Deadline deadline);

}  // namespace omniq
