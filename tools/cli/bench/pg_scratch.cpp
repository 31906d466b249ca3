#include "pg_scratch.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <vector>

#include "storage/postgres/pg_session.hpp"

namespace omniq::cli::bench {
namespace {

struct Finish {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, Finish>;

Conn connect(const std::string& url) {
  Conn c(PQconnectdb(pg_base_url(url).c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("cannot connect to PostgreSQL: ") +
                             PQerrorMessage(c.get()));
  }
  return c;
}

struct Clear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, Clear>;

// Runs sql (one statement, with params $1...); throws with the server's
// message when it fails.
Result exec(PGconn* c, const std::string& sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  Result r(PQexecParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0));
  ExecStatusType st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    throw std::runtime_error("PostgreSQL: " + std::string(PQerrorMessage(c)) + " in: " + sql);
  }
  return r;
}

std::string prefix() {
  return "bench_" + std::to_string(::getpid()) + "_";
}

}  // namespace

std::string pg_scratch_schema(const std::string& name) {
  std::string s = prefix() + name;
  for (char& ch : s) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) ch = '_';
  }
  return s.substr(0, 63);
}

std::string pg_base_url(const std::string& url) {
  return PgTarget::parse(url, Durability::full, std::chrono::seconds(10)).conninfo;
}

std::string pg_scratch_url(const std::string& url, const std::string& name) {
  std::string base = pg_base_url(url);
  return base + (base.find('?') == std::string::npos ? "?" : "&") +
         "schema=" + pg_scratch_schema(name);
}

void drop_pg_scratch(const std::string& url, const std::string& name) {
  try {
    Conn c = connect(url);
    exec(c.get(), "SET lock_timeout = '10s'");
    exec(c.get(), "SET client_min_messages = warning");  // no "drop cascades to" notices
    if (!name.empty()) {
      exec(c.get(), "DROP SCHEMA IF EXISTS \"" + pg_scratch_schema(name) + "\" CASCADE");
      return;
    }
    Result r = exec(c.get(), "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
                    {prefix()});
    std::vector<std::string> schemas;
    for (int i = 0; i < PQntuples(r.get()); ++i) schemas.emplace_back(PQgetvalue(r.get(), i, 0));
    for (const std::string& s : schemas) exec(c.get(), "DROP SCHEMA \"" + s + "\" CASCADE");
  } catch (const std::exception& e) {
    std::cerr << "omniq bench: could not drop its scratch schema(s) " << prefix()
              << (name.empty() ? "*" : name) << ": " << e.what() << "\n";
  }
}

double pg_commit_rate(const std::string& url, std::size_t n) {
  Conn c = connect(url);
  std::string schema = "\"" + pg_scratch_schema("probe") + "\"";
  exec(c.get(), "SET synchronous_commit = on");
  exec(c.get(), "SET client_min_messages = warning");
  exec(c.get(), "CREATE SCHEMA " + schema);
  exec(c.get(), "CREATE TABLE " + schema + ".probe (i bigint)");
  std::string insert = "INSERT INTO " + schema + ".probe VALUES ($1)";
  auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) exec(c.get(), insert, {std::to_string(i)});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  exec(c.get(), "DROP SCHEMA " + schema + " CASCADE");
  return secs > 0 ? static_cast<double>(n) / secs : 0.0;
}

}  // namespace omniq::cli::bench
