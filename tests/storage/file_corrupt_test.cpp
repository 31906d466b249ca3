// FileStorage: corrupt and unreadable files are moved to corrupt/ with a log
// line, and the rest of the queue keeps working.
#include "serializer.hpp"
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
      {"StatusThatDoesNotFitTheName",
       [](const Task& t) { return json_with(t, [](Value& v) { v["status"] = "SUCCESS"; }); }},
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
  store.enqueue(a);
  store.enqueue(b);
  write_file(queue() / (bad.id + ".task"), GetParam().bytes(bad));

  FileStorage other(file_options(base()));  // finds it by scanning
  auto claimed = other.dequeue_many(kF0 + minutes(1), 10, kFLease);
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
  store.enqueue(bad);
  store.enqueue(good);
  write_file(queue() / (bad.id + ".task"), GetParam().bytes(bad));
  auto claimed = store.dequeue_many(kF0 + minutes(1), 10, kFLease);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, good.id);
  EXPECT_EQ(quarantined(bad.id), 1u);
}

TEST_P(FileStorageCorruption, CorruptRunningFileIsMovedAsideByRecoveryAndOutcomes) {
  FileStorage store(file_options(base()));
  Task t = file_task("t"), u = file_task("u", seconds(1));
  store.enqueue_many(std::vector<Task>{t, u});
  auto claimed = store.dequeue_many(kF0 + seconds(5), 2, kFLease);
  ASSERT_EQ(claimed.size(), 2u);
  write_file(queue() / (t.id + ".running"), GetParam().bytes(claimed[0]));
  Outcome o = success_of(claimed[0], Value(1), kF0 + seconds(6));
  EXPECT_EQ(store.finish_many({&o, 1}), std::vector<bool>{false});
  if (GetParam().name == "StatusThatDoesNotFitTheName") {
    // Any status fits a .running file: it is a move in progress, left to recovery.
    EXPECT_EQ(quarantined(t.id), 0u);
    EXPECT_TRUE(fs::exists(queue() / (t.id + ".running")));
  } else {
    EXPECT_EQ(quarantined(t.id + ".running"), 1u);
  }
  EXPECT_EQ(store.recover_expired(kF0 + hours(1)), 1u);  // u, the healthy one
  EXPECT_EQ(store.get_task(u.id)->status, TaskStatus::RETRYING);
}

std::string corruption_name(const ::testing::TestParamInfo<Corruption>& p) {
  return p.param.name;
}

INSTANTIATE_TEST_SUITE_P(Kinds, FileStorageCorruption, ::testing::ValuesIn(corruptions()),
                         corruption_name);

TEST(FileStorageCorruptResult, CorruptResultIsMovedAsideAndReadsAsAbsent) {
  TempDir dir;
  LogCapture log;
  FileStorage store(file_options(dir / "store"));
  // A finished task as an earlier version stored it: a plain record in
  // queue/<id>.done, its result in results/<id>.result (here damaged).
  Task t = file_task();
  t.status = TaskStatus::SUCCESS;
  t.attempts = 1;
  write_file(dir / "store" / "queue" / (t.id + ".done"), to_value(t).dump());
  write_file(dir / "store" / "results" / (t.id + ".result"), "{\"task_id\": 12");
  EXPECT_FALSE(store.get_result(t.id).has_value());
  EXPECT_EQ(names_in(dir / "store" / "corrupt").size(), 1u);
  EXPECT_NE(log.text().find(t.id + ".result"), std::string::npos);
  EXPECT_EQ(store.get_task(t.id)->status, TaskStatus::SUCCESS);
}

}  // namespace
}  // namespace omniq::testing
