// What the PostgreSQL tests share: the test server's URL, a fresh schema for
// each test (so that tests never see each other's rows), a connection of the
// test's own, tasks, and stopping/starting the server.
//
// The server is scripts/pg-test-server.sh's: CTest starts it before these
// tests and runs them through `pg-test-server.sh run DIR -- ...`, which sets
// OMNIQ_TEST_PG_URL, OMNIQ_TEST_PG_DIR and OMNIQ_TEST_PG_SCRIPT. Without a
// server the tests fail and say so; they never skip.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "base/task_rules.hpp"
#include "omniq/settings.hpp"
#include "omniq/storage.hpp"
#include "storage/postgres/pg_connection.hpp"
#include "storage/postgres/pg_result.hpp"
#include "storage/postgres/pg_session.hpp"
#include "storage/postgres/postgres_storage.hpp"

namespace omniq::pgtest {

using namespace std::chrono;

inline const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: these tests need the PostgreSQL test server; run them "
                             "with `ctest -R postgres` or `scripts/pg-test-server.sh start DIR && "
                             "scripts/pg-test-server.sh run DIR -- omniq_postgres_tests`");
  }
  return v;
}

// The server's URL (no schema).
inline std::string base_url() {
  return env("OMNIQ_TEST_PG_URL");
}

// A schema name no other test (or earlier run) uses.
inline std::string fresh_schema(const std::string& prefix = "t") {
  static std::atomic<int> n{0};
  static const unsigned salt = std::random_device{}();
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(salt % 100000) + "_" +
         std::to_string(n++);
}

inline std::string url_for(const std::string& schema) {
  return base_url() + "?schema=" + schema;
}

inline std::unique_ptr<PostgresStorage> open_store(const std::string& schema,
                                                   Durability d = Durability::full,
                                                   Duration timeout = seconds(10)) {
  return std::make_unique<PostgresStorage>(PostgresStorage::Options{url_for(schema), d, timeout});
}

// A connection of the test's own, set up like the store's (search_path = schema).
inline std::unique_ptr<PgConnection> connect(const std::string& schema) {
  PgTarget t = PgTarget::parse(url_for(schema), Durability::full, seconds(30));
  return open_session(t, t.deadline());
}

inline Deadline soon(Duration d = seconds(30)) {
  return steady_clock::now() + d;
}

// A valid PENDING task of `queue`, created at kT0 + offset.
inline Task make(std::string func = "job", Duration offset = {}, std::string queue = "default") {
  TaskOptions o;
  o.queue = std::move(queue);
  return make_task(std::move(func), Value::array({1, "a"}), o, Settings{}, kT0 + offset);
}

// Runs scripts/pg-test-server.sh `command` (pause | resume) on the test server.
inline void server(const std::string& command) {
  std::string line = env("OMNIQ_TEST_PG_SCRIPT") + " " + command + " " + env("OMNIQ_TEST_PG_DIR");
  if (std::system(line.c_str()) != 0) throw std::runtime_error("failed: " + line);
}

}  // namespace omniq::pgtest
