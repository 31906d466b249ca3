// PgResult: the rows of one finished PostgreSQL statement, owned (RAII:
// PQclear on destruction). Values are read in libpq's text format; column
// numbers are those of the statement's select list. Internal to the
// PostgreSQL backend and the only header besides pg_connection.cpp that
// includes libpq-fe.h.
//
// Not thread-safe; a result is read by the thread that ran the statement.
#pragma once

#include <libpq-fe.h>

#include <charconv>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "omniq/error.hpp"

namespace omniq {

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}

  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col),
            static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
  }
  // REQUIRES: the column is an integer type and not NULL.
  std::int64_t integer(int row, int col) const {
    std::string_view t = text(row, col);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size()) {
      throw StorageError("PostgreSQL returned \"" + std::string(t.substr(0, 32)) +
                         "\" where an integer was expected");
    }
    return v;
  }
  bool boolean(int row, int col) const { return text(row, col) == "t"; }
  // Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t affected() const {
    const char* n = r_ ? PQcmdTuples(r_.get()) : "";
    return *n == '\0' ? 0 : std::stoll(n);
  }

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> r_;
};

}  // namespace omniq
