// SQLiteStorage: the schema at open (versions, foreign databases, files that
// are not databases), persistence across reopen, and file permissions.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "base/task_rules.hpp"
#include "omniq/settings.hpp"
#include "storage/sqlite/sqlite_db.hpp"
#include "storage/sqlite/sqlite_sql.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;

class SqliteSchema : public ::testing::Test {
 protected:
  std::string path() const { return (dir_ / "q.db").string(); }
  std::unique_ptr<SQLiteStorage> open() {
    return std::make_unique<SQLiteStorage>(SQLiteStorage::Options{path()});
  }
  // A connection of the test's own, for looking at and preparing the file.
  std::unique_ptr<SqliteDb> raw() { return std::make_unique<SqliteDb>(path(), seconds(5)); }
  Task make(std::string func, Duration offset = {}) {
    return make_task(std::move(func), Value::array({1}), {}, Settings{}, kT0 + offset);
  }

  TempDir dir_;
};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const StorageError& e) {
    return e.what();
  }
  return "(no StorageError)";
}

TEST_F(SqliteSchema, NewDatabaseGetsOmniqsTablesIndexesAndVersion) {
  open()->close();
  auto db = raw();
  EXPECT_EQ(db->query_int("PRAGMA user_version"), sql::kSchemaVersion);
  EXPECT_EQ(db->query_text("PRAGMA journal_mode"), "wal");
  for (const char* name :
       {"omniq_tasks_claim", "omniq_tasks_odd_eta", "omniq_tasks_lease", "omniq_tasks_unique",
        "omniq_tasks_status", "omniq_queues", "omniq_workers"}) {
    EXPECT_EQ(db->query_int("SELECT count(*) FROM sqlite_schema WHERE name = '" +
                            std::string(name) + "'"),
              1)
        << name;
  }
  EXPECT_EQ(db->query_int("SELECT count(*) FROM pragma_table_info('tasks')"), 21);
  EXPECT_EQ(db->query_int("SELECT count(*) FROM pragma_table_info('results')"), 8);
}

TEST_F(SqliteSchema, ANewerSchemaVersionIsRefusedAndLeftAlone) {
  open()->close();
  raw()->exec("PRAGMA user_version = " + std::to_string(sql::kSchemaVersion + 1));
  std::string why = message_of([&] { open(); });
  EXPECT_NE(why.find("newer omniq"), std::string::npos) << why;
  EXPECT_NE(why.find(std::to_string(sql::kSchemaVersion + 1)), std::string::npos) << why;
  EXPECT_EQ(raw()->query_int("PRAGMA user_version"), sql::kSchemaVersion + 1);
}

TEST_F(SqliteSchema, AForeignTasksTableIsRefusedAndNotAltered) {
  raw()->exec("CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT, done INTEGER)");
  std::string why = message_of([&] { open(); });
  EXPECT_NE(why.find("without the column(s)"), std::string::npos) << why;
  EXPECT_NE(why.find("func_path"), std::string::npos) << why;
  auto db = raw();
  EXPECT_EQ(db->query_int("SELECT count(*) FROM pragma_table_info('tasks')"), 3);
  EXPECT_EQ(db->query_int("PRAGMA user_version"), 0);
  EXPECT_EQ(db->query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'results'"), 0);
}

TEST_F(SqliteSchema, AnotherApplicationsDatabaseIsRefused) {
  raw()->exec("CREATE TABLE users (name TEXT)");
  std::string why = message_of([&] { open(); });
  EXPECT_NE(why.find("users"), std::string::npos) << why;
  EXPECT_EQ(raw()->query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'tasks'"), 0);
}

TEST_F(SqliteSchema, AFileThatIsNotADatabaseIsRefused) {
  {
    std::ofstream f(path());
    f << "this is a text file, long enough to have what looks like a header: 0123456789\n";
  }
  std::string why = message_of([&] { open(); });
  EXPECT_NE(why.find("is not an SQLite database"), std::string::npos) << why;
}

TEST_F(SqliteSchema, AMissingDirectoryIsAStorageError) {
  SQLiteStorage::Options o{(dir_ / "no" / "such" / "dir" / "q.db").string()};
  std::string why = message_of([&] { SQLiteStorage s(o); });
  EXPECT_NE(why.find("cannot create"), std::string::npos) << why;
}

TEST_F(SqliteSchema, ReopeningKeepsTasksResultsAndClaims) {
  Task waiting = make("waiting");
  waiting.schedule = {kT0 + minutes(5), minutes(1)};
  waiting.timeout = milliseconds(2500);
  waiting.kwargs = Value{{"k", "v"}};
  waiting.queue = "mail";
  waiting.priority = -2;
  waiting.unique_key = "mail:1";
  waiting.unique_statuses = 0x13;
  Task done = make("done", seconds(1));
  Task running = make("running", seconds(2));
  Task claimed_running;
  TaskResult result;
  {
    auto s = open();
    enqueue(*s, waiting);
    enqueue_many(*s, std::vector<Task>{done, running});
    auto claimed = claim(*s, kT0 + seconds(10), 2, seconds(30));
    ASSERT_EQ(claimed.size(), 2u);
    claimed_running = claimed[1];
    result = TaskResult{done.id,          TaskStatus::SUCCESS, Value{{"answer", 42}},
                        std::nullopt,     kT0 + seconds(11),   1,
                        kT0 + seconds(10)};
    Outcome o;
    o.task_id = done.id;
    o.attempt = 1;
    o.result = result;
    o.at = kT0 + seconds(11);
    ASSERT_EQ(finish(*s, {o}), std::vector<Applied>{Applied::yes});
    s->set_paused("mail", true);
    s->close();
  }
  auto s = open();
  EXPECT_EQ(s->get_task(waiting.id), waiting);
  EXPECT_EQ(s->get_task(running.id), claimed_running);
  EXPECT_EQ(s->get_task(done.id)->status, TaskStatus::SUCCESS);
  EXPECT_EQ(s->get_result(done.id), result);
  QueueStats st = s->stats();
  EXPECT_EQ(st.count(TaskStatus::PENDING), 1u);
  EXPECT_EQ(st.count(TaskStatus::RUNNING), 1u);
  EXPECT_EQ(st.count(TaskStatus::SUCCESS), 1u);
  EXPECT_EQ(st.paused, std::vector<std::string>{"mail"});
  EXPECT_EQ(s->next_eta(), kT0 + minutes(5));
  EXPECT_EQ(enqueue(*s, make("again", seconds(3))).created, true);
  Task twin = make("twin", seconds(4));
  twin.unique_key = "mail:1";
  twin.unique_statuses = 0x13;
  EXPECT_EQ(enqueue(*s, twin), (Enqueued{waiting.id, false}));
  // The reopened store still honours the claim's lease, and lists it after.
  EXPECT_TRUE(s->expired(kT0 + seconds(20), 10).empty());
  auto lost = s->expired(kT0 + minutes(1), 10);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0], claimed_running);
}

TEST_F(SqliteSchema, DatabaseFilesAreCreatedPrivate) {
  auto s = open();
  enqueue(*s, make("job"));  // the -wal and -shm files exist while it is open
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat((path() + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "q.db" << suffix;
  }
}

TEST_F(SqliteSchema, FilesArePrivateEvenUnderAPermissiveUmask) {
  mode_t old = ::umask(0);
  auto s = open();
  ::umask(old);
  enqueue(*s, make("job"));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    ASSERT_EQ(::stat((path() + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "q.db" << suffix;
  }
}

TEST_F(SqliteSchema, InMemoryDatabaseWorksOnOneConnectionWithoutAWatch) {
  SQLiteStorage s(SQLiteStorage::Options{":memory:", Durability::off});
  EXPECT_EQ(s.watch(), nullptr);
  Task t = make("mem");
  enqueue(s, t);
  EXPECT_EQ(s.get_task(t.id), t);
  auto claimed = claim(s, kT0, 1, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  Outcome o;
  o.task_id = t.id;
  o.attempt = 1;
  o.result = TaskResult{t.id, TaskStatus::SUCCESS, Value(1), {}, kT0, 1, {}};
  o.at = kT0;
  EXPECT_EQ(finish(s, {o}), std::vector<Applied>{Applied::yes});
  EXPECT_EQ(s.stats().count(TaskStatus::SUCCESS), 1u);
}

TEST_F(SqliteSchema, NegativeBusyTimeoutIsAConfigError) {
  SQLiteStorage::Options o{path(), Durability::full, microseconds(-1)};
  EXPECT_THROW(SQLiteStorage s(o), ConfigError);
}

}  // namespace
}  // namespace omniq::testing
