// The RAII layer over libpq: connecting, statements and their parameters,
// errors, deadlines, and reading the store's URL.
#include "pg_test_support.hpp"

namespace omniq::pgtest {
namespace {

std::unique_ptr<PgConnection> raw(const std::string& url, Duration within = seconds(10)) {
  return std::make_unique<PgConnection>(url, "test server", steady_clock::now() + within);
}

TEST(PgConnection, ConnectFailureIsAStorageErrorNamingTheHost) {
  try {
    PostgresStorage s({"postgresql://postgres@127.0.0.1:1/postgres", Durability::full, seconds(5)});
    FAIL() << "connected to port 1";
  } catch (const StorageError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:1/postgres"), std::string::npos) << what;
    EXPECT_NE(what.find("unreachable"), std::string::npos) << what;
  }
}

TEST(PgConnection, UnknownHostIsAStorageErrorNamingIt) {
  try {
    PostgresStorage s(
        {"postgresql://postgres@no-such-host.invalid/x", Durability::full, seconds(5)});
    FAIL() << "connected to no-such-host.invalid";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-host.invalid"), std::string::npos) << e.what();
  }
}

TEST(PgConnection, BadSqlIsAStorageErrorWithTheServersMessage) {
  auto c = raw(base_url());
  try {
    c->exec("SELEC 1", soon());
    FAIL() << "bad SQL ran";
  } catch (const PgError& e) {
    EXPECT_NE(std::string(e.what()).find("syntax error at or near \"SELEC\""), std::string::npos)
        << e.what();
    EXPECT_EQ(e.sqlstate(), "42601");
    EXPECT_FALSE(e.unreachable());
  }
  EXPECT_EQ(c->exec("SELECT 41 + 1", soon()).integer(0, 0), 42);  // still usable
}

TEST(PgConnection, ParametersAreSentApartFromTheSql) {
  auto c = raw(base_url());
  const std::string nasty = "x'); DROP TABLE pg_class; -- \\ \" $1 \xC3\xA9";
  PgResult r = c->exec("SELECT $1::text, $2::text IS NULL, length($1)",
                       PgParams().text(nasty).null(), soon());
  EXPECT_EQ(r.text(0, 0), nasty);
  EXPECT_TRUE(r.boolean(0, 1));
  EXPECT_EQ(r.integer(0, 2), 37);  // characters, é is one
  EXPECT_EQ(c->exec("SELECT count(*) > 0 FROM pg_class", soon()).boolean(0, 0), true);
}

TEST(PgConnection, ACallEndsAtItsDeadlineWhenTheServerDoesNotAnswer) {
  auto c = raw(base_url());
  auto start = steady_clock::now();
  try {
    c->exec("SELECT pg_sleep(5)", steady_clock::now() + milliseconds(300));
    FAIL() << "pg_sleep(5) returned before a 300 ms deadline";
  } catch (const PgError& e) {
    EXPECT_TRUE(e.unreachable()) << e.what();
    EXPECT_NE(std::string(e.what()).find("unreachable"), std::string::npos) << e.what();
  }
  EXPECT_LT(steady_clock::now() - start, seconds(2));
  EXPECT_FALSE(c->alive());
}

TEST(PgConnection, ScriptsRunSeveralStatements) {
  auto c = raw(base_url());
  c->exec_script("CREATE TEMP TABLE t (x int); INSERT INTO t VALUES (1), (2)", soon());
  EXPECT_EQ(c->exec("SELECT sum(x) FROM t", soon()).integer(0, 0), 3);
}

TEST(PgTarget, TakesTheSchemaOutOfTheUrl) {
  PgTarget t = PgTarget::parse("postgresql://u@h:5433/db?sslmode=disable&schema=jobs",
                               Durability::normal, seconds(3));
  EXPECT_EQ(t.conninfo, "postgresql://u@h:5433/db?sslmode=disable");
  EXPECT_EQ(t.schema, "jobs");
  EXPECT_EQ(t.where, "\"h:5433/db\"");
  EXPECT_EQ(t.quoted_schema(), "\"jobs\"");
  EXPECT_EQ(PgTarget::parse("postgres://u@h/db?schema=a_1", Durability::full, seconds(1)).conninfo,
            "postgres://u@h/db");
  EXPECT_EQ(PgTarget::parse("postgres://u@h/db", Durability::full, seconds(1)).schema, "omniq");
  EXPECT_EQ(PgTarget::parse("host=h dbname=d", Durability::full, seconds(1)).where, "\"h/d\"");
}

TEST(PgTarget, RefusesBadSchemaNamesAndUrls) {
  for (const std::string& bad : std::vector<std::string>{"Jobs", "1abc", "pg_jobs", "a-b", "a;drop",
                                                         "a\"b", "", std::string(64, 'a')}) {
    EXPECT_THROW(PgTarget::parse("postgresql://u@h/db?schema=" + bad, Durability::full, seconds(1)),
                 ConfigError)
        << bad;
  }
  EXPECT_NO_THROW(PgTarget::parse("postgresql://u@h/db?schema=" + std::string(63, 'a'),
                                  Durability::full, seconds(1)));
  EXPECT_THROW(PgTarget::parse("postgresql://u@h/db?nonsense=1", Durability::full, seconds(1)),
               ConfigError);
  EXPECT_THROW(PostgresStorage({"postgresql://u@h/db?schema=Bad", Durability::full, seconds(1)}),
               ConfigError);
}

TEST(PgTarget, MessagesNeverShowThePassword) {
  try {
    PostgresStorage s(
        {"postgresql://postgres:s3cret@127.0.0.1:1/postgres", Durability::full, seconds(5)});
    FAIL() << "connected to port 1";
  } catch (const StorageError& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace omniq::pgtest
