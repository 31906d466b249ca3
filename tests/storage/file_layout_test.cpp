// FileStorage: directory layout, readable task files, permissions,
// persistence, durability levels, serializers, shared paused queues and
// workers, and names that are not the store's own.
#include <sys/stat.h>
#include <unistd.h>

#include "base/serializer.hpp"
#include "omniq/error.hpp"
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

Timestamp mtime_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return Timestamp(seconds(st.st_mtim.tv_sec) + microseconds(st.st_mtim.tv_nsec / 1000));
}

TEST(FileStorageLayout, TaskFilesAreNamedByIdAndStateAndHoldTheirResult) {
  TempDir dir;
  fs::path base = dir / "store";
  FileStorage store(file_options(base));
  Task t = file_task();
  enqueue(store, t);
  EXPECT_EQ(names_in(base),
            (std::vector<std::string>{"corrupt", "lock", "paused", "queue", "tmp"}));
  EXPECT_EQ(names_in(base / "queue"), std::vector<std::string>{t.id + ".task"});
  Task c = *claim_one(store, kF0);
  EXPECT_EQ(names_in(base / "queue"), std::vector<std::string>{t.id + ".running"});
  ASSERT_EQ(finish(store, {success_of(c, Value(42), kF0 + seconds(1))}).front(), Applied::yes);
  EXPECT_EQ(names_in(base / "queue"), std::vector<std::string>{t.id + ".done"});
  EXPECT_TRUE(names_in(base / "tmp").empty());
  EXPECT_TRUE(names_in(base / "corrupt").empty());
  // One JSON document a person can read: the task, its result and its value.
  fs::path done = base / "queue" / (t.id + ".done");
  Value v = Value::parse(read_file(done));
  EXPECT_EQ(v["id"], t.id);
  EXPECT_EQ(v["status"], "SUCCESS");
  EXPECT_EQ(v["result"]["status"], "SUCCESS");
  EXPECT_EQ(v["result_value"], 42);
  EXPECT_EQ(mtime_of(done), kF0 + seconds(1));  // when it finished
}

TEST(FileStorageLayout, DirectoriesAre0700AndFiles0600WhateverTheUmask) {
  for (mode_t mask : {mode_t{022}, mode_t{0}, mode_t{0277}}) {
    SCOPED_TRACE(mask);
    UmaskGuard guard(mask);
    TempDir dir;
    fs::path base = dir / "a" / "store";  // missing parents are created private too
    FileStorage store(file_options(base));
    Task t = file_task();
    t.unique_key = "k";
    t.unique_statuses = 0x13;
    enqueue(store, t);
    finish(store, {success_of(*claim_one(store, kF0), Value(1), kF0)});
    store.set_paused("mail", true);
    store.record_worker({"host:1:1", "host", 1, {{"default", 1}}, kF0, kF0});
    EXPECT_EQ(mode_of(dir / "a"), 0700u);
    std::size_t files = 0;
    EXPECT_EQ(mode_of(base), 0700u);
    for (const auto& e : fs::recursive_directory_iterator(base)) {
      EXPECT_EQ(mode_of(e.path()), e.is_directory() ? 0700u : 0600u) << e.path();
      files += e.is_directory() ? 0 : 1;
    }
    EXPECT_EQ(files, 4u);  // lock, the task, the paused queue, workers.json
  }
}

TEST(FileStorageLayout, TasksAndResultsSurviveReopening) {
  TempDir dir;
  fs::path base = dir / "store";
  std::vector<Task> tasks = file_tasks(4);
  Task running, done;
  {
    FileStorage store(file_options(base));
    enqueue_many(store, tasks);
    done = *claim_one(store, kF0 + minutes(1));
    running = *claim_one(store, kF0 + minutes(1));
    finish(store, {success_of(done, Value("kept"), kF0 + minutes(1))});
    store.close();
  }
  FileStorage again(file_options(base));
  EXPECT_EQ(again.get_task(done.id)->status, TaskStatus::SUCCESS);
  EXPECT_EQ(again.get_result(done.id)->result, Value("kept"));
  EXPECT_EQ(again.get_task(running.id), running);
  EXPECT_EQ(again.stats().total(), 4u);
  auto rest = claim(again, kF0 + minutes(1), 10, kFLease);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].id, tasks[2].id);
  EXPECT_EQ(rest[1].id, tasks[3].id);
  // The claim held when the store was closed still expires.
  auto lost = again.expired(kF0 + minutes(1) + kFLease + seconds(1), 10);
  ASSERT_EQ(lost.size(), 3u);
  EXPECT_EQ(lost[0], running);
}

TEST(FileStorageLayout, DurabilityOffAndNormalKeepEveryRule) {
  for (Durability d : {Durability::off, Durability::normal}) {
    SCOPED_TRACE(to_string(d));
    TempDir dir;
    fs::path base = dir / "store";
    std::vector<Task> tasks = file_tasks(50, "n");
    {
      FileStorage store(file_options(base, d));
      enqueue_many(store, tasks);
      auto claimed = claim(store, kF0 + seconds(1), 30, kFLease);
      ASSERT_EQ(claimed.size(), 30u);
      std::vector<Outcome> outs;
      for (const Task& c : claimed) outs.push_back(success_of(c, Value(c.id), kF0 + seconds(2)));
      outs[0].attempt = 7;  // a stale claim is still refused
      auto applied = finish(store, outs);
      EXPECT_EQ(applied[0], Applied::not_current);
      EXPECT_EQ(std::count(applied.begin(), applied.end(), Applied::yes), 29);
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
    enqueue(store, t);
    EXPECT_EQ(MsgpackSerializer().decode_task(read_file(base / "queue" / (t.id + ".task"))), t);
    Task c = *claim_one(store, kF0);
    ASSERT_EQ(finish(store, {success_of(c, Value{{"sum", 3}}, kF0 + seconds(1))}).front(),
              Applied::yes);
  }
  FileStorage again(opts);
  EXPECT_EQ(again.get_result(t.id)->result, (Value{{"sum", 3}}));
  EXPECT_EQ(again.get_task(t.id)->args, t.args);
}

TEST(FileStorageLayout, PausedQueuesAndWorkersAreSeenByEveryStoreOnTheDirectory) {
  TempDir dir;
  FileStorage a(file_options(dir / "store")), b(file_options(dir / "store"));
  Task mail = file_task("mail");
  mail.queue = "mail";
  enqueue(a, mail);
  a.set_paused("mail", true);
  a.set_paused("..", true);  // a valid queue name; its marker stays inside paused/
  EXPECT_EQ(b.stats().paused, (std::vector<std::string>{"..", "mail"}));
  EXPECT_TRUE(claim(b, kF0, 10, kFLease, "mail").empty());
  b.set_paused("mail", false);
  EXPECT_EQ(claim(a, kF0, 10, kFLease, "mail").size(), 1u);
  // Workers, whatever their ids, are entries of workers.json.
  WorkerInfo w{"../h\x01st:7:1", "h", 7, {{"mail", 2}}, kF0, kF0 + seconds(5)};
  a.record_worker(w);
  b.record_worker({"other", "h", 8, {}, kF0, kF0 + seconds(6)});
  auto seen = a.workers(kF0 + seconds(5));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].id, w.id);
  EXPECT_EQ(seen[0].queues, w.queues);
  EXPECT_EQ(Value::parse(read_file(dir / "store" / "workers.json"))[w.id]["pid"], 7);
  // A heartbeat a day later forgets the workers not seen since.
  a.record_worker({"late", "h", 9, {}, kF0, kF0 + hours(25)});
  EXPECT_EQ(b.workers(kF0).size(), 1u);
}

TEST(FileStorageLayout, ForeignNamesAreLeftAloneAndLinksNeverFollowed) {
  TempDir dir;
  LogCapture log;
  fs::path base = dir / "store";
  FileStorage store(file_options(base));
  Task real = file_task("real");
  Task outside = file_task("outside");
  write_file(dir / "outside.json", make_serializer("json")->encode(outside));
  write_file(base / "queue" / "README.txt", "notes");
  write_file(base / "queue" / "not an id.task", "x");
  Task dir_named = file_task();
  fs::create_directory(base / "queue" / (dir_named.id + ".task"));
  fs::create_symlink(dir / "outside.json", base / "queue" / (outside.id + ".task"));
  enqueue(store, real);

  auto claimed = claim(store, kF0 + seconds(1), 10, kFLease);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, real.id);
  EXPECT_EQ(store.stats().total(), 1u);
  EXPECT_FALSE(store.get_task(outside.id).has_value());
  // Names the store does not use stay; a link or directory named as a task
  // file is moved aside, the link itself, never what it points to.
  EXPECT_EQ(names_in(base / "queue"),
            (std::vector<std::string>{real.id + ".running", "README.txt", "not an id.task"}));
  std::vector<std::string> aside{dir_named.id + ".task", outside.id + ".task"};
  std::sort(aside.begin(), aside.end());
  EXPECT_EQ(names_in(base / "corrupt"), aside);
  EXPECT_EQ(read_file(dir / "outside.json"), make_serializer("json")->encode(outside));
  EXPECT_NE(log.text().find("symbolic link"), std::string::npos);
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
    Outcome o = success_of(file_task(), Value(1), kF0);
    o.task_id = bad;
    EXPECT_THROW(finish(store, {o}), ValidationError);
  }
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"store"});
}

}  // namespace
}  // namespace omniq::testing
