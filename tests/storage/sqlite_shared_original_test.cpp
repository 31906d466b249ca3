// SQLiteStorage sharing a database with the Python original (issue 13): the
// time forms the original writes and its claims without a lease.
//  1. Times without a UTC offset are read as UTC, so such a task runs.
//  2. Etas with another offset are due, and claimed, by their instant, not by
//     their text.
//  3. A RUNNING row the original claimed (no lease) counts as leased for
//     kOriginalClaimLease from its last attempt, then is recovered.
//  4. Under OMNIQ_COMPAT=original omniq writes only the original's statuses:
//     a retry is PENDING with its backoff eta, which the original's own claim
//     query then finds.
#include <gtest/gtest.h>

#include "omniq/omniq.hpp"
#include "storage/sqlite/sqlite_codec.hpp"
#include "storage/sqlite_original.hpp"
#include "support/store_calls.hpp"

namespace omniq::testing {
namespace {

using namespace std::chrono;

constexpr Duration kLease = seconds(30);
const Timestamp kDay = sys_days{2026y / November / 30};

// The original's row for a task due at `eta` (SQL text of the eta column and
// of the schedule's eta), created at `created_at`.
OriginalRow due_at(std::string id, const std::string& eta, std::string created_at) {
  return {.id = std::move(id),
          .schedule = R"({"eta": ")" + eta + R"(", "interval": null})",
          .eta_sql = "'" + eta + "'",
          .created_at = std::move(created_at)};
}

std::vector<std::string> ids_of(const std::vector<Task>& tasks) {
  std::vector<std::string> ids;
  for (const Task& t : tasks) ids.push_back(t.id);
  return ids;
}

using SqliteSharedOriginal = OriginalDatabase;

TEST_F(SqliteSharedOriginal, ANaiveEtaIsReadAsUtcAndTheTaskRuns) {
  insert(due_at("naive", "2026-11-30T02:39:30.195842", "2026-11-30T02:39:00.000000"));
  Task t = *store().get_task("naive");
  Timestamp eta = kDay + 2h + 39min + 30s + microseconds(195842);
  EXPECT_EQ(t.schedule.eta, eta);
  EXPECT_EQ(t.created_at, kDay + 2h + 39min);
  EXPECT_EQ(store().next_eta(), eta);
  EXPECT_TRUE(claim(store(), eta - microseconds(1), 10, kLease).empty());
  auto claimed = claim(store(), eta, 10, kLease);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].id, "naive");
  EXPECT_EQ(claimed[0].status, TaskStatus::RUNNING);  // not FAILED as a CorruptTask
  EXPECT_FALSE(store().get_result("naive").has_value());
  // The eta column now holds omniq's form of the same instant.
  EXPECT_EQ(text("SELECT eta FROM tasks WHERE id = 'naive'"), "2026-11-30T02:39:30.195842+00:00");
}

TEST_F(SqliteSharedOriginal, EtasWithOtherOffsetsAreDueAndClaimedByTheirInstant) {
  insert(due_at("plus-two", "2026-11-30T05:00:00+02:00", "2026-11-30T00:00:00+00:00"));    // 03:00Z
  insert(due_at("minus-five", "2026-11-30T01:00:00-05:00", "2026-11-30T00:00:01+00:00"));  // 06:00Z
  insert(due_at("naive", "2026-11-30T03:30:00", "2026-11-30T00:00:02+00:00"));             // 03:30Z
  insert(due_at("utc", "2026-11-30T04:00:00.000000+00:00", "2026-11-30T00:00:03+00:00"));
  insert({.id = "no-eta", .created_at = "2026-11-30T02:00:00Z"});  // due from its creation
  EXPECT_EQ(store().next_eta(), kDay + 2h);

  // As text, "05:00+02:00" is after 03:15 and "01:00-05:00" before it; as
  // instants it is the other way round.
  EXPECT_EQ(ids_of(claim(store(), kDay + 3h + 15min, 10, kLease)),
            (std::vector<std::string>{"no-eta", "plus-two"}));
  EXPECT_EQ(store().next_eta(), kDay + 3h + 30min);
  EXPECT_EQ(ids_of(claim(store(), kDay + 7h, 10, kLease)),
            (std::vector<std::string>{"naive", "utc", "minus-five"}));
  EXPECT_EQ(text("SELECT group_concat(eta, ' ') FROM (SELECT eta FROM tasks ORDER BY eta)"),
            "2026-11-30T02:00:00.000000+00:00 2026-11-30T03:00:00.000000+00:00 "
            "2026-11-30T03:30:00.000000+00:00 2026-11-30T04:00:00.000000+00:00 "
            "2026-11-30T06:00:00.000000+00:00");
}

TEST_F(SqliteSharedOriginal, AnEtaThatIsNoTimeFailsItsTaskAndTheQueueGoesOn) {
  insert(due_at("garbage", "next tuesday", "2026-11-30T00:00:00+00:00"));
  insert(due_at("fine", "2026-11-30T01:00:00+00:00", "2026-11-30T00:00:01+00:00"));
  EXPECT_EQ(ids_of(claim(store(), kDay + 2h, 10, kLease)), std::vector<std::string>{"fine"});
  EXPECT_EQ(text("SELECT status FROM tasks WHERE id = 'garbage'"), "FAILED");
  EXPECT_EQ(store().get_result("garbage")->error->error_type, "CorruptTask");
}

TEST_F(SqliteSharedOriginal, ARunningRowWithoutALeaseIsRecoveredAfterTheOriginalsLease) {
  // Claimed by the original's worker at 02:00:00 (last_attempt_at), no lease;
  // and one whose last attempt is unknown, claimed when it was updated.
  insert({.id = "theirs",
          .status = "RUNNING",
          .created_at = "2026-11-30T01:00:00+00:00",
          .attempts = 1,
          .last_attempt_at_sql = "'2026-11-30T02:00:00'"});
  insert({.id = "unknown",
          .status = "RUNNING",
          .created_at = "2026-11-30T02:00:10+00:00",
          .attempts = 1});
  Timestamp claimed_at = kDay + 2h;
  EXPECT_EQ(store().get_task("theirs")->lease_expires_at, claimed_at + kOriginalClaimLease);
  EXPECT_TRUE(store().expired(claimed_at + kOriginalClaimLease, 10).empty());
  auto lost = store().expired(claimed_at + kOriginalClaimLease + seconds(1), 10);
  ASSERT_EQ(ids_of(lost), std::vector<std::string>{"theirs"});
  EXPECT_EQ(ids_of(store().expired(kDay + 3h, 10)),
            (std::vector<std::string>{"theirs", "unknown"}));  // oldest lease first

  // The engine's outcome for a lost worker applies, as to any expired lease.
  Outcome o;
  o.task_id = "theirs";
  o.attempt = 1;
  o.status = TaskStatus::PENDING;
  o.next_eta = claimed_at + kOriginalClaimLease + seconds(1);
  o.at = *o.next_eta;
  o.lease_expired = true;
  Outcome early = o;
  early.at = claimed_at + seconds(29);  // the original's worker may still be at it
  EXPECT_EQ(finish(store(), {early, o}),
            (std::vector<Applied>{Applied::not_current, Applied::yes}));
  EXPECT_EQ(ids_of(claim(store(), kDay + 3h, 10, kLease)), std::vector<std::string>{"theirs"});
}

TEST_F(SqliteSharedOriginal, UnderCompatOriginalOnlyTheOriginalsStatusesAreWritten) {
  insert({.id = "theirs", .created_at = "2026-11-30T02:00:00+00:00"});  // app.tasks.add
  Settings s;
  s.backend = Backend::sqlite;
  s.database_url = path();
  s.compat = Compat::original;
  s.retry_backoff_base = hours(1);
  s.retry_backoff_max = hours(1);
  auto clock = std::make_shared<ManualClock>(kDay + 3h);
  OmniQ oq(s, clock);
  Registry r;
  std::atomic<int> calls{0};
  r.add("app.tasks.add", [&](TaskContext&) -> int {
    ++calls;
    throw std::runtime_error("not yet");
  });
  WorkerOptions o;
  o.poll_interval = milliseconds(5);
  {
    WorkerPool pool = oq.worker(std::move(r), o);
    pool.start();
    auto waiting = [&] {
      auto t = oq.get_task("theirs");
      return t && t->status == TaskStatus::PENDING && t->attempts == 1;
    };
    for (int i = 0; i < 4000 && !waiting(); ++i) std::this_thread::sleep_for(milliseconds(5));
    ASSERT_TRUE(waiting());
  }
  EXPECT_EQ(calls.load(), 1);
  // The failed attempt waits for its backoff as PENDING, its error kept.
  EXPECT_EQ(text("SELECT group_concat(DISTINCT status) FROM tasks"), "PENDING");
  Task t = *oq.get_task("theirs");
  ASSERT_TRUE(t.error.has_value());
  EXPECT_EQ(t.error->message, "not yet");
  ASSERT_TRUE(t.schedule.eta.has_value());
  EXPECT_GE(*t.schedule.eta, kDay + 3h + minutes(45));  // 1 h +/-25 %
  // The original's claim query finds it once its eta passes, and not before.
  std::string original_claim =
      "SELECT count(*) FROM tasks WHERE status = 'PENDING' AND (eta IS NULL OR eta <= '";
  EXPECT_EQ(text(original_claim + format_time(kDay + 3h) + "')"), "0");
  EXPECT_EQ(text(original_claim + format_time(kDay + 5h) + "')"), "1");
}

}  // namespace
}  // namespace omniq::testing
