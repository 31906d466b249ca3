// FileStorage's journal and frames: what a store acknowledged under
// Durability::full is replayed after a restart that lost the task files'
// unsynced writes, and never brings back older states or purged tasks; torn
// and damaged frames, files a power loss left under the wrong name, and
// stores written by an earlier version (plain records, results/).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/file_frames.hpp"
#include "storage/file_test_hooks.hpp"
#include "storage/file_test_util.hpp"

namespace omniq::testing {
namespace {

// Runs `body` in a forked child that is expected to kill itself; returns its
// exit status (or 128 + signal).
int in_child(const std::function<void()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    try {
      body();
    } catch (...) {
      ::_exit(98);
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

// Makes stores opened while alive believe the machine rebooted.
class PretendReboot {
 public:
  PretendReboot() {
    file_store_hooks::boot_id = [] { return std::string("a-later-boot"); };
  }
  ~PretendReboot() { file_store_hooks::boot_id = nullptr; }
};

Outcome retry_of(const Task& claimed, Timestamp eta) {
  Outcome o;
  o.task_id = claimed.id;
  o.attempt = claimed.attempts;
  o.status = TaskStatus::RETRYING;
  o.next_eta = eta;
  o.error = TaskError{"Boom", "boom", eta, std::nullopt, 0, true};
  o.at = eta;
  return o;
}

std::size_t journals_in(const fs::path& dir) {
  std::size_t n = 0;
  for (const std::string& name : names_in(dir)) n += name.ends_with(".wal");
  return n;
}

class FileStorageJournal : public ::testing::Test {
 protected:
  fs::path base() const { return dir_ / "store"; }
  fs::path queue() const { return base() / "queue"; }

  // In a child killed at the end (its journal is left behind): enqueues
  // three tasks, claims them, finishes the first (SUCCESS) and the second
  // (RETRYING); the third stays claimed.
  void work_and_die() {
    int rc = in_child([&] {
      FileStorage s(file_options(base()));
      s.enqueue_many(tasks_);
      auto claimed = s.dequeue_many(kF0 + seconds(2), 3, kFLease);
      if (claimed.size() != 3) ::_exit(97);
      std::vector<Outcome> outs{success_of(claimed[0], Value("one"), kF0 + seconds(1)),
                                retry_of(claimed[1], kF0 + seconds(5))};
      s.finish_many(outs);
      ::raise(SIGKILL);
    });
    ASSERT_EQ(rc, 128 + SIGKILL);
    ASSERT_EQ(journals_in(base() / "journal"), 1u);
  }

  TempDir dir_;
  std::vector<Task> tasks_{file_task("a"), file_task("b", seconds(1)), file_task("c", seconds(2))};
};

TEST_F(FileStorageJournal, AcknowledgedChangesAreReplayedWhenARestartLostTheTaskFiles) {
  work_and_die();
  for (const std::string& name : names_in(queue())) fs::remove(queue() / name);
  PretendReboot reboot;
  FileStorage s(file_options(base()));
  EXPECT_EQ(s.get_task(tasks_[0].id)->status, TaskStatus::SUCCESS);
  EXPECT_EQ(s.get_result(tasks_[0].id)->result, Value("one"));
  Task retrying = *s.get_task(tasks_[1].id);
  EXPECT_EQ(retrying.status, TaskStatus::RETRYING);
  EXPECT_EQ(retrying.attempts, 1);
  EXPECT_EQ(retrying.schedule.eta, kF0 + seconds(5));
  EXPECT_EQ(s.get_task(tasks_[2].id), tasks_[2]);  // a claim is not journaled: undone
  EXPECT_EQ(journals_in(base() / "journal"), 1u);  // the old one replayed and gone
  EXPECT_EQ(s.dequeue_many(kF0 + seconds(5), 5, kFLease).size(), 2u);
}

TEST_F(FileStorageJournal, ReplayNeverTakesATaskFileBackToAnOlderState) {
  work_and_die();
  PretendReboot reboot;
  FileStorage s(file_options(base()));
  // Nothing was lost: the files are newer than, or as new as, the records.
  EXPECT_EQ(s.get_task(tasks_[0].id)->status, TaskStatus::SUCCESS);
  EXPECT_EQ(s.get_task(tasks_[1].id)->status, TaskStatus::RETRYING);
  EXPECT_EQ(s.get_task(tasks_[2].id)->status, TaskStatus::RUNNING);  // its claim stands
  EXPECT_EQ(names_in(queue()),
            (std::vector<std::string>{tasks_[0].id + ".done", tasks_[1].id + ".task",
                                      tasks_[2].id + ".running"}));
}

TEST_F(FileStorageJournal, JournalCutShortInsideARecordIsReplayedUpToItsLastWholeRecord) {
  work_and_die();
  // A killed writer's short write: the journal ends inside its last record,
  // after some of the task file frames that record holds. Those nested
  // frames are intact but are not the journal's own.
  fs::path wal;
  for (const std::string& name : names_in(base() / "journal")) {
    if (name.ends_with(".wal")) wal = base() / "journal" / name;
  }
  std::string bytes = read_file(wal);
  std::size_t last = bytes.rfind("@omniq J", bytes.size() - kFooterBytes);
  ASSERT_NE(last, std::string::npos);
  std::size_t inner = bytes.rfind("@omniq ", bytes.size() - kFooterBytes);
  ASSERT_GT(inner, last) << "the last record holds no frame of its own";
  fs::resize_file(wal, inner - 1 + kFooterBytes);  // a footer starts with its newline
  for (const std::string& name : names_in(queue())) fs::remove(queue() / name);
  PretendReboot reboot;
  FileStorage s(file_options(base()));
  // Replayed: the enqueue and the first outcome; the second's record is torn.
  ASSERT_TRUE(s.get_task(tasks_[0].id).has_value()) << "the torn journal was not replayed";
  EXPECT_EQ(s.get_task(tasks_[0].id)->status, TaskStatus::SUCCESS);
  EXPECT_EQ(s.get_result(tasks_[0].id)->result, Value("one"));
  EXPECT_EQ(s.get_task(tasks_[1].id), tasks_[1]);
  EXPECT_EQ(journals_in(base() / "journal"), 1u);  // the torn one replayed and gone
}

TEST_F(FileStorageJournal, JournalLeftInThisBootIsDiscardedWithoutReplay) {
  work_and_die();
  // No reboot: the page cache still holds every change, so nothing is
  // replayed (a file deleted since stays deleted) and the journal goes.
  fs::remove(queue() / (tasks_[0].id + ".done"));
  FileStorage s(file_options(base()));
  EXPECT_FALSE(s.get_task(tasks_[0].id).has_value());
  EXPECT_EQ(journals_in(base() / "journal"), 1u);  // the new store's own
}

TEST_F(FileStorageJournal, PurgedTaskIsNotBroughtBackByAnOlderJournal) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  if (child == 0) {
    FileStorage s(file_options(base()));
    s.enqueue(tasks_[0]);
    Task c = *s.dequeue(kF0, kFLease);
    Outcome o = success_of(c, Value(1), kF0 + seconds(1));
    s.finish_many({&o, 1});
    char x = 'x';
    if (::write(fds[1], &x, 1) != 1) ::_exit(1);
    ::pause();  // alive, its journal held, until killed
    ::_exit(0);
  }
  char x;
  ASSERT_EQ(::read(fds[0], &x, 1), 1);
  {
    FileStorage s(file_options(base()));
    EXPECT_EQ(s.purge_results(kF0 + hours(1)), 1u);
    EXPECT_FALSE(s.get_task(tasks_[0].id).has_value());
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  PretendReboot reboot;
  FileStorage s(file_options(base()));  // replays the killed store's journal
  EXPECT_FALSE(s.get_task(tasks_[0].id).has_value());
  EXPECT_TRUE(names_in(queue()).empty());
}

TEST(FileStorageFrames, TornAppendIsIgnoredAndCutOffByTheNextChange) {
  TempDir dir;
  FileStorage s(file_options(dir / "store"));
  Task t = file_task();
  s.enqueue(t);
  fs::path file = dir / "store" / "queue" / (t.id + ".task");
  std::string whole = read_file(file);
  write_file(file, whole + "{\"args\":[1,\"a\"],\"attempts\":1,\"cr");  // a write cut short
  EXPECT_EQ(s.get_task(t.id), t);
  Task c = *s.dequeue(kF0, kFLease);
  EXPECT_EQ(c.attempts, 1);
  EXPECT_EQ(s.get_task(t.id), c);
  EXPECT_EQ(read_file(dir / "store" / "queue" / (t.id + ".running")).rfind(whole, 0), 0u);
}

TEST(FileStorageFrames, DamagedFrameUnderOthersMovesTheFileAside) {
  TempDir dir;
  LogCapture log;
  FileStorage s(file_options(dir / "store"));
  Task t = file_task();
  s.enqueue(t);
  Task c = *s.dequeue(kF0, kFLease);
  Outcome o = success_of(c, Value(1), kF0);
  s.finish_many({&o, 1});
  fs::path file = dir / "store" / "queue" / (t.id + ".done");
  std::string bytes = read_file(file);
  bytes[bytes.find("RUNNING")] = 'X';  // in the claim's frame, under the outcome's
  write_file(file, bytes);
  EXPECT_FALSE(s.get_task(t.id).has_value());
  EXPECT_EQ(names_in(dir / "store" / "corrupt").size(), 1u);
  EXPECT_NE(log.text().find("damaged frame"), std::string::npos);
}

TEST(FileStorageFrames, FileLeftUnderTheWrongNameByAPowerLossIsMovedWhereItBelongs) {
  TempDir dir;
  FileStorage s(file_options(dir / "store"));
  Task t = file_task();
  s.enqueue(t);
  Task c = *s.dequeue(kF0, kFLease);
  // The outcome's rename reached the disk, the outcome's frames did not.
  fs::path queue = dir / "store" / "queue";
  fs::rename(queue / (t.id + ".running"), queue / (t.id + ".done"));
  EXPECT_EQ(s.get_task(t.id), c);
  EXPECT_EQ(names_in(queue), std::vector<std::string>{t.id + ".running"});
  EXPECT_EQ(s.recover_expired(kF0 + kFLease + seconds(1)), 1u);
  EXPECT_EQ(s.get_task(t.id)->status, TaskStatus::RETRYING);
}

TEST(FileStorageFrames, StoreWrittenByAnEarlierVersionIsReadAndWorkedOn) {
  TempDir dir;
  fs::path base = dir / "store";
  { FileStorage create(file_options(base)); }
  // Plain records, and a result in results/, as earlier versions wrote them.
  Task waiting = file_task("old");
  Task done = file_task("old", seconds(1));
  done.status = TaskStatus::SUCCESS;
  done.attempts = 1;
  TaskResult result{done.id, TaskStatus::SUCCESS, Value("kept"), std::nullopt, kF0, 1, kF0};
  write_file(base / "queue" / (waiting.id + ".task"), to_value(waiting).dump());
  write_file(base / "queue" / (done.id + ".done"), to_value(done).dump());
  write_file(base / "results" / (done.id + ".result"), to_value(result).dump());

  FileStorage s(file_options(base));
  EXPECT_EQ(s.get_task(done.id), done);
  EXPECT_EQ(s.get_result(done.id), result);
  Task c = *s.dequeue(kF0 + minutes(1), kFLease);  // a plain file is rewritten, framed
  EXPECT_EQ(c.id, waiting.id);
  Outcome o = success_of(c, Value("new"), kF0 + minutes(2));
  ASSERT_TRUE(s.finish_many({&o, 1}).front());
  EXPECT_EQ(s.get_result(waiting.id)->result, Value("new"));
  EXPECT_EQ(s.stats().count(TaskStatus::SUCCESS), 2u);
  EXPECT_EQ(s.purge_results(kF0 + hours(1)), 2u);
  EXPECT_TRUE(names_in(base / "queue").empty());
  EXPECT_TRUE(names_in(base / "results").empty());
}

}  // namespace
}  // namespace omniq::testing
