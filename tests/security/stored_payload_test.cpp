// Hostile bytes already in a store, written by someone with write access to
// it: a task file or row whose arguments nest 100,000 levels, and a task file
// larger than any record. Each is isolated (quarantined, or failed as
// CorruptTask) without recursion or reading it whole, and the rest of the
// queue is claimed as usual.
#include <gtest/gtest.h>

#include <fstream>

#include "omniq/file_storage.hpp"
#include "serializer.hpp"
#include "omniq/sqlite_storage.hpp"
#include "storage/file_task_files.hpp"
#include "storage/sqlite_db.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;

Task task_at(Duration offset) {
  return make_task("job", Value::array({1}), {}, Settings{}, kT0 + offset);
}

// A valid task's encoding with its args replaced by `args_text` (JSON) or
// `args_bytes` (msgpack): the rest of the record is well formed.
std::string json_with_args(const Task& t, const std::string& args_text) {
  std::string text = to_value(t).dump();
  std::string key = "\"args\":[1]";
  auto at = text.find(key);
  return text.substr(0, at) + "\"args\":" + args_text + text.substr(at + key.size());
}

class StoredFilePayload : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    FileStorage::Options o;
    o.base_dir = (dir_ / "store").string();
    o.serializer = make_serializer(GetParam());
    store_ = std::make_unique<FileStorage>(o);
  }
  // Writes queue/<id>.task as another writer would.
  void plant(const Task& t, const std::string& bytes) {
    std::ofstream(dir_ / "store" / "queue" / (t.id + ".task"), std::ios::binary) << bytes;
  }
  // A good task is claimed, the planted one ends in corrupt/.
  void expect_isolated(const Task& bad) {
    Task good = task_at(seconds(5));
    store_->enqueue(good);
    auto claimed = store_->dequeue_many(kT0 + minutes(1), 10, seconds(30));
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed.front().id, good.id);
    EXPECT_FALSE(store_->get_task(bad.id).has_value());
    std::size_t quarantined = 0;
    for (const auto& e : fs::directory_iterator(dir_ / "store" / "corrupt")) {
      quarantined += e.path().filename().string().find(bad.id) != std::string::npos;
    }
    EXPECT_EQ(quarantined, 1u);
  }

  TempDir dir_;
  std::unique_ptr<FileStorage> store_;
};

TEST_P(StoredFilePayload, TaskFileNestedAHundredThousandLevelsIsQuarantined) {
  Task bad = task_at(seconds(1));
  if (GetParam() == "json") {
    plant(bad, json_with_args(bad, std::string(100000, '[') + std::string(100000, ']')));
  } else {
    // A msgpack map whose "args" is 100,000 nested one-element arrays.
    std::string deep(100000, '\x91');
    deep += '\x01';
    plant(bad, std::string("\x81\xa4"
                           "args",
                           6) +
                   deep);
  }
  expect_isolated(bad);
}

TEST_P(StoredFilePayload, TaskFileLargerThanAnyRecordIsQuarantinedUnread) {
  Task bad = task_at(seconds(1));
  std::string head = make_serializer(GetParam())->encode(bad);
  plant(bad, head + std::string(kMaxRecordBytes, ' '));
  expect_isolated(bad);
}

INSTANTIATE_TEST_SUITE_P(Serializers, StoredFilePayload, ::testing::Values("json", "msgpack"));

TEST(StoredSqlitePayload, RowNestedAHundredThousandLevelsFailsAsCorruptAndOthersRun) {
  TempDir dir;
  SQLiteStorage store(SQLiteStorage::Options{(dir / "q.db").string()});
  SqliteDb raw((dir / "q.db").string(), seconds(5));
  std::string when = format_time(kT0);
  raw.exec(
      "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, "
      "timeout, attempts, created_at, updated_at) VALUES ('deep', 'job', '" +
      std::string(100000, '[') + std::string(100000, ']') + "', '{}', 'PENDING', '{}', '" + when +
      "', 0, NULL, 0, '" + when + "', '" + when + "')");
  Task good = task_at(seconds(5));
  store.enqueue(good);
  auto claimed = store.dequeue_many(kT0 + minutes(1), 10, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed.front().id, good.id);
  auto r = store.get_result("deep");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, TaskStatus::FAILED);
  EXPECT_EQ(r->error->error_type, "CorruptTask");
  store.close();
}

}  // namespace
}  // namespace omniq::testing
