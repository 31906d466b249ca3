// Connection loss: with the server stopped, a call fails within the timeout
// saying the database is unreachable; once it is back, the same store (and
// its watch) work again. A call held up inside the server ends in time too.
#include <poll.h>

#include "pg_test_support.hpp"
#include "support/store_calls.hpp"

namespace omniq::pgtest {
namespace {

bool readable(int fd, milliseconds within) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(within.count())) > 0;
}

// Runs f() until it stops throwing StorageError, for up to `limit`.
template <class F>
bool eventually(F f, Duration limit) {
  auto until = steady_clock::now() + limit;
  while (steady_clock::now() < until) {
    try {
      f();
      return true;
    } catch (const StorageError&) {
      std::this_thread::sleep_for(milliseconds(100));
    }
  }
  return false;
}

TEST(PgReconnect, AStoppedServerFailsCallsInTimeAndTheStoreRecoversAfterARestart) {
  std::string schema = fresh_schema("reconnect");
  auto store = open_store(schema, Durability::full, seconds(3));
  Task before = make("before");
  enqueue(*store, before);
  auto watch = store->watch();
  int listening = watch->fd();

  server("pause");
  for (int call = 0; call < 3;
       ++call) {  // the first finds the broken connection, later ones reconnect
    auto start = steady_clock::now();
    try {
      store->get_task(before.id);
      ADD_FAILURE() << "a call succeeded with the server stopped";
    } catch (const StorageError& e) {
      EXPECT_NE(std::string(e.what()).find("unreachable"), std::string::npos) << e.what();
    }
    EXPECT_LT(steady_clock::now() - start, seconds(4));
  }
  EXPECT_THROW(enqueue(*store, make("during")), StorageError);
  // The watch sees its connection close; consume() then falls back to a timer.
  for (int i = 0; i < 5 && watch->fd() == listening; ++i) {
    readable(watch->fd(), milliseconds(500));
    watch->consume();
  }
  EXPECT_NE(watch->fd(), listening);
  for (int attempt = 0; attempt < 2; ++attempt) {
    EXPECT_FALSE(readable(watch->fd(), milliseconds(0)));    // waits: no spinning
    EXPECT_TRUE(readable(watch->fd(), milliseconds(1000)));  // until the next attempt is due
    watch->consume();                                        // which fails again
  }

  server("resume");
  EXPECT_TRUE(eventually([&] { store->get_task(before.id); }, seconds(10)));
  EXPECT_EQ(store->get_task(before.id), before);
  Task after = make("after");
  EXPECT_TRUE(enqueue(*store, after).created);
  // The watch reconnects when its timer fires and then hears enqueues again.
  int sock = -1;
  for (int i = 0; i < 100 && sock < 0; ++i) {
    if (readable(watch->fd(), milliseconds(100))) watch->consume();
    int fd = watch->fd();
    if (!readable(fd, milliseconds(0))) {  // a socket with nothing to say: connected
      auto other = open_store(schema);
      enqueue(*other, make("wake", seconds(i)));
      if (readable(watch->fd(), milliseconds(1000))) sock = watch->fd();
    }
  }
  EXPECT_GE(sock, 0) << "the watch never listened again";
}

TEST(PgReconnect, ACallHeldUpByALockEndsWithinTheTimeout) {
  std::string schema = fresh_schema("reconnect");
  auto store = open_store(schema, Durability::full, seconds(1));
  auto blocker = connect(schema);
  blocker->exec("BEGIN", soon());
  blocker->exec("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE", soon());
  auto start = steady_clock::now();
  EXPECT_THROW(enqueue(*store, make()), StorageError);
  EXPECT_LT(steady_clock::now() - start, milliseconds(2500));
  blocker->exec("ROLLBACK", soon());
  EXPECT_TRUE(eventually([&] { enqueue(*store, make("later")); }, seconds(5)));
}

}  // namespace
}  // namespace omniq::pgtest
