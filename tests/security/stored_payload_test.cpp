// Hostile bytes already in a store, written by someone with write access to
// it: a task file or row whose arguments nest 100,000 levels, and a task file
// larger than any record. Each is isolated (quarantined, or failed as
// CorruptTask) without recursion or reading it whole, and the rest of the
// queue is claimed as usual.
//
// The stores are opened through make_storage and the hostile bytes written
// with plain file writes and the sqlite3 C API, as another writer would.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "omniq/omniq.hpp"
#include "serializer.hpp"
#include "storage/file/file_record.hpp"
#include "support/backends.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;

Task task_at(Duration offset) {
  return make_task("job", Value::array({1}), {}, Settings{}, kT0 + offset);
}

// True when the persistent backend of that name is built.
bool built(const std::string& name) {
  for (const BackendFactory& b : persistent_backends()) {
    if (b.name == name) return true;
  }
  return false;
}

// A valid task's encoding with its args replaced by `args_text` (JSON): the
// rest of the record is well formed.
std::string json_with_args(const Task& t, const std::string& args_text) {
  std::string text = to_value(t).dump();
  std::string key = "\"args\":[1]";
  auto at = text.find(key);
  return text.substr(0, at) + "\"args\":" + args_text + text.substr(at + key.size());
}

// The file store, with each serializer.
class StoredFilePayload : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    Settings s;
    s.backend = Backend::file;
    s.base_dir = (dir_ / "store").string();
    s.serializer = GetParam();
    store_ = make_storage(s);
  }
  void TearDown() override {
    if (store_) store_->close();
  }
  // Writes queue/<id>.task as another writer would.
  void plant(const Task& t, const std::string& bytes) {
    std::ofstream(dir_ / "store" / "queue" / (t.id + ".task"), std::ios::binary) << bytes;
  }
  // A good task is claimed, the planted one ends in corrupt/.
  void expect_isolated(const Task& bad) {
    Task good = task_at(seconds(5));
    store_->enqueue(good);
    auto claimed = store_->claim(kT0 + minutes(1), 10, seconds(30));
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
  std::shared_ptr<Storage> store_;
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

std::vector<std::string> file_serializers() {
  if (!built("file")) return {};
  return {"json", "msgpack"};
}

// No instance while the file store is out of the build.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoredFilePayload);
INSTANTIATE_TEST_SUITE_P(Serializers, StoredFilePayload, ::testing::ValuesIn(file_serializers()));

// The SQLite store (one instance once it is built).
class StoredSqlitePayload : public ::testing::TestWithParam<std::string> {};

TEST_P(StoredSqlitePayload, RowNestedAHundredThousandLevelsFailsAsCorruptAndOthersRun) {
  TempDir dir;
  Settings s;
  s.backend = Backend::sqlite;
  s.database_url = (dir / "q.db").string();
  std::shared_ptr<Storage> store = make_storage(s);  // creates the schema
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "q.db").c_str(), &raw), SQLITE_OK);
  sqlite3_busy_timeout(raw, 5000);
  std::string when = format_time(kT0);
  std::string insert =
      "INSERT INTO tasks (id, func_path, args, kwargs, status, schedule, eta, max_retries, "
      "timeout, attempts, created_at, updated_at) VALUES ('deep', 'job', '" +
      std::string(100000, '[') + std::string(100000, ']') + "', '{}', 'PENDING', '{}', '" + when +
      "', 0, NULL, 0, '" + when + "', '" + when + "')";
  char* error = nullptr;
  int rc = sqlite3_exec(raw, insert.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(raw);
  ASSERT_EQ(rc, SQLITE_OK);

  Task good = task_at(seconds(5));
  store->enqueue(good);
  auto claimed = store->claim(kT0 + minutes(1), 10, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed.front().id, good.id);
  auto r = store->get_result("deep");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, TaskStatus::FAILED);
  ASSERT_TRUE(r->error.has_value());
  EXPECT_EQ(r->error->error_type, "CorruptTask");
  store->close();
}

std::vector<std::string> sqlite_if_built() {
  if (!built("sqlite")) return {};
  return {"sqlite"};
}

// No instance while the SQLite store is out of the build.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoredSqlitePayload);
INSTANTIATE_TEST_SUITE_P(Backends, StoredSqlitePayload, ::testing::ValuesIn(sqlite_if_built()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace omniq::testing
