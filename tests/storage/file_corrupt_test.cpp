// FileStorage: a corrupt or foreign task file is moved to corrupt/ with a log
// line and the rest of the queue keeps working; a file whose record does not
// fit its name (a change cut short) is renamed to fit. Hostile files (nested
// 100,000 levels, larger than any record) are isolated without recursion or
// reading them whole.
#include "base/serializer.hpp"
#include "storage/file/file_record.hpp"
#include "storage/file_test_util.hpp"

namespace omniq::testing {
namespace {

struct Corruption {
  std::string name;
  // The bytes to store for a task with this id.
  std::function<std::string(const Task& t)> bytes;
};

std::string json_with(const Task& t, const std::function<void(Value&)>& change) {
  Value v = to_value(t);
  change(v);
  return v.dump();
}

std::vector<Corruption> corruptions() {
  return {
      {"Truncated",
       [](const Task& t) {
         std::string s = to_value(t).dump();
         return s.substr(0, s.size() / 2);
       }},
      {"Empty", [](const Task&) { return std::string(); }},
      {"GarbageBytes", [](const Task&) { return std::string("\x00\xff\xfe garbage \x01", 13); }},
      {"WrongTypes",
       [](const Task& t) { return json_with(t, [](Value& v) { v["attempts"] = "x"; }); }},
      {"ArgsNotAnArray",
       [](const Task& t) { return json_with(t, [](Value& v) { v["args"] = 3; }); }},
      {"UnknownStatus",
       [](const Task& t) { return json_with(t, [](Value& v) { v["status"] = "PAUSED"; }); }},
      {"ResultNotAnObject",
       [](const Task& t) { return json_with(t, [](Value& v) { v["result"] = 3; }); }},
      {"AnotherTasksId",
       [](const Task& t) {
         return json_with(t, [](Value& v) { v["id"] = file_task("other").id; });
       }},
      {"NotAnObject", [](const Task&) { return std::string("[1, 2, 3]"); }},
  };
}

class FileStorageCorruption : public ::testing::TestWithParam<Corruption> {
 protected:
  fs::path base() const { return dir_ / "store"; }
  fs::path queue() const { return base() / "queue"; }
  // The names in corrupt/ that start with `prefix`.
  std::size_t quarantined(const std::string& prefix) const {
    std::size_t n = 0;
    for (const auto& name : names_in(base() / "corrupt")) n += name.rfind(prefix, 0) == 0;
    return n;
  }
  TempDir dir_;
  LogCapture log_;
};

TEST_P(FileStorageCorruption, CorruptWaitingFileIsMovedAsideWhileOthersAreClaimed) {
  FileStorage store(file_options(base()));
  Task a = file_task("a"), bad = file_task("bad", seconds(1)), b = file_task("b", seconds(2));
  enqueue(store, a);
  enqueue(store, b);
  write_file(queue() / (bad.id + ".task"), GetParam().bytes(bad));

  FileStorage other(file_options(base()));  // finds it by listing queue/
  auto claimed = claim(other, kF0 + minutes(1), 10, kFLease);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].id, a.id);
  EXPECT_EQ(claimed[1].id, b.id);
  EXPECT_EQ(quarantined(bad.id + ".task"), 1u);
  EXPECT_FALSE(fs::exists(queue() / (bad.id + ".task")));
  EXPECT_NE(log_.text().find(bad.id), std::string::npos);
  EXPECT_FALSE(other.get_task(bad.id).has_value());
  EXPECT_EQ(other.stats().total(), 2u);
}

TEST_P(FileStorageCorruption, FileCorruptedAfterItWasIndexedIsSkippedAtClaimTime) {
  FileStorage store(file_options(base()));
  Task bad = file_task("bad"), good = file_task("good", seconds(1));
  enqueue(store, bad);
  enqueue(store, good);
  write_file(queue() / (bad.id + ".task"), GetParam().bytes(bad));
  auto claimed = claim(store, kF0 + minutes(1), 10, kFLease);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, good.id);
  EXPECT_EQ(quarantined(bad.id), 1u);
}

TEST_P(FileStorageCorruption, CorruptRunningFileRefusesItsOutcomeAndIsMovedAside) {
  FileStorage store(file_options(base()));
  enqueue_many(store, file_tasks(2));
  auto claimed = claim(store, kF0 + seconds(5), 2, kFLease);
  ASSERT_EQ(claimed.size(), 2u);
  write_file(queue() / (claimed[0].id + ".running"), GetParam().bytes(claimed[0]));
  EXPECT_EQ(finish(store, {success_of(claimed[0], Value(1), kF0 + seconds(6))}).front(),
            Applied::not_current);
  EXPECT_EQ(quarantined(claimed[0].id + ".running"), 1u);
  auto lost = store.expired(kF0 + hours(1), 10);  // the healthy one
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].id, claimed[1].id);
}

TEST_P(FileStorageCorruption, CorruptFinishedFileReadsAsAbsentAndIsMovedAsideAfterTheRead) {
  FileStorage store(file_options(base()));
  Task t = file_task();
  enqueue(store, t);
  Task c = *claim_one(store, kF0);
  finish(store, {success_of(c, Value(1), kF0)});
  write_file(queue() / (t.id + ".done"), GetParam().bytes(c));
  EXPECT_FALSE(store.get_result(t.id).has_value());
  EXPECT_EQ(quarantined(t.id + ".done"), 1u);
  EXPECT_FALSE(store.get_task(t.id).has_value());
  EXPECT_EQ(store.stats().total(), 0u);
}

std::string corruption_name(const ::testing::TestParamInfo<Corruption>& p) {
  return p.param.name;
}

INSTANTIATE_TEST_SUITE_P(Kinds, FileStorageCorruption, ::testing::ValuesIn(corruptions()),
                         corruption_name);

TEST(FileStorageMisnamed, AFileWhoseRecordDoesNotFitItsNameIsRenamedToFit) {
  TempDir dir;
  fs::path queue = dir / "store" / "queue";
  FileStorage store(file_options(dir / "store"));
  std::vector<Task> tasks = file_tasks(3);
  enqueue_many(store, tasks);
  // As a change cut short between its two renames leaves them.
  Task running = tasks[0], finished = tasks[1];
  running.status = TaskStatus::RUNNING;
  running.attempts = 1;
  running.lease_expires_at = kF0 + kFLease;
  finished.status = TaskStatus::CANCELLED;
  write_file(queue / (tasks[0].id + ".task"), to_value(running).dump());
  write_file(queue / (tasks[1].id + ".task"), to_value(finished).dump());
  FileStorage other(file_options(dir / "store"));
  auto claimed = claim(other, kF0 + minutes(1), 10, kFLease);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, tasks[2].id);
  EXPECT_EQ(names_in(queue),
            (std::vector<std::string>{tasks[0].id + ".running", tasks[1].id + ".done",
                                      tasks[2].id + ".running"}));
  EXPECT_TRUE(names_in(dir / "store" / "corrupt").empty());
  EXPECT_EQ(other.expired(kF0 + hours(1), 10).front().id, tasks[0].id);
}

// Hostile bytes planted by someone with write access to the store.
class StoredFilePayload : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    FileStorage::Options o = file_options(dir_ / "store");
    o.serializer = make_serializer(GetParam());
    store_ = std::make_unique<FileStorage>(o);
  }
  void plant(const Task& t, const std::string& bytes) {
    write_file(dir_ / "store" / "queue" / (t.id + ".task"), bytes);
  }
  // A good task is claimed, the planted one ends in corrupt/.
  void expect_isolated(const Task& bad) {
    Task good = file_task("good", seconds(5));
    enqueue(*store_, good);
    auto claimed = claim(*store_, kF0 + minutes(1), 10, seconds(30));
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed.front().id, good.id);
    EXPECT_FALSE(store_->get_task(bad.id).has_value());
    EXPECT_EQ(names_in(dir_ / "store" / "corrupt"), std::vector<std::string>{bad.id + ".task"});
  }

  TempDir dir_;
  LogCapture log_;
  std::unique_ptr<FileStorage> store_;
};

TEST_P(StoredFilePayload, TaskFileNestedAHundredThousandLevelsIsQuarantined) {
  Task bad = file_task("bad", seconds(1));
  if (GetParam() == "json") {
    std::string text = to_value(bad).dump();
    std::string key = "\"args\":[1,\"a\"]";
    auto at = text.find(key);
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    plant(bad, text.substr(0, at) + "\"args\":" + deep + text.substr(at + key.size()));
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
  Task bad = file_task("bad", seconds(1));
  std::string head = make_serializer(GetParam())->encode(bad);
  plant(bad, head + std::string(kMaxRecordBytes, ' '));
  expect_isolated(bad);
}

INSTANTIATE_TEST_SUITE_P(Serializers, StoredFilePayload, ::testing::Values("json", "msgpack"));

}  // namespace
}  // namespace omniq::testing
