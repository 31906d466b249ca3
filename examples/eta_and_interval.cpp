// Scheduling: a task that runs at an eta, and one that runs again every
// interval, on a clock the example moves by hand.
//
// omniq reads time through an injectable omniq::Clock; with a ManualClock,
// "an hour later" takes no time at all, so this example (like a test) is
// deterministic and finishes at once. With the default clock the same code
// runs on real time.
#include <filesystem>
#include <iostream>
#include <thread>

#include "omniq/omniq.hpp"

using namespace std::chrono_literals;

namespace {

int failures = 0;
void check(bool ok, const char* what) {
  std::cout << (ok ? "  ok    " : "  FAIL  ") << what << "\n";
  failures += ok ? 0 : 1;
}

// Polls until pred() holds (real time, at most 10s): workers run on threads.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

}  // namespace

int main() {
  auto dir = std::filesystem::temp_directory_path() / "omniq-eta-interval-example";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto clock = std::make_shared<omniq::ManualClock>(omniq::system_clock()->now());
  omniq::Settings settings;
  settings.database_url = (dir / "queue.db").string();
  omniq::OmniQ oq(settings, clock);

  int reports = 0;
  omniq::Registry registry;
  registry.add("email.send", [](std::string to) { return "sent to " + to; });
  registry.add("report.hourly", [&reports] { return ++reports; });
  // A short poll interval: the pool notices the moved clock quickly.
  omniq::WorkerPool pool =
      oq.worker(std::move(registry), {.concurrency = 2, .poll_interval = 20ms});
  pool.start();

  std::string now_id = oq.enqueue("email.send", {"now@example.com"});
  std::string later_id = oq.enqueue("email.send", {"later@example.com"}, {.delay = 1h});
  std::string hourly_id = oq.enqueue("report.hourly", omniq::Value::array(), {.interval = 1h});

  std::cout << "at the start:\n";
  auto sent = oq.get_result(now_id, {.wait = true, .timeout = 10s});
  check(sent && sent->value<std::string>() == "sent to now@example.com",
        "a task without an eta runs at once");
  auto first = oq.get_result(hourly_id, {.wait = true, .timeout = 10s});
  check(first && first->value<int>() == 1, "an interval task runs at once the first time");
  check(oq.get_task(later_id)->status == omniq::TaskStatus::PENDING,
        "a task with an eta an hour ahead waits");
  auto rearmed = oq.get_task(hourly_id);
  check(rearmed->status == omniq::TaskStatus::PENDING && rearmed->schedule.eta.has_value(),
        "after its run, the interval task waits for its next eta");
  std::cout << "    next report due at " << omniq::format_time(*rearmed->schedule.eta) << "\n";

  std::cout << "one hour later:\n";
  clock->advance(1h);
  auto later = oq.get_result(later_id, {.wait = true, .timeout = 10s});
  check(later && later->value<std::string>() == "sent to later@example.com",
        "the delayed task runs once its eta has come");
  // (Each run is awaited before the clock moves on: a task running while the
  // clock jumps would see its lease run out.)
  auto ran = [&](int runs) {
    return eventually([&] {
      auto t = oq.get_task(hourly_id);
      return t->attempts == runs && t->status == omniq::TaskStatus::PENDING;
    });
  };
  check(ran(2), "the interval task runs again");

  std::cout << "two hours later:\n";
  clock->advance(1h);
  check(ran(3), "and again, every hour");
  check(oq.get_result(hourly_id)->value<int>() == 3,
        "each run stores its own result (the latest is kept)");

  // An interval task runs until cancelled.
  oq.cancel(hourly_id);
  check(eventually([&] { return oq.get_task(hourly_id)->status == omniq::TaskStatus::CANCELLED; }),
        "cancel stops an interval task for good");

  pool.stop();
  std::filesystem::remove_all(dir);
  std::cout << (failures == 0 ? "all good\n" : "something went wrong\n");
  return failures == 0 ? 0 : 1;
}
