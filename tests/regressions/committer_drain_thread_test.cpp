// Regression: a blocking write that leads (writes for everyone) on a thread of
// its own, e.g. a plain handler's record, left what others asked meanwhile to
// a drain on a storage thread once its own request was written. When every
// storage thread was itself waiting in a blocking write (AsyncOmniQ::retry
// enqueues from one), no thread was left to run that drain: they waited for
// ever, until some other write came by. Drains now run on the committer's
// own thread, which never waits for a write.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <future>

#include "engine/engine_fixture.hpp"
#include "omniq/async.hpp"
#include "storage/memory/memory_storage.hpp"
#include "support/forwarding_storage.hpp"
#include "support/gate.hpp"

namespace omniq::testing {
namespace {

// Once armed, the next write() waits at `gate`; get_task() calls are counted.
class HeldWrite : public ForwardingStorage {
 public:
  using ForwardingStorage::ForwardingStorage;
  WriteResult write(const WriteBatch& b) override {
    if (armed.exchange(false)) {
      entered.store(true);
      gate.wait();
    }
    return inner_->write(b);
  }
  std::optional<Task> get_task(std::string_view id) override {
    ++reads;
    return inner_->get_task(id);
  }
  std::atomic<bool> armed{false}, entered{false};
  std::atomic<int> reads{0};
  Gate gate;
};

TEST(CommitterDrain, WritesWaitingOnEveryStorageThreadAreWrittenWhenTheLeadLeaves) {
  auto store = std::make_shared<HeldWrite>(std::make_shared<MemoryStorage>());
  OmniQ oq(store, Settings{});
  std::vector<std::string> cancelled;
  for (int i = 0; i < 2; ++i) {  // the storage threads: TaskQueue has two
    cancelled.push_back(oq.enqueue("job"));
    ASSERT_EQ(oq.cancel(cancelled.back()), CancelResult::cancelled);
  }

  // A caller's thread leads a write, held in the store.
  store->armed = true;
  auto lead = std::async(std::launch::async, [&] { return oq.enqueue("job"); });
  ASSERT_TRUE(eventually([&] { return store->entered.load(); }, seconds(10)));

  // Meanwhile each storage thread makes a blocking write (retry enqueues).
  asio::io_context io;
  AsyncOmniQ aq = oq.async();
  std::vector<std::future<std::string>> retries;
  int reads = store->reads.load();
  for (const std::string& id : cancelled) {
    retries.push_back(asio::co_spawn(io, aq.retry(id), asio::use_future));
  }
  std::thread loop([&] { io.run(); });
  ASSERT_TRUE(eventually([&] { return store->reads.load() == reads + 2; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(100));  // both into their write

  store->gate.open();
  EXPECT_FALSE(lead.get().empty());
  bool written = true;
  for (auto& r : retries) written &= r.wait_for(seconds(10)) == std::future_status::ready;
  EXPECT_TRUE(written) << "the storage threads' writes were left waiting";
  if (!written) oq.enqueue("job");  // a new lead writes them, so the test can end
  for (auto& r : retries) EXPECT_FALSE(r.get().empty());
  loop.join();
}

}  // namespace
}  // namespace omniq::testing
