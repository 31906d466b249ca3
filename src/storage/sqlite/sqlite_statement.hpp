// SqliteStatement: one prepared statement, owned (RAII), prepared once and
// reused; Query binds its parameters and resets it when a scope ends, so it
// never keeps a read open or old bindings. Internal to the library.
//
// Not thread-safe: a statement is used under its connection's owner.
#pragma once

#include <algorithm>
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
  // Prepares `sql` on `db`. Throws SqliteError.
  SqliteStatement(SqliteDb& db, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Parameters are numbered from 1; text is copied; nullopt binds NULL.
  void bind(int index, std::string_view value);
  void bind(int index, std::int64_t value);
  void bind(int index, int value) { bind(index, std::int64_t{value}); }
  // A count; more than an int64 holds reads as "no limit".
  void bind(int index, std::size_t value) {
    bind(index, static_cast<std::int64_t>(std::min<std::size_t>(value, INT64_MAX)));
  }
  void bind(int index, double value);
  void bind(int index, std::nullopt_t);
  template <class T>
  void bind(int index, const std::optional<T>& value) {
    value ? bind(index, *value) : bind(index, std::nullopt);
  }
  // Binds the values to ?1, ?2, ... in order.
  template <class... Values>
  void bind_all(const Values&... values) {
    int index = 0;
    (bind(++index, values), ...);
  }

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

 private:
  void check(int bind_rc) const;

  SqliteDb* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A statement in use: `Query q(db.prepared(sql), a, b); while (q->step())`
// binds a, b to ?1, ?2 and resets the statement when the scope ends.
class Query {
 public:
  template <class... Values>
  explicit Query(SqliteStatement& s, const Values&... values) : s_(s) {
    s_.bind_all(values...);
  }
  ~Query() { s_.reset(); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  SqliteStatement* operator->() { return &s_; }
  SqliteStatement& operator*() { return s_; }

 private:
  SqliteStatement& s_;
};

}  // namespace omniq
