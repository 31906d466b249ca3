// LISTEN/NOTIFY wake-ups: another store's enqueue makes a watch readable,
// consume() drains it, and an enqueue notifies each queue it fills once.
#include <poll.h>

#include <set>

#include "pg_test_support.hpp"
#include "support/store_calls.hpp"

namespace omniq::pgtest {
namespace {

bool readable(int fd, milliseconds within) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(within.count())) > 0;
}

// The notifications `c` receives within `window`.
std::vector<std::pair<std::string, std::string>> heard(PgConnection& c, milliseconds window) {
  std::vector<std::pair<std::string, std::string>> out;
  auto until = steady_clock::now() + window;
  while (steady_clock::now() < until) {
    if (!readable(c.socket(), milliseconds(20))) continue;
    for (auto& n : c.notifications()) out.push_back(std::move(n));
  }
  return out;
}

TEST(PgNotify, AnotherStoresEnqueueWakesAWatchWithinASecond) {
  std::string schema = fresh_schema("notify");
  auto mine = open_store(schema);
  auto theirs = open_store(schema);
  auto watch = mine->watch();
  ASSERT_NE(watch, nullptr);
  EXPECT_FALSE(readable(watch->fd(), milliseconds(0)));
  auto sent = steady_clock::now();
  enqueue(*theirs, make());
  ASSERT_TRUE(readable(watch->fd(), milliseconds(1000)));
  EXPECT_LT(steady_clock::now() - sent, seconds(1));
  watch->consume();
  EXPECT_FALSE(readable(watch->fd(), milliseconds(0)));
  enqueue(*theirs, make("again"));  // and it keeps working
  EXPECT_TRUE(readable(watch->fd(), milliseconds(1000)));
  watch->consume();
}

TEST(PgNotify, AnEnqueueNotifiesEachQueueItFillsOnce) {
  std::string schema = fresh_schema("notify");
  auto store = open_store(schema);
  auto listener = connect(schema);
  listener->exec("LISTEN " + schema, soon());
  std::vector<Task> batch{make("a", {}, "default"), make("b", {}, "q2"), make("c", {}, "default"),
                          make("d", {}, "q2"), make("e", {}, "default")};
  enqueue_many(*store, batch);
  auto got = heard(*listener, milliseconds(500));
  std::multiset<std::string> payloads;
  for (const auto& [channel, payload] : got) {
    EXPECT_EQ(channel, schema);
    payloads.insert(payload);
  }
  EXPECT_EQ(payloads, (std::multiset<std::string>{"default", "q2"}));
}

TEST(PgNotify, WritesThatAddNothingNotifyNobody) {
  std::string schema = fresh_schema("notify");
  auto store = open_store(schema);
  Task held = make("held");
  held.unique_key = "k";
  held.unique_statuses = 0x13;
  enqueue(*store, held);
  auto listener = connect(schema);
  listener->exec("LISTEN " + schema, soon());
  Task twin = make("twin");
  twin.unique_key = "k";
  twin.unique_statuses = 0x13;
  EXPECT_FALSE(enqueue(*store, twin).created);           // the key is held: nothing added
  EXPECT_THROW(enqueue(*store, held), ValidationError);  // rolled back
  claim(*store, kT0, 5, seconds(30));
  EXPECT_TRUE(heard(*listener, milliseconds(300)).empty());
}

}  // namespace
}  // namespace omniq::pgtest
