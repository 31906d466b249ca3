// Under Durability::full a write of claims alone commits without waiting for
// the WAL flush (as SQLite's does): a server crash can only undo a claim, and
// its task then runs again. Enqueues and outcomes still wait for it.
// A trigger records the synchronous_commit each write ran under.
#include "pg_test_support.hpp"

#include "support/store_calls.hpp"

namespace omniq::pgtest {
namespace {

// A trigger on tasks that notes each row written and the setting it was written under.
void note_settings(PgConnection& conn) {
  conn.exec_script(
      "CREATE TABLE seen (n serial, what text, setting text); "
      "CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "INSERT INTO seen (what, setting) VALUES (lower(TG_OP) || ' ' || NEW.status, "
      "current_setting('synchronous_commit')); RETURN NULL; END $$; "
      "CREATE TRIGGER note AFTER INSERT OR UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION note()",
      soon());
}

// What the trigger noted since the last call, in order.
std::vector<std::string> seen(PgConnection& conn) {
  PgResult r = conn.exec("SELECT what || ' ' || setting FROM seen ORDER BY n", soon());
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0));
  conn.exec("DELETE FROM seen", soon());
  return out;
}

TEST(PgLightClaims, OnlyAWriteOfClaimsAloneSkipsTheFlushUnderFullDurability) {
  std::string schema = fresh_schema("light");
  auto store = open_store(schema, Durability::full);
  auto conn = connect(schema);
  note_settings(*conn);

  enqueue(*store, make());
  EXPECT_EQ(seen(*conn), std::vector<std::string>{"insert PENDING on"});
  std::vector<Task> claimed = claim(*store, kT0 + seconds(1), 1, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(seen(*conn), std::vector<std::string>{"update RUNNING off"});
  Outcome done{claimed[0].id, claimed[0].attempts, TaskStatus::SUCCESS};
  done.at = kT0 + seconds(2);
  done.result = TaskResult{claimed[0].id,    TaskStatus::SUCCESS, Value(1),        std::nullopt,
                           kT0 + seconds(2), claimed[0].attempts, kT0 + seconds(1)};
  finish(*store, {done});
  EXPECT_EQ(seen(*conn), std::vector<std::string>{"update SUCCESS on"});
  EXPECT_EQ(store->server_setting("synchronous_commit"), "on");  // the session's own setting
}

TEST(PgLightClaims, UnderNormalDurabilityNothingWaitsForTheFlush) {
  std::string schema = fresh_schema("light");
  auto store = open_store(schema, Durability::normal);
  auto conn = connect(schema);
  note_settings(*conn);
  enqueue(*store, make());
  claim(*store, kT0 + seconds(1), 1, seconds(30));
  EXPECT_EQ(seen(*conn), (std::vector<std::string>{"insert PENDING off", "update RUNNING off"}));
}

}  // namespace
}  // namespace omniq::pgtest
