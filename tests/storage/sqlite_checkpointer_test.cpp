// SqliteCheckpointer: WAL checkpoints run on the checkpointer's own thread,
// not in the writer's commit, and the WAL stays bounded.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>

#include "storage/sqlite/sqlite_checkpointer.hpp"
#include "storage/sqlite/sqlite_db.hpp"
#include "storage/sqlite/sqlite_statement.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

class SqliteCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec("PRAGMA synchronous = OFF");
    db_.exec("CREATE TABLE t (x INTEGER PRIMARY KEY, pad TEXT)");
  }

  // One commit per row, each at least one WAL page.
  void write_rows(int from, int count) {
    SqliteStatement s(db_, "INSERT INTO t (x, pad) VALUES (?1, ?2)");
    std::string pad(3000, 'x');
    for (int i = from; i < from + count; ++i) Query(s, i, pad)->run();
  }

  std::uintmax_t wal_bytes() const {
    std::error_code ec;
    auto size = std::filesystem::file_size(dir_ / "c.db-wal", ec);
    return ec ? 0 : size;
  }

  TempDir dir_;
  SqliteDb db_{(dir_ / "c.db").string(), seconds(5)};
};

TEST_F(SqliteCheckpointerTest, CheckpointsOnItsOwnThreadAndKeepsTheWalBounded) {
  SqliteCheckpointer checkpointer(db_, "PRAGMA synchronous = OFF", seconds(5));
  write_rows(0, 3 * SqliteCheckpointer::kWalPages);
  auto deadline = steady_clock::now() + seconds(10);
  while (checkpointer.checkpoints() == 0 && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_GT(checkpointer.checkpoints(), 0u);
  // At most the inline limit's worth of pages (plus headers) ever accumulates.
  std::uintmax_t limit = static_cast<std::uintmax_t>(SqliteCheckpointer::kWalPages *
                                                     SqliteCheckpointer::kInlineFactor) *
                         (4096 + 24) * 2;
  EXPECT_LT(wal_bytes(), limit);
  EXPECT_EQ(db_.query_int("SELECT count(*) FROM t"), 3 * SqliteCheckpointer::kWalPages);
}

TEST_F(SqliteCheckpointerTest, WithoutItTheWriterCheckpointsAgain) {
  { SqliteCheckpointer checkpointer(db_, "PRAGMA synchronous = OFF", seconds(5)); }
  write_rows(0, 3 * SqliteCheckpointer::kWalPages);
  // SQLite's automatic checkpoint is back: the WAL restarted, it did not grow
  // by all 3000 commits.
  EXPECT_LT(wal_bytes(), static_cast<std::uintmax_t>(2 * SqliteCheckpointer::kWalPages) * 4120);
  EXPECT_EQ(db_.query_int("SELECT count(*) FROM t"), 3 * SqliteCheckpointer::kWalPages);
}

}  // namespace
}  // namespace omniq::testing
