// SqliteStatement: one prepared statement, owned (RAII), prepared once and
// reused; StatementUse resets it when a scope ends so it never keeps a read
// open or old bindings. Internal to the library.
//
// Not thread-safe: a statement is used under its connection's owner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sqlite_db.hpp"

struct sqlite3_stmt;

namespace omniq {

enum class ColumnType { integer, real, text, blob, null };

class SqliteStatement {
 public:
  // Prepares `sql` on `db` (kept for reuse). Throws SqliteError.
  SqliteStatement(SqliteDb& db, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Parameters are numbered from 1. Text is copied.
  void bind(int index, std::string_view value);
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, std::int64_t value);
  void bind(int index, int value) { bind(index, static_cast<std::int64_t>(value)); }
  void bind(int index, double value);
  void bind(int index, const std::optional<std::string>& value);
  void bind_null(int index);
  // Binds text without copying it. REQUIRES: `value` outlives this use of the
  // statement (until its reset); for the hot paths binding encoded rows.
  void bind_ref(int index, std::string_view value);
  void bind_ref(int index, const std::string& value) { bind_ref(index, std::string_view(value)); }
  void bind_ref(int index, const std::optional<std::string>& value);

  // Advances to the next row: true when one is ready, false at the end.
  // Throws SqliteError.
  bool step();
  // Steps to the end and returns the rows the statement changed.
  int run();
  // Resets the statement and clears its bindings. Never throws.
  void reset() noexcept;

  // Columns are numbered from 0.
  ColumnType type(int column) const;
  bool is_null(int column) const { return type(column) == ColumnType::null; }
  std::int64_t integer(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  // The column's text without a copy, valid until the next step or reset.
  std::string_view text_view(int column) const;
  std::optional<std::string> opt_text(int column) const;

  std::string_view sql() const;

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends: `StatementUse q(stmt); q->bind(...)`.
class StatementUse {
 public:
  explicit StatementUse(SqliteStatement& s) : s_(s) {}
  ~StatementUse() { s_.reset(); }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

  SqliteStatement* operator->() { return &s_; }
  SqliteStatement& operator*() { return s_; }

 private:
  SqliteStatement& s_;
};

}  // namespace omniq
