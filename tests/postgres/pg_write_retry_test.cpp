// A write through a connection that breaks: the server ending the session
// in the middle of the transaction (a restart, an administrator) has the
// write run again on a new connection; a session ended during COMMIT has it
// run again only when the server says the transaction did not commit; a
// server that has just gone away is waited for within the call's time limit,
// one away for longer fails writes at once; and a session cut off inside a
// transaction holds its locks no longer than the timeout.
#include <thread>

#include "pg_test_support.hpp"
#include "support/store_calls.hpp"

namespace omniq::pgtest {
namespace {

// The pid of a session other than `self` waiting for a lock, or 0.
std::int64_t lock_waiter(PgConnection& conn, std::int64_t self) {
  PgResult r =
      conn.exec("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> $1",
                PgParams().integer(self), soon());
  return r.rows() == 0 ? 0 : r.integer(0, 0);
}

// Calls f() every 20 ms until it returns non-zero, for up to 10 s.
template <class F>
std::int64_t poll(F f) {
  for (int i = 0; i < 500; ++i) {
    if (std::int64_t v = f()) return v;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return 0;
}

TEST(PgWriteRetry, AWriteWhoseSessionEndsMidTransactionIsWrittenAgain) {
  std::string schema = fresh_schema("retry");
  auto store = open_store(schema);
  enqueue(*store, make("first"));
  auto blocker = connect(schema);
  auto watcher = connect(schema);  // outside any transaction: sees pg_stat_activity change
  std::int64_t self = blocker->exec("SELECT pg_backend_pid()", soon()).integer(0, 0);
  blocker->exec("BEGIN", soon());
  blocker->exec("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE", soon());

  Task task = make("second", seconds(1));
  std::optional<Enqueued> enqueued;
  std::thread writer([&] { enqueued = enqueue(*store, task); });
  std::int64_t first = poll([&] { return lock_waiter(*watcher, self); });
  std::int64_t second = 0;
  if (first != 0) {
    watcher->exec("SELECT pg_terminate_backend($1)", PgParams().integer(first), soon());
    // It comes back on a new session and waits for the lock again.
    second = poll([&] {
      std::int64_t pid = lock_waiter(*watcher, self);
      return pid == first ? 0 : pid;
    });
  }
  blocker->exec("ROLLBACK", soon());
  writer.join();
  EXPECT_NE(first, 0) << "the write never waited for the lock";
  EXPECT_NE(second, 0) << "the write did not come back on a new session";
  ASSERT_TRUE(enqueued.has_value());
  EXPECT_TRUE(enqueued->created);
  EXPECT_EQ(store->get_task(task.id), task);
}

// A deferred trigger that ends its own session the first time a transaction
// that `event`s a task commits (a sequence counts, outside any transaction).
void trap_first_commit(PgConnection& conn, const std::string& event) {
  conn.exec_script(
      "CREATE SEQUENCE trap_once; "
      "CREATE FUNCTION trap() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF nextval('trap_once') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); "
      "PERFORM pg_sleep(5); END IF; RETURN NULL; END $$; "
      "CREATE CONSTRAINT TRIGGER trap AFTER " +
          event + " ON tasks DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trap()",
      soon());
}

TEST(PgWriteRetry, AnEnqueueWhoseSessionEndsDuringCommitIsWrittenAgainWhenItDidNotCommit) {
  std::string schema = fresh_schema("retry");
  auto store = open_store(schema);
  auto conn = connect(schema);
  trap_first_commit(*conn, "INSERT");
  Task task = make();
  EXPECT_TRUE(enqueue(*store, task).created);
  EXPECT_EQ(store->get_task(task.id), task);
  // The trap fired once (the first COMMIT) and the write ran twice.
  EXPECT_EQ(conn->exec("SELECT last_value FROM trap_once", soon()).integer(0, 0), 2);
  EXPECT_EQ(conn->exec("SELECT count(*) FROM tasks", soon()).integer(0, 0), 1);
}

TEST(PgWriteRetry, AClaimWhoseSessionEndsDuringCommitFailsAndClaimsNothing) {
  std::string schema = fresh_schema("retry");
  auto store = open_store(schema);
  Task task = make();
  enqueue(*store, task);
  auto conn = connect(schema);
  trap_first_commit(*conn, "UPDATE");
  // A claim alone writes no transaction id to ask about: it cannot be told
  // whether it committed, so it fails (here it did not commit).
  EXPECT_THROW(claim(*store, kT0 + seconds(1), 1, seconds(30)), StorageError);
  EXPECT_EQ(store->get_task(task.id)->status, TaskStatus::PENDING);
  auto claimed = claim(*store, kT0 + seconds(1), 1, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, task.id);
}

TEST(PgWriteRetry, AWriteRidesOutAServerRestart) {
  std::string schema = fresh_schema("retry");
  auto store = open_store(schema, Durability::full, seconds(20));
  enqueue(*store, make("before"));
  server("pause");
  std::thread restarter([] {
    std::this_thread::sleep_for(milliseconds(1500));
    server("resume");
  });
  Task task = make("during", seconds(1));
  EXPECT_NO_THROW(enqueue(*store, task));
  restarter.join();
  EXPECT_EQ(store->get_task(task.id), task);
}

TEST(PgWriteRetry, AServerAwayLongerThanTheTimeoutFailsWritesAtOnce) {
  std::string schema = fresh_schema("retry");
  auto store = open_store(schema, Durability::full, seconds(4));
  enqueue(*store, make("before"));
  server("pause");
  EXPECT_THROW(enqueue(*store, make("waits")), StorageError);  // waited for the server
  auto start = steady_clock::now();
  EXPECT_THROW(enqueue(*store, make("fails")), StorageError);
  auto took = steady_clock::now() - start;
  server("resume");
  EXPECT_LT(took, seconds(3)) << "a write waited again for a server away for longer than 4 s";
  EXPECT_NO_THROW(enqueue(*store, make("after")));
}

TEST(PgWriteRetry, ASessionIdleInATransactionEndsAfterTheTimeout) {
  auto store = open_store(fresh_schema("retry"), Durability::full, seconds(7));
  EXPECT_EQ(store->server_setting("idle_in_transaction_session_timeout"), "7s");
}

}  // namespace
}  // namespace omniq::pgtest
