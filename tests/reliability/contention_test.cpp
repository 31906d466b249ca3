// Contention on one SQLite file: 8 threads (half sharing one store, half with
// a connection each) and 4 processes enqueue and claim at once. No error -
// "database is locked" above all - reaches any of them, no task is lost, and
// none is claimed twice.
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "reliability/contender.hpp"
#include "reliability/fault_fixture.hpp"

namespace omniq::reliability {
namespace {

// The SQLite store, once it is built.
class Contention : public ::testing::TestWithParam<std::string> {};

TEST_P(Contention, EightThreadsAndFourProcessesOnOneSQLiteFileLoseAndDoubleClaimNothing) {
  testing::TempDir dir;
  const fs::path db = dir / "q.db";
  const int per = soak() ? 3000 : 300;  // tasks each participant enqueues
  const int threads = 8, processes = 4;
  const std::size_t total = static_cast<std::size_t>(per * (threads + processes));
  // synchronous=NORMAL: this test is about locking, not about fsync.
  const Settings options = store_settings(GetParam(), db, Durability::normal);
  std::shared_ptr<Storage> shared = make_storage(options);

  std::vector<std::unique_ptr<Process>> children;
  for (int p = 0; p < processes; ++p) {
    children.push_back(std::make_unique<Process>(
        std::vector<std::string>{OMNIQ_RELIABILITY_WORKER, "--mode=contend",
                                 "--backend=" + GetParam(), "--durability=normal",
                                 "--store=" + db.string(),
                                 "--side=" + (dir / ("claims-" + std::to_string(p))).string(),
                                 "--id=" + std::to_string(p), "--tasks=" + std::to_string(per),
                                 "--total=" + std::to_string(total)},
        dir / "processes.log"));
  }
  std::mutex mu;
  std::vector<std::string> claimed, errors;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        std::shared_ptr<Storage> store = shared;
        if (t % 2 == 1) store = make_storage(options);  // a connection of its own
        contend(*store, processes + t, per, total, [&](const std::string& id) {
          std::lock_guard lock(mu);
          claimed.push_back(id);
        });
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        errors.push_back(e.what());
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& c : children) EXPECT_EQ(c->wait(), 0) << tail(dir / "processes.log");
  for (const auto& e : errors) ADD_FAILURE() << "a thread saw: " << e;
  EXPECT_EQ(tail(dir / "processes.log"), "") << "a process reported an error";

  for (int p = 0; p < processes; ++p) {
    std::ifstream in(dir / ("claims-" + std::to_string(p)));
    for (std::string id; std::getline(in, id);) claimed.push_back(id);
  }
  std::map<std::string, int> claims;
  for (const auto& id : claimed) ++claims[id];
  for (const auto& [id, n] : claims) EXPECT_EQ(n, 1) << id << " was claimed " << n << " times";
  EXPECT_EQ(claimed.size(), total);

  // Every enqueued task (participant, index) is there, SUCCESS after one attempt.
  QueueStats s = shared->stats();
  EXPECT_EQ(s.count(TaskStatus::SUCCESS), total);
  EXPECT_EQ(s.total(), total);
  TaskFilter all;
  all.limit = total + 10;
  std::set<std::pair<int, int>> made;
  for (const Task& t : shared->list_tasks(all)) {
    made.emplace(t.args[0].get<int>(), t.args[1].get<int>());
    EXPECT_EQ(t.attempts, 1) << t.id;
    EXPECT_EQ(claims.count(t.id), 1u) << t.id << " finished without a recorded claim";
  }
  EXPECT_EQ(made.size(), total);
  std::printf("[ contention ] %zu tasks enqueued and claimed by %d threads and %d processes\n",
              total, threads, processes);
  shared->close();
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Contention);
INSTANTIATE_TEST_SUITE_P(Backends, Contention, ::testing::ValuesIn(fault_backends({"sqlite"})),
                         backend_param_name);

}  // namespace
}  // namespace omniq::reliability
