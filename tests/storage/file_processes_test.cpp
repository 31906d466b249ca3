// FileStorage shared by several stores and processes: other processes' work is
// seen, no task is claimed twice, a drain does not list the queue per task, a
// claim interrupted by SIGKILL either never happened or is recovered when its
// lease runs out, an outcome interrupted before its rename is finished after
// the grace, and a failed write (file too large) leaves nothing behind.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "omniq/error.hpp"
#include "storage/file_test_hooks.hpp"
#include "storage/file_test_util.hpp"

namespace omniq::testing {
namespace {

// Runs `body` in a forked child; returns its exit status (or 128 + signal).
int in_child(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (...) {
      code = 98;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

std::vector<Task> many(int n, const std::string& func = "job") {
  std::vector<Task> out;
  for (int i = 0; i < n; ++i) out.push_back(file_task(func, microseconds(i)));
  return out;
}

TEST(FileStorageShared, AnotherStoreSeesEnqueuedTasksWithoutRescanning) {
  TempDir dir;
  FileStorage a(file_options(dir / "store")), b(file_options(dir / "store"));
  EXPECT_FALSE(b.dequeue(kF0, kFLease).has_value());  // first look: one scan
  auto scans = file_store_hooks::queue_scans.load();
  auto before = b.change_counter();
  Task t = file_task();
  a.enqueue(t);
  EXPECT_NE(b.change_counter(), before);  // noticed through inotify
  EXPECT_EQ(b.next_eta(), kF0);
  EXPECT_EQ(b.dequeue(kF0, kFLease)->id, t.id);
  EXPECT_EQ(file_store_hooks::queue_scans.load(), scans);
  // A retry written by one store is claimable by the other.
  Outcome o;
  o.task_id = t.id;
  o.attempt = 1;
  o.status = TaskStatus::RETRYING;
  o.next_eta = kF0 + seconds(5);
  o.at = kF0;
  ASSERT_TRUE(b.finish_many({&o, 1}).front());
  EXPECT_EQ(a.dequeue(kF0 + seconds(5), kFLease)->attempts, 2);
}

TEST(FileStorageShared, TwoStoresDrainingTogetherNeverClaimATaskTwice) {
  TempDir dir;
  FileStorage a(file_options(dir / "store", Durability::off));
  FileStorage b(file_options(dir / "store", Durability::off));
  a.enqueue_many(many(1500));
  std::vector<std::string> got_a, got_b;
  auto drain = [](FileStorage& s, std::vector<std::string>& got, std::size_t n) {
    for (;;) {
      auto batch = s.dequeue_many(kF0 + seconds(1), n, kFLease);
      if (batch.empty()) return;
      for (const Task& t : batch) got.push_back(t.id);
    }
  };
  std::thread ta([&] { drain(a, got_a, 7); });
  std::thread tb([&] { drain(b, got_b, 1); });
  ta.join();
  tb.join();
  std::set<std::string> all(got_a.begin(), got_a.end());
  all.insert(got_b.begin(), got_b.end());
  EXPECT_EQ(got_a.size() + got_b.size(), 1500u);
  EXPECT_EQ(all.size(), 1500u);
  EXPECT_EQ(a.stats().count(TaskStatus::RUNNING), 1500u);
}

TEST(FileStorageShared, ProcessesDrainingTogetherNeverClaimATaskTwice) {
  TempDir dir;
  {
    FileStorage s(file_options(dir / "store"));
    s.enqueue_many(many(600));
  }
  std::vector<pid_t> kids;
  for (int k = 0; k < 3; ++k) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int code = 0;
      try {
        FileStorage s(file_options(dir / "store"));
        std::ofstream out(dir / ("claims-" + std::to_string(k)));
        while (true) {
          auto batch = s.dequeue_many(kF0 + seconds(1), 1 + 4 * k, kFLease);
          if (batch.empty()) break;
          std::vector<Outcome> outs;
          for (const Task& t : batch) {
            out << t.id << "\n";
            outs.push_back(success_of(t, Value(k), kF0 + seconds(2)));
          }
          s.finish_many(outs);
        }
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::vector<std::string> claimed;
  for (int k = 0; k < 3; ++k) {
    std::ifstream in(dir / ("claims-" + std::to_string(k)));
    for (std::string id; std::getline(in, id);) claimed.push_back(id);
  }
  EXPECT_EQ(claimed.size(), 600u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 600u);
  FileStorage s(file_options(dir / "store"));
  EXPECT_EQ(s.stats().count(TaskStatus::SUCCESS), 600u);
}

TEST(FileStorageShared, DrainingManyTasksDoesNotListTheQueuePerTask) {
  TempDir dir;
  FileStorage s(file_options(dir / "store", Durability::off));
  std::vector<Task> tasks = many(20000);
  for (std::size_t i = 0; i < tasks.size(); i += 1000) {
    s.enqueue_many(std::span<const Task>(tasks).subspan(i, 1000));
  }
  auto scans = file_store_hooks::queue_scans.load();
  std::size_t n = 0;
  while (s.dequeue(kF0 + seconds(1), kFLease)) ++n;
  EXPECT_EQ(n, 20000u);
  // The index was filled by this store's own enqueues; inotify may overflow once or twice.
  EXPECT_LE(file_store_hooks::queue_scans.load() - scans, 3u);
}

TEST(FileStorageShared, OutcomeOfAClaimAnotherStoreRecoveredIsRefused) {
  TempDir dir;
  FileStorage a(file_options(dir / "store")), b(file_options(dir / "store"));
  Task t = file_task();
  a.enqueue(t);
  Task first = *a.dequeue(kF0, kFLease);
  ASSERT_EQ(b.recover_expired(kF0 + kFLease + seconds(1)), 1u);
  Task second = *b.dequeue(kF0 + kFLease + seconds(1), kFLease);
  Outcome late = success_of(first, Value("stale"), kF0 + minutes(1));
  EXPECT_EQ(a.finish_many({&late, 1}), std::vector<bool>{false});
  EXPECT_EQ(a.renew_leases(std::vector<Claim>{{t.id, first.attempts}}, kF0 + hours(1)).size(), 1u);
  EXPECT_EQ(a.get_task(t.id), second);
  Outcome fresh = success_of(second, Value("fresh"), kF0 + minutes(2));
  EXPECT_EQ(b.finish_many({&fresh, 1}), std::vector<bool>{true});
  EXPECT_EQ(a.get_result(t.id)->result, Value("fresh"));
}

// In a child, opens the store at `base`, claims its task and is killed at
// `hook` (before or after the claim's rename).
void kill_a_claim_at(const fs::path& base, void (*&hook)(const std::string&)) {
  int rc = in_child([&] {
    hook = [](const std::string&) { ::raise(SIGKILL); };
    FileStorage s(file_options(base));
    s.dequeue(kF0, kFLease);
    return 0;
  });
  ASSERT_EQ(rc, 128 + SIGKILL);
}

TEST(FileStorageCrash, ClaimKilledBeforeItsRenameNeverHappened) {
  TempDir dir;
  Task t = file_task();
  {
    FileStorage s(file_options(dir / "store"));
    s.enqueue(t);
  }
  kill_a_claim_at(dir / "store", file_store_hooks::before_claim_rename);
  // The claim frame was written, but only the rename makes a claim.
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".task"});
  FileStorage s(file_options(dir / "store"));
  EXPECT_EQ(s.get_task(t.id), t);  // still PENDING, no attempt counted
  EXPECT_EQ(s.recover_expired(kF0 + hours(10)), 0u);
  Task c = *s.dequeue(kF0, kFLease);  // claimable at once, no grace to wait for
  EXPECT_EQ(c.id, t.id);
  EXPECT_EQ(c.attempts, 1);
  EXPECT_EQ(s.get_task(t.id), c);
}

TEST(FileStorageCrash, ClaimKilledAfterItsRenameIsRecoveredWhenItsLeaseRunsOut) {
  TempDir dir;
  Task t = file_task();
  {
    FileStorage s(file_options(dir / "store"));
    s.enqueue(t);
  }
  kill_a_claim_at(dir / "store", file_store_hooks::after_claim_rename);
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".running"});
  FileStorage s(file_options(dir / "store"));
  Task claimed = *s.get_task(t.id);
  EXPECT_EQ(claimed.status, TaskStatus::RUNNING);
  EXPECT_EQ(claimed.attempts, 1);
  EXPECT_EQ(claimed.lease_expires_at, kF0 + kFLease);
  EXPECT_EQ(s.recover_expired(kF0 + kFLease), 0u);  // the lease is still live
  EXPECT_FALSE(s.dequeue(kF0 + kFLease, kFLease).has_value());
  EXPECT_EQ(s.recover_expired(kF0 + kFLease + seconds(1)), 1u);
  Task again = *s.dequeue(kF0 + kFLease + seconds(1), kFLease);
  EXPECT_EQ(again.attempts, 2);
  EXPECT_EQ(again.error->error_type, "WorkerLost");
}

TEST(FileStorageCrash, OutcomeKilledBeforeItsRenameIsFinishedOnlyAfterTheGrace) {
  TempDir dir;
  Task t = file_task();
  Task claimed;
  {
    FileStorage s(file_options(dir / "store"));
    s.enqueue(t);
    claimed = *s.dequeue(kF0, kFLease);
  }
  int rc = in_child([&] {
    file_store_hooks::before_move_on = [](const std::string&) { ::raise(SIGKILL); };
    FileStorage s(file_options(dir / "store"));
    Outcome o = success_of(claimed, Value("done"), kF0 + seconds(1));
    s.finish_many({&o, 1});
    return 0;
  });
  ASSERT_EQ(rc, 128 + SIGKILL);
  // The outcome is in the file, which is still named .running: a move in progress.
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".running"});
  FileStorage s(file_options(dir / "store"));
  EXPECT_EQ(s.get_task(t.id)->status, TaskStatus::SUCCESS);
  EXPECT_EQ(s.get_result(t.id)->result, Value("done"));
  // Within the grace the file is left to its (possibly live) owner.
  EXPECT_EQ(s.recover_expired(kF0 + hours(10)), 0u);
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".running"});

  FileStorage::Options quick = file_options(dir / "store");
  quick.claim_grace = Duration::zero();
  FileStorage r(quick);
  EXPECT_EQ(r.recover_expired(kF0), 1u);
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".done"});
  EXPECT_EQ(r.get_result(t.id)->result, Value("done"));
}

TEST(FileStorageCrash, AnExplicitCallMayTakeOverAClaimThatDiedMidway) {
  TempDir dir;
  Task t = file_task();
  FileStorage s(file_options(dir / "store"));
  s.enqueue(t);
  kill_a_claim_at(dir / "store", file_store_hooks::before_claim_rename);
  // Nobody holds the lock: cancel (or reschedule, mark_running) acts at once.
  EXPECT_EQ(s.cancel(t.id, kF0 + seconds(1)), CancelResult::cancelled);
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".done"});
  EXPECT_EQ(s.get_result(t.id)->status, TaskStatus::CANCELLED);
}

TEST(FileStorageCrash, WriteThatFailsLeavesNoPartialFileAndDamagesNothing) {
  TempDir dir;
  fs::path base = dir / "store";
  Task kept = file_task("kept");
  Task large = file_task("large", seconds(1));  // fits now, not under the limit below
  large.args = Value::array({std::string(6000, 'z')});
  {
    FileStorage s(file_options(base));
    s.enqueue(kept);
    s.enqueue(large);
  }
  int rc = in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    FileStorage s(file_options(base));
    Task claimed = *s.dequeue(kF0, kFLease);
    if (claimed.id != kept.id) return 10;
    rlimit small{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &small);  // writes past 4 KiB fail with EFBIG
    Task big = file_task("big");
    big.args = Value::array({std::string(20000, 'x')});
    try {
      s.enqueue(big);
      return 1;
    } catch (const StorageError& e) {
      std::string what = e.what();
      if (what.find("File too large") == std::string::npos) return 2;
      if (what.find(base.string()) == std::string::npos) return 3;
    }
    Outcome o = success_of(claimed, Value(std::string(20000, 'y')), kF0);
    try {
      s.finish_many({&o, 1});
      return 4;
    } catch (const StorageError&) {
    }
    if (s.get_task(claimed.id) != claimed) return 5;
    if (s.get_task(big.id).has_value()) return 6;
    try {  // the claim's rewrite fails: the task goes straight back to waiting
      s.dequeue(kF0 + seconds(1), kFLease);
      return 8;
    } catch (const StorageError&) {
    }
    if (s.get_task(large.id) != large) return 9;
    Outcome small_result = success_of(claimed, Value(1), kF0);  // still works
    return s.finish_many({&small_result, 1}).front() ? 0 : 7;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(names_in(base / "tmp").empty());
  EXPECT_EQ(names_in(base / "queue"),
            (std::vector<std::string>{kept.id + ".done", large.id + ".task"}));
  FileStorage s(file_options(base));
  EXPECT_EQ(s.get_result(kept.id)->result, Value(1));
}

}  // namespace
}  // namespace omniq::testing
