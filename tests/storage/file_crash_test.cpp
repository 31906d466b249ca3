// FileStorage killed (SIGKILL) at each step of a change: a claim or outcome
// cut short is found by the next process, which fixes the file's name to fit
// its record, and nothing is lost: a claim whose claimer died is recovered
// when its lease runs out. A write that fails (file too large) leaves
// nothing behind.
#include <signal.h>
#include <sys/resource.h>

#include <set>

#include "omniq/error.hpp"
#include "storage/file_test_util.hpp"

namespace omniq::testing {
namespace {

// The child's kill point: the n-th step named `what` (any step when empty).
std::string g_kill_step;
int g_kill_countdown = 0;

void kill_at_step(std::string_view what, const std::string&) {
  if ((g_kill_step.empty() || what == g_kill_step) && --g_kill_countdown == 0) ::raise(SIGKILL);
}

// In a child, opens the store at `base` and runs `body`, killed at the n-th
// step `what`. Returns true if it was killed there.
bool killed_at(const fs::path& base, const std::string& what, int n,
               const std::function<void(FileStorage&)>& body,
               Durability durability = Durability::full) {
  int rc = in_child([&] {
    g_kill_step = what;
    g_kill_countdown = n;
    file_store_hooks::step = kill_at_step;
    FileStorage s(file_options(base, durability));
    body(s);
    return 0;
  });
  return rc == 128 + SIGKILL;
}

void claim_in(FileStorage& s) {
  claim(s, kF0, 1, kFLease);
}

TEST(FileStorageCrash, ClaimKilledOnceItsRecordWasWrittenIsRecoveredWhenItsLeaseRunsOut) {
  TempDir dir;
  Task t = file_task();
  FileStorage(file_options(dir / "store")).write({.enqueue = {t}});
  ASSERT_TRUE(killed_at(dir / "store", "written", 1, claim_in));
  // The claimed record is in <id>.task: the rename to .running never came.
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".task"});
  FileStorage s(file_options(dir / "store"));
  EXPECT_EQ(s.get_task(t.id)->status, TaskStatus::RUNNING);
  EXPECT_TRUE(s.expired(kF0 + kFLease, 10).empty());  // the lease is still live
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".running"});
  EXPECT_TRUE(claim(s, kF0 + kFLease, 10, kFLease).empty());
  auto lost = s.expired(kF0 + kFLease + seconds(1), 10);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].attempts, 1);
  EXPECT_EQ(lost[0].lease_expires_at, kF0 + kFLease);
}

TEST(FileStorageCrash, ClaimKilledAfterItsRenameIsRecoveredWhenItsLeaseRunsOut) {
  TempDir dir;
  Task t = file_task();
  FileStorage(file_options(dir / "store")).write({.enqueue = {t}});
  ASSERT_TRUE(killed_at(dir / "store", "renamed", 1, claim_in));
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".running"});
  FileStorage s(file_options(dir / "store"));
  EXPECT_TRUE(s.expired(kF0 + kFLease, 10).empty());
  EXPECT_EQ(s.expired(kF0 + kFLease + seconds(1), 10).size(), 1u);
}

TEST(FileStorageCrash, BatchKilledBeforeAClaimsRenamesLeavesTheTaskWaiting) {
  TempDir dir;
  Task t = file_task();
  Task later = file_task("later", seconds(1));
  later.schedule.eta = kF0 + hours(1);
  FileStorage(file_options(dir / "store")).write({.enqueue = {t}});
  // New tasks are renamed into place first: killed there, the claim of t
  // (already written to tmp/) never reached queue/.
  ASSERT_TRUE(killed_at(dir / "store", "added", 1, [&](FileStorage& s) {
    WriteBatch b;
    b.enqueue = {later};
    b.claims = {{"default", 5}};
    b.now = kF0;
    b.lease = kFLease;
    s.write(b);
  }));
  EXPECT_EQ(names_in(dir / "store" / "queue"),
            (std::vector<std::string>{t.id + ".task", later.id + ".task"}));
  EXPECT_EQ(names_in(dir / "store" / "tmp").size(), 1u);  // removed once an hour old
  FileStorage s(file_options(dir / "store"));
  EXPECT_EQ(s.get_task(t.id), t);
  EXPECT_EQ(claim_one(s, kF0)->attempts, 1);
}

TEST(FileStorageCrash, OutcomeKilledOnceItsRecordWasWrittenIsFinishedByTheNextStore) {
  TempDir dir;
  Task t = file_task();
  Task claimed;
  {
    FileStorage s(file_options(dir / "store"));
    enqueue(s, t);
    claimed = *claim_one(s, kF0);
  }
  ASSERT_TRUE(killed_at(dir / "store", "written", 1, [&](FileStorage& s) {
    finish(s, {success_of(claimed, Value("done"), kF0 + seconds(1))});
  }));
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".running"});
  FileStorage s(file_options(dir / "store"));
  EXPECT_EQ(s.get_result(t.id)->result, Value("done"));
  EXPECT_TRUE(s.expired(kF0 + hours(1), 10).empty());
  EXPECT_EQ(names_in(dir / "store" / "queue"), std::vector<std::string>{t.id + ".done"});
}

// Kills a worker's drain (claims of 5, each batch finished in the next
// write) at its n-th step, if it has that many.
void drain_killed_at(const fs::path& base, int n) {
  auto drain = [](FileStorage& s) {
    std::vector<Outcome> outs;
    for (;;) {
      WriteBatch b;
      b.outcomes = std::exchange(outs, {});
      b.claims = {{"default", 5}};
      b.now = kF0;
      b.lease = kFLease;
      auto r = s.write(b);
      for (const Task& c : r.claimed) outs.push_back(success_of(c, Value(c.id), kF0));
      if (r.claimed.empty() && b.outcomes.empty()) return;
    }
  };
  killed_at(base, "", n, drain, Durability::off);
}

TEST(FileStorageCrash, KilledAtAnyStepOfADrainLosesNothing) {
  constexpr int kTasks = 20;
  constexpr int kSteps = kTasks * 4;  // each task: claim written, renamed; outcome written, renamed
  for (int n = 1; n <= kSteps; n += 3) {
    SCOPED_TRACE(n);
    TempDir dir;
    fs::path base = dir / "store";
    std::vector<Task> tasks = file_tasks(kTasks);
    FileStorage(file_options(base)).write({.enqueue = tasks});
    drain_killed_at(base, n);
    // One file per task, none corrupt.
    std::set<std::string> ids;
    for (const std::string& name : names_in(base / "queue")) {
      EXPECT_TRUE(ids.insert(name.substr(0, name.find('.'))).second) << name;
    }
    EXPECT_EQ(ids.size(), tasks.size());
    EXPECT_TRUE(names_in(base / "corrupt").empty());
    // Claims the dead worker held come back once their leases run out.
    FileStorage s(file_options(base));
    Timestamp later = kF0 + hours(1);
    for (const Task& lost : s.expired(later, 100)) {
      Outcome o;
      o.task_id = lost.id;
      o.attempt = lost.attempts;
      o.status = TaskStatus::RETRYING;
      o.next_eta = later;
      o.at = later;
      o.lease_expired = true;
      ASSERT_EQ(finish(s, {o}).front(), Applied::yes);
    }
    for (auto c = claim(s, later, 100, kFLease); !c.empty(); c = claim(s, later, 100, kFLease)) {
      for (const Task& t : c) finish(s, {success_of(t, Value(t.id), later)});
    }
    EXPECT_EQ(s.stats().count(TaskStatus::SUCCESS), tasks.size());
    for (const Task& t : tasks) EXPECT_EQ(s.get_result(t.id)->result, Value(t.id));
  }
}

TEST(FileStorageCrash, WriteThatFailsLeavesNoPartialFileAndDamagesNothing) {
  TempDir dir;
  fs::path base = dir / "store";
  Task kept = file_task("kept");
  Task large = file_task("large", seconds(1));  // fits now, not under the limit below
  large.args = Value::array({std::string(6000, 'z')});
  {
    FileStorage s(file_options(base));
    enqueue(s, kept);
    enqueue(s, large);
  }
  int rc = in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    FileStorage s(file_options(base));
    Task claimed = *claim_one(s, kF0);
    if (claimed.id != kept.id) return 10;
    rlimit small{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &small);  // writes past 4 KiB fail with EFBIG
    Task big = file_task("big");
    big.args = Value::array({std::string(20000, 'x')});
    try {
      enqueue(s, big);
      return 1;
    } catch (const StorageError& e) {
      std::string what = e.what();
      if (what.find("File too large") == std::string::npos) return 2;
      if (what.find(base.string()) == std::string::npos) return 3;
    }
    // An outcome that fails takes the claims of its write down with it.
    WriteBatch b;
    b.outcomes = {success_of(claimed, Value(std::string(20000, 'y')), kF0)};
    b.claims = {{"default", 5}};
    b.now = kF0 + seconds(1);
    b.lease = kFLease;
    try {
      s.write(b);
      return 4;
    } catch (const StorageError&) {
    }
    if (s.get_task(claimed.id) != claimed) return 5;
    if (s.get_task(big.id).has_value()) return 6;
    if (s.get_task(large.id) != large) return 7;
    return finish(s, {success_of(claimed, Value(1), kF0)}).front() == Applied::yes ? 0 : 8;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(names_in(base / "tmp").empty());
  EXPECT_EQ(names_in(base / "queue"),
            (std::vector<std::string>{kept.id + ".done", large.id + ".task"}));
  FileStorage s(file_options(base));
  EXPECT_EQ(s.get_result(kept.id)->result, Value(1));
  EXPECT_EQ(claim_one(s, kF0 + seconds(1))->id, large.id);
}

}  // namespace
}  // namespace omniq::testing
