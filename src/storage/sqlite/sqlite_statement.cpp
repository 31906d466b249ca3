#include "sqlite_statement.hpp"

#include <sqlite3.h>

namespace omniq {

SqliteStatement::SqliteStatement(SqliteDb& db, std::string_view sql) : db_(&db) {
  int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, "preparing \"" + std::string(sql.substr(0, 120)) + "\"");
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(stmt_);
}

void SqliteStatement::check(int rc) const {
  if (rc != SQLITE_OK) db_->fail(rc, "binding a parameter");
}

void SqliteStatement::bind(int index, std::string_view value) {
  check(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

void SqliteStatement::bind(int index, std::int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value));
}

void SqliteStatement::bind(int index, double value) {
  check(sqlite3_bind_double(stmt_, index, value));
}

void SqliteStatement::bind(int index, std::nullopt_t) {
  check(sqlite3_bind_null(stmt_, index));
}

bool SqliteStatement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  // cppcheck-suppress missingReturn ; SqliteDb::fail below is [[noreturn]] (it always throws)
  if (rc == SQLITE_DONE) return false;
  const char* sql = sqlite3_sql(stmt_);
  db_->fail(rc, "running \"" + std::string(sql ? sql : "").substr(0, 120) + "\"");
}

int SqliteStatement::run() {
  while (step()) {
  }
  return db_->changes();
}

void SqliteStatement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

ColumnType SqliteStatement::type(int column) const {
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_INTEGER:
      return ColumnType::integer;
    case SQLITE_FLOAT:
      return ColumnType::real;
    case SQLITE_TEXT:
      return ColumnType::text;
    case SQLITE_BLOB:
      return ColumnType::blob;
    default:
      return ColumnType::null;
  }
}

std::int64_t SqliteStatement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double SqliteStatement::real(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string SqliteStatement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string_view SqliteStatement::text_view(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  if (p == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(p),
                          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

}  // namespace omniq
