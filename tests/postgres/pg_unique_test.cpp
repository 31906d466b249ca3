// Unique keys under concurrency: stores in one process racing to enqueue
// the same key create exactly one task, and all of them name it.
#include <latch>
#include <set>
#include <thread>

#include "pg_test_support.hpp"
#include "support/store_calls.hpp"

namespace omniq::pgtest {
namespace {

TEST(PgUnique, EightStoresEnqueueingOneKeyAtOnceCreateExactlyOneTask) {
  std::string schema = fresh_schema("unique");
  constexpr int kStores = 8;
  constexpr int kKeys = 20;
  std::vector<std::unique_ptr<PostgresStorage>> stores;
  for (int i = 0; i < kStores; ++i) stores.push_back(open_store(schema));
  for (int k = 0; k < kKeys; ++k) {
    std::string key = "key-" + std::to_string(k);
    std::latch start(kStores);
    std::vector<Enqueued> got(kStores);
    std::vector<std::thread> threads;
    for (int i = 0; i < kStores; ++i) {
      threads.emplace_back([&, i] {
        Task t = make("job", seconds(i));
        t.unique_key = key;
        t.unique_statuses = 0x13;  // PENDING, RUNNING, RETRYING
        start.arrive_and_wait();
        got[static_cast<std::size_t>(i)] = enqueue(*stores[static_cast<std::size_t>(i)], t);
      });
    }
    for (auto& t : threads) t.join();
    std::set<std::string> ids;
    int created = 0;
    for (const Enqueued& e : got) {
      ids.insert(e.id);
      created += e.created ? 1 : 0;
    }
    EXPECT_EQ(created, 1) << key;
    EXPECT_EQ(ids.size(), 1u) << key;
  }
  auto c = connect(schema);
  EXPECT_EQ(c->exec("SELECT count(*), count(DISTINCT unique_key) FROM tasks", soon()).integer(0, 0),
            kKeys);
}

TEST(PgUnique, AKeyIsFreeAgainOnceItsHolderLeavesTheStatusesThatHoldIt) {
  auto store = open_store(fresh_schema("unique"));
  Task first = make("first");
  first.unique_key = "k";
  first.unique_statuses = 0x13;
  ASSERT_TRUE(enqueue(*store, first).created);
  Task second = make("second", seconds(1));
  second.unique_key = "k";
  second.unique_statuses = 0x13;
  EXPECT_EQ(enqueue(*store, second), (Enqueued{first.id, false}));
  auto claimed = claim(*store, kT0 + seconds(5), 1, seconds(30));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(enqueue(*store, second), (Enqueued{first.id, false}));  // RUNNING holds it too
  Outcome done{first.id, 1, TaskStatus::SUCCESS};
  done.at = kT0 + seconds(6);
  ASSERT_EQ(finish(*store, {done}), std::vector<Applied>{Applied::yes});
  EXPECT_EQ(enqueue(*store, second), (Enqueued{second.id, true}));
}

}  // namespace
}  // namespace omniq::pgtest
