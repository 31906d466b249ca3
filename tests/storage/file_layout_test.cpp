// FileStorage: directory layout, permissions, persistence, durability levels,
// serializers and foreign files.
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "omniq/error.hpp"
#include "serializer.hpp"
#include "storage/file_test_util.hpp"

namespace omniq::testing {
namespace {

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) : old_(::umask(m)) {}
  ~UmaskGuard() { ::umask(old_); }

 private:
  mode_t old_;
};

// The lines of a JSON task file: records and the footers of their frames.
std::vector<std::string> lines_of(const fs::path& p) {
  std::vector<std::string> out;
  std::istringstream in(read_file(p));
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(FileStorageLayout, TaskFilesAreNamedByIdAndStateAndHoldTheirResult) {
  TempDir dir;
  fs::path base = dir / "store";
  FileStorage store(file_options(base));
  Task t = file_task();
  store.enqueue(t);
  EXPECT_EQ(names_in(base),
            (std::vector<std::string>{"corrupt", "journal", "queue", "results", "tmp"}));
  EXPECT_EQ(names_in(base / "queue"), std::vector<std::string>{t.id + ".task"});
  Task c = *store.dequeue(kF0, kFLease);
  EXPECT_EQ(names_in(base / "queue"), std::vector<std::string>{t.id + ".running"});
  Outcome o = success_of(c, Value(42), kF0 + seconds(1));
  ASSERT_EQ(store.finish_many({&o, 1}), std::vector<bool>{true});
  EXPECT_EQ(names_in(base / "queue"), std::vector<std::string>{t.id + ".done"});
  EXPECT_TRUE(names_in(base / "results").empty());  // only read, for earlier versions' stores
  EXPECT_TRUE(names_in(base / "tmp").empty());
  EXPECT_TRUE(names_in(base / "corrupt").empty());
  // JSON lines by default, readable as they are: the record the task was
  // enqueued with, then each change's frames, each followed by its footer.
  auto lines = lines_of(base / "queue" / (t.id + ".done"));
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(Value::parse(lines[0])["status"], "PENDING");
  EXPECT_EQ(lines[1].rfind("@omniq S ", 0), 0u);
  EXPECT_EQ(lines.back().rfind("@omniq ", 0), 0u);
  auto result = std::find_if(lines.begin(), lines.end(),
                             [](const std::string& l) { return l.rfind("@omniq R ", 0) == 0; });
  ASSERT_NE(result, lines.end());
  EXPECT_EQ(Value::parse(*(result - 1))["result"], 42);
  store.close();
  // A closed store leaves no journal behind, only the lock and checkpoint mark.
  EXPECT_EQ(names_in(base / "journal"), (std::vector<std::string>{"lock", "mark"}));
}

TEST(FileStorageLayout, DirectoriesAre0700AndFiles0600WhateverTheUmask) {
  for (mode_t mask : {mode_t{022}, mode_t{0}, mode_t{0277}}) {
    UmaskGuard guard(mask);
    TempDir dir;
    fs::path base = dir / "a" / "store";  // missing parents are created private too
    FileStorage store(file_options(base));
    Task t = file_task();
    store.enqueue(t);
    Task c = *store.dequeue(kF0, kFLease);
    Outcome o = success_of(c, Value(1), kF0);
    store.finish_many({&o, 1});
    SCOPED_TRACE(mask);
    EXPECT_EQ(mode_of(dir / "a"), 0700u);
    for (const char* d : {"", "queue", "results", "corrupt", "tmp", "journal"}) {
      EXPECT_EQ(mode_of(base / d), 0700u) << d;
    }
    EXPECT_EQ(mode_of(base / "queue" / (t.id + ".done")), 0600u);
    auto journal = names_in(base / "journal");  // the lock and this store's journal
    EXPECT_EQ(journal.size(), 2u);
    for (const std::string& name : journal) EXPECT_EQ(mode_of(base / "journal" / name), 0600u);
    store.close();
    for (const std::string& name : names_in(base / "journal")) {
      EXPECT_EQ(mode_of(base / "journal" / name), 0600u) << name;  // the lock and the mark
    }
  }
}

TEST(FileStorageLayout, TasksAndResultsSurviveReopening) {
  TempDir dir;
  fs::path base = dir / "store";
  std::vector<Task> tasks{file_task("a"), file_task("b", seconds(1)), file_task("c", seconds(2)),
                          file_task("d", seconds(3))};
  Task running, done;
  {
    FileStorage store(file_options(base));
    store.enqueue_many(tasks);
    done = *store.dequeue(kF0 + minutes(1), kFLease);
    running = *store.dequeue(kF0 + minutes(1), kFLease);
    Outcome o = success_of(done, Value("kept"), kF0 + minutes(1));
    store.finish_many({&o, 1});
    store.close();
  }
  FileStorage again(file_options(base));
  EXPECT_EQ(again.get_task(done.id)->status, TaskStatus::SUCCESS);
  EXPECT_EQ(again.get_result(done.id)->result, Value("kept"));
  EXPECT_EQ(again.get_task(running.id), running);
  EXPECT_EQ(again.stats().total(), 4u);
  auto rest = again.dequeue_many(kF0 + minutes(1), 10, kFLease);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].id, tasks[2].id);
  EXPECT_EQ(rest[1].id, tasks[3].id);
  // The claim held when the store was closed still expires and is recovered.
  EXPECT_EQ(again.recover_expired(kF0 + minutes(1) + kFLease + seconds(1)), 3u);
}

TEST(FileStorageLayout, DurabilityOffAndNormalKeepEveryRule) {
  for (Durability d : {Durability::off, Durability::normal}) {
    SCOPED_TRACE(to_string(d));
    TempDir dir;
    fs::path base = dir / "store";
    std::vector<Task> tasks;
    for (int i = 0; i < 50; ++i) tasks.push_back(file_task("n", microseconds(i)));
    {
      FileStorage store(file_options(base, d));
      store.enqueue_many(tasks);
      auto claimed = store.dequeue_many(kF0 + seconds(1), 30, kFLease);
      ASSERT_EQ(claimed.size(), 30u);
      std::vector<Outcome> outs;
      for (const Task& c : claimed) outs.push_back(success_of(c, Value(c.id), kF0 + seconds(2)));
      outs[0].attempt = 7;  // a stale claim is still refused
      auto applied = store.finish_many(outs);
      EXPECT_FALSE(applied[0]);
      EXPECT_EQ(std::count(applied.begin(), applied.end(), true), 29);
    }
    FileStorage again(file_options(base, d));
    QueueStats s = again.stats();
    EXPECT_EQ(s.count(TaskStatus::SUCCESS), 29u);
    EXPECT_EQ(s.count(TaskStatus::RUNNING), 1u);
    EXPECT_EQ(s.count(TaskStatus::PENDING), 20u);
    EXPECT_EQ(again.get_result(tasks[5].id)->result, Value(tasks[5].id));
    EXPECT_TRUE(names_in(base / "tmp").empty());
  }
}

TEST(FileStorageLayout, MsgpackSerializerWorksEndToEnd) {
  TempDir dir;
  fs::path base = dir / "store";
  FileStorage::Options opts = file_options(base);
  opts.serializer = make_serializer("msgpack");
  Task t = file_task("pack");
  t.args = Value::array({"caf\xc3\xa9", 1.5, Value{{"k", {1, 2}}}});
  t.schedule.interval = minutes(5);
  {
    FileStorage store(opts);
    store.enqueue(t);
    // The record, then the seal frame's footer.
    std::string bytes = read_file(base / "queue" / (t.id + ".task"));
    auto seal = bytes.rfind("\n@omniq S ");
    ASSERT_NE(seal, std::string::npos);
    EXPECT_EQ(MsgpackSerializer().decode_task(bytes.substr(0, seal)), t);
    Task c = *store.dequeue(kF0, kFLease);
    Outcome o = success_of(c, Value{{"sum", 3}}, kF0 + seconds(1));
    ASSERT_TRUE(store.finish_many({&o, 1}).front());
  }
  FileStorage again(opts);
  EXPECT_EQ(again.get_result(t.id)->result, (Value{{"sum", 3}}));
  EXPECT_EQ(again.get_task(t.id)->args, t.args);
}

TEST(FileStorageLayout, ForeignFilesInTheQueueAreIgnoredAndNeverFollowed) {
  TempDir dir;
  fs::path base = dir / "store";
  FileStorage store(file_options(base));
  Task real = file_task("real");
  Task outside = file_task("outside");
  write_file(dir / "outside.json", make_serializer("json")->encode(outside));
  write_file(base / "queue" / "README.txt", "notes");
  write_file(base / "queue" / "not an id.task", "x");
  fs::create_directory(base / "queue" / (file_task().id + ".task"));
  fs::create_symlink(dir / "outside.json", base / "queue" / (outside.id + ".task"));
  store.enqueue(real);

  auto claimed = store.dequeue_many(kF0 + seconds(1), 10, kFLease);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, real.id);
  EXPECT_EQ(store.stats().total(), 1u);
  EXPECT_EQ(store.list_tasks({}).size(), 1u);
  EXPECT_EQ(store.recover_expired(kF0 + hours(1)), 1u);
  // The link is never followed: reading it as a task fails, and what it points to is untouched.
  EXPECT_FALSE(store.get_task(outside.id).has_value());
  EXPECT_EQ(read_file(dir / "outside.json"), make_serializer("json")->encode(outside));
  EXPECT_TRUE(fs::exists(base / "queue" / "README.txt"));
  EXPECT_TRUE(fs::exists(base / "queue" / "not an id.task"));
}

TEST(FileStorageLayout, IdsThatWouldEscapeTheDirectoryAreRefused) {
  TempDir dir;
  FileStorage store(file_options(dir / "store"));
  for (std::string bad :
       {std::string("../x"), std::string(".."), std::string("a/b"), std::string(65, 'a')}) {
    EXPECT_THROW(store.get_task(bad), ValidationError);
    EXPECT_THROW(store.get_result(bad), ValidationError);
    EXPECT_THROW(store.cancel(bad, kF0), ValidationError);
    EXPECT_THROW(store.renew_leases(std::vector<Claim>{{bad, 1}}, kF0), ValidationError);
    EXPECT_THROW(store.release(std::vector<Claim>{{bad, 1}}, kF0), ValidationError);
  }
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"store"});
}

}  // namespace
}  // namespace omniq::testing
