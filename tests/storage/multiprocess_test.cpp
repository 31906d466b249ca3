// Persistent stores shared by several processes: concurrent claims from
// separate processes never hand one task to two of them, and a process killed
// in the middle of its work loses nothing that was acknowledged.
//
// Children are forked while the test process runs no other thread; each opens
// its own store after the fork and leaves with _exit.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <set>

#include "base/task_rules.hpp"
#include "omniq/settings.hpp"
#include "support/backends.hpp"
#include "support/processes.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

const Timestamp kT0 = sys_days{2026y / November / 26} + 6h;
constexpr Duration kLease = seconds(30);

// A SUCCESS outcome for a claimed task, storing `value`.
Outcome success(const Task& t, Value value, Timestamp at) {
  Outcome o;
  o.task_id = t.id;
  o.attempt = t.attempts;
  o.status = TaskStatus::SUCCESS;
  o.result = TaskResult{t.id, TaskStatus::SUCCESS, std::move(value), std::nullopt,
                        at,   t.attempts,          std::nullopt};
  o.at = at;
  return o;
}

class MultiProcess : public ::testing::TestWithParam<BackendFactory> {
 protected:
  std::shared_ptr<Storage> open() { return GetParam().open(dir_.path()); }

  // Enqueues n tasks (created in that order) and closes the store.
  std::vector<std::string> fill(int n) {
    auto store = open();
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) {
      tasks.push_back(make_task("mp", Value::array({i}), {}, Settings{}, kT0 + microseconds(i)));
    }
    std::vector<std::string> ids;
    for (int i = 0; i < n; i += 250) {
      std::span<const Task> chunk(tasks.data() + i, std::min(250, n - i));
      for (const Enqueued& e : enqueue_many(*store, chunk)) ids.push_back(e.id);
    }
    store->close();
    return ids;
  }

  // Claims and finishes tasks until none is due; returns how many.
  static std::size_t drain(Storage& store, Timestamp now, int tag) {
    std::size_t done = 0;
    for (;;) {
      auto batch = claim(store, now, 16, kLease);
      if (batch.empty()) return done;
      std::vector<Outcome> outs;
      for (const Task& t : batch) outs.push_back(success(t, Value(tag), now));
      for (Applied a : finish(store, outs)) done += a == Applied::yes ? 1 : 0;
    }
  }

  TempDir dir_;
};

TEST_P(MultiProcess, FourProcessesClaimEveryTaskExactlyOnce) {
  auto ids = fill(2000);
  std::vector<pid_t> children;
  for (int c = 0; c < 4; ++c) {
    children.push_back(spawn([&, c] {
      auto store = open();
      std::ofstream out(dir_ / ("claimed-" + std::to_string(c)));
      for (;;) {
        auto batch = claim(*store, kT0 + seconds(1), 5 + 3 * c, kLease);
        if (batch.empty()) break;
        std::vector<Outcome> outs;
        for (const Task& t : batch) {
          out << t.id << "\n";
          outs.push_back(success(t, Value(c), kT0 + seconds(2)));
        }
        out.flush();
        for (Applied a : finish(*store, outs)) {
          if (a != Applied::yes) throw std::runtime_error("a claimed task could not be finished");
        }
      }
      out.close();
      store->close();
    }));
  }
  for (pid_t pid : children) EXPECT_EQ(wait_for(pid), 0);

  std::map<std::string, int> claimed_by;
  std::size_t claims = 0;
  for (int c = 0; c < 4; ++c) {
    std::ifstream in(dir_ / ("claimed-" + std::to_string(c)));
    for (std::string id; std::getline(in, id);) {
      ++claims;
      EXPECT_TRUE(claimed_by.emplace(id, c).second) << id << " was claimed twice";
    }
  }
  EXPECT_EQ(claims, ids.size());
  EXPECT_EQ(claimed_by.size(), ids.size());
  auto store = open();
  EXPECT_EQ(store->stats().count(TaskStatus::SUCCESS), ids.size());
  for (const std::string& id : ids) {
    auto r = store->get_result(id);
    ASSERT_TRUE(r.has_value()) << id;
    EXPECT_EQ(r->result, Value(claimed_by[id])) << id;
    EXPECT_EQ(r->attempts, 1) << id;
  }
  store->close();
}

TEST_P(MultiProcess, AProcessKilledWhileClaimingLosesNoTask) {
  auto ids = fill(600);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = spawn([&] {
    ::close(fds[0]);
    auto store = open();
    for (;;) {  // never stops on its own: it is killed
      std::vector<Outcome> outs;
      for (const Task& t : claim(*store, kT0 + seconds(1), 5, kLease)) {
        outs.push_back(success(t, Value("first"), kT0 + seconds(2)));
      }
      if (!outs.empty()) finish(*store, outs);
      if (::write(fds[1], "x", 1) != 1) return;
    }
  });
  ::close(fds[1]);
  ASSERT_EQ(read_bytes(fds[0], 30).size(), 30u);  // thirty batches done, more under way
  ::kill(child, SIGKILL);
  EXPECT_EQ(wait_for(child), -SIGKILL);
  ::close(fds[0]);

  // Opens cleanly after the crash.
  auto store = open();
  TaskFilter everything;
  everything.limit = 10000;
  std::map<TaskStatus, std::size_t> by_status;
  for (const Task& t : store->list_tasks(everything)) {
    ++by_status[t.status];
    if (t.status == TaskStatus::SUCCESS) {  // completed once, with its result
      auto r = store->get_result(t.id);
      ASSERT_TRUE(r.has_value()) << t.id;
      EXPECT_EQ(r->attempts, t.attempts);
    }
  }
  EXPECT_EQ(by_status[TaskStatus::SUCCESS] + by_status[TaskStatus::RUNNING] +
                by_status[TaskStatus::PENDING],
            ids.size());
  EXPECT_GE(by_status[TaskStatus::SUCCESS], 30u * 5u);

  // A claim the killed process held is listed once its lease has run out, and
  // goes back to wait when the engine records that (the store decides nothing).
  Timestamp later = kT0 + hours(1);
  std::vector<Outcome> lost;
  for (const Task& t : store->expired(later, 10000)) {
    Outcome o;
    o.task_id = t.id;
    o.attempt = t.attempts;
    o.status = TaskStatus::PENDING;
    o.next_eta = later;
    o.at = later;
    o.lease_expired = true;
    lost.push_back(o);
  }
  EXPECT_EQ(lost.size(), by_status[TaskStatus::RUNNING]);
  for (Applied a : finish(*store, lost)) EXPECT_EQ(a, Applied::yes);
  std::size_t finished = drain(*store, later, 2);
  EXPECT_EQ(finished, ids.size() - by_status[TaskStatus::SUCCESS]);
  EXPECT_EQ(store->stats().count(TaskStatus::SUCCESS), ids.size());
  for (const std::string& id : ids) ASSERT_TRUE(store->get_result(id).has_value()) << id;
  store->close();
}

TEST_P(MultiProcess, EveryAcknowledgedEnqueueSurvivesAKill) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  constexpr std::size_t kIdBytes = 36;  // a UUID's text
  pid_t child = spawn([&] {
    ::close(fds[0]);
    auto store = open();
    for (int i = 0;; ++i) {
      Task t = make_task("ack", Value::array({i}), {}, Settings{}, kT0 + microseconds(i));
      enqueue(*store, t);  // acknowledged: now it must survive
      if (::write(fds[1], t.id.data(), kIdBytes) != static_cast<ssize_t>(kIdBytes)) return;
    }
  });
  ::close(fds[1]);
  std::string acked = read_bytes(fds[0], 60 * kIdBytes);
  ::kill(child, SIGKILL);
  EXPECT_EQ(wait_for(child), -SIGKILL);
  acked += read_bytes(fds[0], SIZE_MAX);  // acknowledgements still in the pipe
  ::close(fds[0]);
  ASSERT_GE(acked.size(), 60 * kIdBytes);

  auto store = open();
  for (std::size_t i = 0; i + kIdBytes <= acked.size(); i += kIdBytes) {
    std::string id = acked.substr(i, kIdBytes);
    EXPECT_TRUE(store->get_task(id).has_value()) << "acknowledged task " << id << " was lost";
  }
  store->close();
}

TEST_P(MultiProcess, EightProcessesRacingOneUniqueKeyCreateExactlyOneTask) {
  constexpr int kProcesses = 8;
  constexpr int kRounds = 20;  // each process enqueues the key this many times
  { open()->close(); }         // the store exists before the race
  int start[2];
  ASSERT_EQ(::pipe(start), 0);
  std::vector<pid_t> children;
  for (int c = 0; c < kProcesses; ++c) {
    children.push_back(spawn([&, c] {
      ::close(start[1]);
      char go;
      if (::read(start[0], &go, 1) != 0) return;  // released together when the pipe closes
      auto store = open();
      std::ofstream out(dir_ / ("enqueued-" + std::to_string(c)));
      for (int i = 0; i < kRounds; ++i) {
        Task t = make_task("race", Value::array({c, i}), {.unique_key = "the-key"}, Settings{},
                           kT0 + microseconds(i));
        Enqueued e = enqueue(*store, t);
        out << e.id << " " << e.created << "\n";
      }
      store->close();
    }));
  }
  ::close(start[0]);
  ::close(start[1]);  // go
  for (pid_t pid : children) EXPECT_EQ(wait_for(pid), 0);

  std::set<std::string> ids;
  int created = 0, told = 0;
  for (int c = 0; c < kProcesses; ++c) {
    std::ifstream in(dir_ / ("enqueued-" + std::to_string(c)));
    std::string id;
    for (bool was_created; in >> id >> was_created; ++told) {
      ids.insert(id);
      created += was_created;
    }
  }
  EXPECT_EQ(told, kProcesses * kRounds);
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
  auto store = open();
  EXPECT_EQ(store->stats().total(), 1u);
  EXPECT_EQ(store->get_task(*ids.begin())->unique_key, "the-key");
  store->close();
}

INSTANTIATE_TEST_SUITE_P(Backends, MultiProcess, ::testing::ValuesIn(persistent_backends()),
                         backend_name);

}  // namespace
}  // namespace omniq::testing
