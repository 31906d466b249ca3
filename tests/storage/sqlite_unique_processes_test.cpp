// SQLiteStorage's unique index across processes: eight processes racing to
// enqueue tasks of one unique key into one new database file create exactly
// one task, and every one of them is told its id.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "omniq/settings.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;

TEST(SqliteUniqueProcesses, EightProcessesRacingOneKeyCreateExactlyOneTask) {
  TempDir dir;
  std::string path = (dir / "race.db").string();
  constexpr int kProcesses = 8;
  constexpr int kRounds = 20;  // each process enqueues the key this many times
  int start[2];
  ASSERT_EQ(::pipe(start), 0);
  std::vector<pid_t> children;
  for (int c = 0; c < kProcesses; ++c) {
    children.push_back(spawn([&, c] {
      ::close(start[1]);
      char go;
      if (::read(start[0], &go, 1) != 0) return;  // released together when the pipe closes
      SQLiteStorage store(SQLiteStorage::Options{path});
      std::ofstream out(dir / ("enqueued-" + std::to_string(c)));
      for (int i = 0; i < kRounds; ++i) {
        Task t = make_task("race", Value::array({c, i}), {}, Settings{}, kT0 + microseconds(i));
        // Forked children share new_task_id's random state: give them ids of their own.
        t.id = "race-" + std::to_string(c) + "-" + std::to_string(i);
        t.unique_key = "the-key";
        t.unique_statuses = 0x13;  // PENDING, RUNNING, RETRYING
        Enqueued e = store.enqueue(t);
        out << e.id << " " << e.created << "\n";
      }
    }));
  }
  ::close(start[0]);
  ::close(start[1]);  // go
  for (pid_t pid : children) EXPECT_EQ(wait_for(pid), 0);

  std::set<std::string> ids;
  int created = 0, told = 0;
  for (int c = 0; c < kProcesses; ++c) {
    std::ifstream in(dir / ("enqueued-" + std::to_string(c)));
    std::string id;
    for (bool was_created; in >> id >> was_created; ++told) {
      ids.insert(id);
      created += was_created;
    }
  }
  EXPECT_EQ(told, kProcesses * kRounds);
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  SQLiteStorage store(SQLiteStorage::Options{path});
  EXPECT_EQ(store.stats().total(), 1u);
  EXPECT_EQ(store.get_task(*ids.begin())->unique_key, "the-key");
  store.close();
}

}  // namespace
}  // namespace omniq::testing
