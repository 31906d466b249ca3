// Named queues with their own concurrency, a priority, a unique task and a
// cron schedule, together.
//
// A worker serves two queues: "default" with 4 slots and "mail" with 1, so
// slow mail never holds the default queue's slots. Lower priorities run
// first. A unique key keeps a second "nightly report" from being added while
// the first waits. The report is also a cron task: after each run it is
// re-armed at its next fire time (03:00 in Berlin).
#include <iostream>
#include <mutex>
#include <omniq/omniq.hpp>

using namespace std::chrono_literals;

int main() {
  omniq::OmniQ oq = omniq::OmniQ::from_env();

  // Enqueued before the worker starts, so the order they run in is the priority order.
  std::vector<std::string> order_ids;
  for (int priority : {5, -1, 0}) {
    order_ids.push_back(oq.enqueue("work.step", {priority}, {.priority = priority}));
  }
  std::string mail = oq.enqueue("mail.send", {"ada@example.com"}, {.queue = "mail"});

  omniq::TaskOptions report{
      .cron = "0 3 * * *", .timezone = "Europe/Berlin", .unique_key = "nightly-report"};
  omniq::Enqueued first = oq.submit("reports.nightly", {}, report);
  omniq::Enqueued again = oq.submit("reports.nightly", {}, report);
  std::cout << "report " << first.id << (again.created ? " and a second one" : ", not added twice")
            << "\n";

  std::vector<int> ran;
  std::mutex mu;
  omniq::Registry registry;
  registry.add("work.step", [&](int priority) {
    std::lock_guard lock(mu);
    ran.push_back(priority);
    return priority;
  });
  registry.add("mail.send", [](std::string to) { return "mailed " + to; });
  registry.add("reports.nightly", [] { return "report written"; });
  omniq::WorkerPool pool =
      oq.worker(std::move(registry), {.queues = {{"default", 1}, {"mail", 1}}});
  pool.start();

  for (const auto& id : order_ids) oq.get_result(id, {.wait = true, .timeout = 10s});
  std::cout << oq.get_result(mail, {.wait = true, .timeout = 10s})->value<std::string>() << "\n";
  std::cout << "ran in priority order:";
  for (int p : ran) std::cout << " " << p;
  std::cout << "\n";

  omniq::Task t = *oq.get_task(first.id);
  std::cout << "the nightly report waits for " << omniq::format_time(*t.schedule.eta)
            << " (03:00 Europe/Berlin)\n";
  oq.cancel(first.id);  // an example should leave nothing scheduled behind
  return ran == std::vector<int>{-1, 0, 5} && !again.created && again.id == first.id ? 0 : 1;
}
