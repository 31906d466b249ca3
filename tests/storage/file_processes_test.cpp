// FileStorage shared by several stores and processes: each sees the others'
// work (through inotify, without listing queue/), no task is claimed twice,
// a unique key is taken once, and a drain reads each task's file a fixed
// number of times however long the queue (O(N), counted, not timed).
#include <poll.h>

#include <set>
#include <thread>

#include "omniq/error.hpp"
#include "storage/file_test_util.hpp"

namespace omniq::testing {
namespace {

// Claims `batch` at a time and finishes what it claimed in the next write,
// as a worker does; returns the ids claimed.
std::vector<std::string> drain(Storage& s, std::size_t batch) {
  std::vector<std::string> got;
  std::vector<Outcome> outs;
  for (;;) {
    WriteBatch b;
    b.outcomes = std::exchange(outs, {});
    b.claims = {{"default", batch}};
    b.now = kF0 + hours(1);
    b.lease = kFLease;
    bool finishing = !b.outcomes.empty();
    WriteResult r = s.write(b);
    for (const Task& t : r.claimed) {
      got.push_back(t.id);
      outs.push_back(success_of(t, Value(t.id), kF0 + hours(1)));
    }
    if (r.claimed.empty() && !finishing) return got;
  }
}

TEST(FileStorageShared, AnotherStoreSeesEnqueuedTasksWithoutListingTheQueue) {
  TempDir dir;
  FileStorage a(file_options(dir / "store")), b(file_options(dir / "store"));
  EXPECT_FALSE(claim_one(b, kF0).has_value());  // its first look lists queue/ once
  EXPECT_TRUE(a.expired(kF0, 1).empty());       // and so does a's
  auto watch = b.watch();
  ASSERT_NE(watch, nullptr);
  auto listings = file_store_hooks::listings.load();
  Task t = file_task();
  enqueue(a, t);
  pollfd p{watch->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 1000), 1);  // an idle worker of b would wake
  watch->consume();
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  EXPECT_EQ(b.next_eta(), kF0);
  EXPECT_EQ(claim_one(b, kF0)->id, t.id);
  EXPECT_EQ(file_store_hooks::listings.load(), listings);
  // A retry written by one store is claimable by the other.
  Outcome o;
  o.task_id = t.id;
  o.attempt = 1;
  o.status = TaskStatus::RETRYING;
  o.next_eta = kF0 + seconds(5);
  o.at = kF0;
  ASSERT_EQ(finish(b, {o}).front(), Applied::yes);
  EXPECT_EQ(claim_one(a, kF0 + seconds(5))->attempts, 2);
}

TEST(FileStorageShared, TwoStoresDrainingTogetherNeverClaimATaskTwice) {
  TempDir dir;
  FileStorage a(file_options(dir / "store", Durability::off));
  FileStorage b(file_options(dir / "store", Durability::off));
  enqueue_many(a, file_tasks(1500));
  std::vector<std::string> got_a, got_b;
  std::thread ta([&] { got_a = drain(a, 7); });
  std::thread tb([&] { got_b = drain(b, 1); });
  ta.join();
  tb.join();
  std::set<std::string> all(got_a.begin(), got_a.end());
  all.insert(got_b.begin(), got_b.end());
  EXPECT_EQ(got_a.size() + got_b.size(), 1500u);
  EXPECT_EQ(all.size(), 1500u);
  EXPECT_EQ(a.stats().count(TaskStatus::SUCCESS), 1500u);
}

TEST(FileStorageShared, ProcessesDrainingTogetherNeverClaimATaskTwice) {
  TempDir dir;
  FileStorage(file_options(dir / "store")).write({.enqueue = file_tasks(600)});
  std::vector<pid_t> kids;
  for (int k = 0; k < 3; ++k) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int code = 0;
      try {
        FileStorage s(file_options(dir / "store"));
        std::ofstream out(dir / ("claims-" + std::to_string(k)));
        for (const std::string& id : drain(s, 1 + 4 * k)) out << id << "\n";
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

TEST(FileStorageShared, ProcessesEnqueueingOneUniqueKeyCreateOneTask) {
  TempDir dir;
  std::vector<pid_t> kids;
  for (int k = 0; k < 4; ++k) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int created = 0;
      try {
        FileStorage s(file_options(dir / "store"));
        for (int i = 0; i < 20; ++i) {
          Task t = file_task("job", microseconds(k * 100 + i));
          t.id = "child-" + std::to_string(k) + "-" + std::to_string(i);  // forks share id state
          t.unique_key = "nightly";
          t.unique_statuses = 0x13;
          created += enqueue(s, t).created ? 1 : 0;
        }
      } catch (...) {
        created = 99;
      }
      ::_exit(created);
    }
    kids.push_back(pid);
  }
  int created = 0;
  for (pid_t pid : kids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    created += WIFEXITED(status) ? WEXITSTATUS(status) : 100;
  }
  EXPECT_EQ(created, 1);
  FileStorage s(file_options(dir / "store"));
  EXPECT_EQ(s.stats().total(), 1u);
}

TEST(FileStorageShared, OutcomeOfAClaimAnotherStoreRecoveredIsRefused) {
  TempDir dir;
  FileStorage a(file_options(dir / "store")), b(file_options(dir / "store"));
  Task t = file_task();
  enqueue(a, t);
  Task first = *claim_one(a, kF0);
  Timestamp late = kF0 + kFLease + seconds(1);
  ASSERT_EQ(b.expired(late, 10).size(), 1u);
  Outcome lost;
  lost.task_id = t.id;
  lost.attempt = first.attempts;
  lost.status = TaskStatus::RETRYING;
  lost.next_eta = late;
  lost.at = late;
  lost.lease_expired = true;
  ASSERT_EQ(finish(b, {lost}).front(), Applied::yes);
  Task second = *claim_one(b, late);
  EXPECT_EQ(finish(a, {success_of(first, Value("stale"), late)}).front(), Applied::not_current);
  EXPECT_EQ(a.renew_leases(std::vector<Claim>{{t.id, first.attempts}}, late + hours(1)),
            std::vector<Applied>{Applied::not_current});
  EXPECT_EQ(a.get_task(t.id), second);
  EXPECT_EQ(finish(b, {success_of(second, Value("fresh"), late)}).front(), Applied::yes);
  EXPECT_EQ(a.get_result(t.id)->result, Value("fresh"));
}

// Reads and listings per task of a drain of n tasks by `reader`, which
// another store enqueued.
std::pair<double, std::uint64_t> drain_cost(std::size_t n) {
  TempDir dir;
  FileStorage writer(file_options(dir / "store", Durability::off));
  FileStorage reader(file_options(dir / "store", Durability::off));
  EXPECT_FALSE(claim_one(reader, kF0).has_value());
  std::vector<Task> tasks = file_tasks(static_cast<int>(n));
  for (std::size_t i = 0; i < n; i += 500) {
    enqueue_many(writer,
                 std::span<const Task>(tasks).subspan(i, std::min<std::size_t>(500, n - i)));
  }
  auto reads = file_store_hooks::reads.load();
  auto listings = file_store_hooks::listings.load();
  EXPECT_EQ(drain(reader, 100).size(), n);
  return {static_cast<double>(file_store_hooks::reads.load() - reads) / static_cast<double>(n),
          file_store_hooks::listings.load() - listings};
}

TEST(FileStorageShared, DrainReadsEachTaskAFixedNumberOfTimesAtAnySize) {
  auto [small_reads, small_listings] = drain_cost(1000);
  auto [large_reads, large_listings] = drain_cost(10000);
  // Learning of the task, claiming it, finishing it: three reads, whatever n.
  EXPECT_LE(small_reads, 3.01);
  EXPECT_LE(large_reads, 3.01);
  // queue/ is listed again only if inotify's queue (16384 events) overflowed.
  EXPECT_LE(small_listings, 1u);
  EXPECT_LE(large_listings, 3u);
}

}  // namespace
}  // namespace omniq::testing
