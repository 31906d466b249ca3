// PostgresStorage against the reference: one script of writes and reads run
// on MemoryStorage and on PostgresStorage must give the same answers, step
// by step (claim order, unique keys, every kind of outcome, cancel, leases,
// pause, purge, listings, statistics, workers).
#include "pg_test_support.hpp"
#include "storage/memory/memory_storage.hpp"
#include "support/store_calls.hpp"

namespace omniq::pgtest {
namespace {

Value of(const std::vector<Task>& ts) {
  Value v = Value::array();
  for (const Task& t : ts) v.push_back(to_value(t));
  return v;
}
Value of(const std::vector<Enqueued>& es) {
  Value v = Value::array();
  for (const Enqueued& e : es) v.push_back({e.id, e.created});
  return v;
}
Value of(const std::vector<Applied>& as) {
  Value v = Value::array();
  for (Applied a : as) v.push_back(static_cast<int>(a));
  return v;
}
Value of(const QueueStats& s) {
  Value v{s.counts, s.paused, s.oldest_pending ? format_time(*s.oldest_pending) : ""};
  for (const auto& [q, c] : s.queues) v.push_back({q, c});
  return v;
}

Outcome outcome(const Task& t, TaskStatus status, Duration at) {
  Outcome o;
  o.task_id = t.id;
  o.attempt = t.attempts;
  o.status = status;
  o.at = kT0 + at;
  return o;
}

// The tasks of the script, made once so both stores get the same ids.
struct Tasks {
  std::vector<Task> all;
  Task add(std::string f, Duration created, TaskOptions o = {}) {
    Task t = make_task(f, Value::array({1, "a"}), o, Settings{}, kT0 + created);
    all.push_back(t);
    return t;
  }
};

// Runs the script on `s`; returns what each step answered.
Value run(Storage& s, const Tasks& ts) {
  Value log = Value::array();
  auto step = [&](const char* what, Value v) { log.push_back({what, std::move(v)}); };
  auto thrown = [&](const char* what, auto f) {
    try {
      f();
      step(what, "no exception");
    } catch (const std::exception& e) {
      step(what, typeid(e).name());
    }
  };
  const auto& t = ts.all;
  step("enqueue", of(enqueue_many(s, std::vector<Task>(t.begin(), t.begin() + 9))));
  thrown("id taken", [&] { enqueue(s, t[0]); });
  thrown("id twice in a batch", [&] { enqueue_many(s, std::vector<Task>{t[9], t[9]}); });
  step("nothing of a failed batch", s.get_task(t[9].id).has_value());
  step("next eta", format_time(s.next_eta().value()));
  auto first = claim(s, kT0 + seconds(10), 4, seconds(30));
  step("claim order", of(first));
  s.set_paused("q2", true);
  step("paused queue", of(claim(s, kT0 + hours(1), 5, seconds(30), "q2")));
  step("stats while paused", of(s.stats()));
  s.set_paused("q2", false);
  step("queue resumed", of(claim(s, kT0 + hours(1), 5, seconds(30), "q2")));
  Outcome done = outcome(first[0], TaskStatus::SUCCESS, seconds(20));
  done.result = TaskResult{
      first[0].id, TaskStatus::SUCCESS,     Value(nullptr), std::nullopt, kT0 + seconds(20),
      1,           first[0].last_attempt_at};
  Outcome retry = outcome(first[1], TaskStatus::RETRYING, seconds(21));
  retry.next_eta = kT0 + seconds(60);
  retry.error = TaskError::make("E", "boom", kT0 + seconds(21));
  Outcome stale = outcome(first[1], TaskStatus::SUCCESS, seconds(22));
  Outcome wrong_attempt = outcome(first[2], TaskStatus::FAILED, seconds(22));
  wrong_attempt.attempt = 7;
  step("cancel running", static_cast<int>(s.cancel(first[2].id, kT0 + seconds(15))));
  Outcome blocked = outcome(first[2], TaskStatus::SUCCESS, seconds(23));
  Outcome cancelled = outcome(first[2], TaskStatus::CANCELLED, seconds(24));
  step("outcomes", of(finish(s, {done, retry, stale, wrong_attempt, blocked, cancelled})));
  step("renew",
       of(s.renew_leases(std::vector<Claim>{{first[0].id, 1}, {first[3].id, 1}, {first[2].id, 1}},
                         kT0 + minutes(2))));
  auto second = claim(s, kT0 + seconds(61), 10, seconds(30));
  step("claim again", of(second));
  step("expired", of(s.expired(kT0 + seconds(95), 10)));
  step("expired, limited", of(s.expired(kT0 + seconds(95), 1)));
  std::vector<Outcome> lost;  // u1 succeeds; the others' workers died (leases end at 91 s)
  for (std::size_t i = 0; i < second.size(); ++i) {
    if (second[i].func_path == "u1") {
      lost.push_back(outcome(second[i], TaskStatus::SUCCESS, seconds(70)));
      continue;
    }
    Outcome o = outcome(second[i], TaskStatus::PENDING, seconds(i % 2 == 0 ? 80 : 95));
    o.lease_expired = true;
    o.next_eta = kT0 + seconds(200);
    lost.push_back(o);
  }
  step("lease expired", of(finish(s, lost)));
  step("cancel waiting", static_cast<int>(s.cancel(t[3].id, kT0 + seconds(101))));
  thrown("cancel unknown", [&] { s.cancel("nope", kT0); });
  step("cancel finished", static_cast<int>(s.cancel(first[0].id, kT0 + seconds(101))));
  step("unique key free again", of(enqueue_many(s, std::vector<Task>{t[10]})));
  WriteBatch mixed;
  mixed.enqueue = {t[11]};
  mixed.claims = {{"default", 2}, {"q2", 1}};
  mixed.now = kT0 + seconds(300);
  mixed.lease = seconds(10);
  WriteResult r = s.write(mixed);
  step("one write", {of(r.enqueued), of(r.claimed)});
  for (const Task& x : t) {
    auto got = s.get_task(x.id);
    auto res = s.get_result(x.id);
    step("task", {got ? to_value(*got) : Value(), res ? to_value(*res) : Value()});
  }
  TaskFilter f;
  step("list", of(s.list_tasks(f)));
  f.newest_first = true;
  f.limit = 3;
  f.offset = 1;
  step("list newest", of(s.list_tasks(f)));
  step("list pending", of(s.list_tasks({TaskStatus::PENDING})));
  step("list q2", of(s.list_tasks({std::nullopt, "q2job", "q2"})));
  step("stats", of(s.stats()));
  step("per minute", s.finished_per_minute(kT0, kT0 + minutes(3)));
  s.record_worker({"h:1:0", "h", 1, {{"default", 4}}, kT0, kT0 + seconds(5)});
  s.record_worker({"h:2:0", "h", 2, {}, kT0, kT0 + hours(25)});  // forgets h:1:0
  Value workers = Value::array();
  for (const WorkerInfo& w : s.workers(kT0)) workers.push_back({w.id, w.pid, w.queues});
  step("workers", workers);
  step("purge", s.purge_results(kT0 + seconds(23)));
  step("list after purge", of(s.list_tasks({})));
  return log;
}

TEST(PgMatchesMemory, OneScriptGivesTheSameAnswersOnBothStores) {
  Tasks ts;
  TaskOptions unique, q2, urgent, later;
  unique.unique_key = "K";
  q2.queue = "q2";
  urgent.priority = -1;
  urgent.eta = kT0 + seconds(5);
  later.eta = kT0 + hours(1);
  ts.add("a", seconds(3));
  ts.add("b", seconds(1));
  ts.add("c", seconds(2), urgent);
  ts.add("d", seconds(4), later);
  ts.add("u1", seconds(5), unique);
  ts.add("u2", seconds(6), unique);  // meets u1 in the same batch
  ts.add("q2job", {}, q2);
  ts.add("tie1", seconds(1));  // same due time as b: enqueue order decides
  ts.add("tie2", seconds(1));
  ts.add("dup", seconds(8));
  ts.add("u4", seconds(9), unique);
  ts.add("late", seconds(10));
  MemoryStorage memory;
  auto pg = open_store(fresh_schema("same"));
  Value want = run(memory, ts), got = run(*pg, ts);
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(want[i], got[i]) << "step " << i;
}

}  // namespace
}  // namespace omniq::pgtest
