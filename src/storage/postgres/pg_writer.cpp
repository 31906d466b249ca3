#include "pg_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "base/log_events.hpp"
#include "pg_codec.hpp"
#include "pg_result.hpp"
#include "pg_sql.hpp"
#include "storage/storage_rules.hpp"

namespace omniq {
namespace {

// How often an enqueue tries again when a unique key's holder let go of it
// between the insert and the look-up of the holder.
constexpr int kUniqueRounds = 3;

// The id PostgreSQL names in a primary key violation ("Key (id)=(abc) already exists.").
std::string duplicate_id(const std::string& message) {
  std::size_t from = message.find("Key (id)=(");
  std::size_t to = message.find(") already exists");
  if (from == std::string::npos || to == std::string::npos || to < from + 10) return "(unknown)";
  return message.substr(from + 10, to - from - 10);
}

}  // namespace

std::vector<Enqueued> PgWriter::insert(std::span<const Task> tasks) {
  std::vector<Enqueued> out(tasks.size());
  std::vector<std::size_t> todo(tasks.size());
  std::iota(todo.begin(), todo.end(), std::size_t{0});
  for (int round = 0; !todo.empty(); ++round) {
    if (round == kUniqueRounds) {
      throw StorageError("the holders of unique keys kept changing while enqueueing task " +
                         tasks[todo.front()].id + "; try again");
    }
    Value rows = Value::array();
    for (std::size_t i : todo) rows.push_back(task_row(tasks[i], i));
    std::set<std::string, std::less<>> created;
    try {
      PgResult r = conn_.exec(sql::kInsertTasks, PgParams().text(json_text(rows)), deadline_);
      for (int row = 0; row < r.rows(); ++row) created.emplace(r.text(row, 0));
    } catch (const PgError& e) {
      if (e.sqlstate() != "23505") throw;  // unique_violation: only the primary key is left
      throw ValidationError("a task with id " + duplicate_id(e.what()) + " exists already");
    }
    Value keys = Value::array(), ids = Value::array();
    std::vector<std::size_t> skipped;
    for (std::size_t i : todo) {
      if (created.count(tasks[i].id) != 0) {
        out[i] = {tasks[i].id, true};
      } else {
        skipped.push_back(i);
        ids.push_back(tasks[i].id);
        if (tasks[i].unique_key) keys.push_back(*tasks[i].unique_key);
      }
    }
    if (skipped.empty()) break;
    // A held key hides a taken id from the insert: look for it.
    PgResult taken = conn_.exec(sql::kExistingIds, PgParams().text(json_text(ids)), deadline_);
    if (taken.rows() > 0) {
      throw ValidationError("a task with id " + std::string(taken.text(0, 0)) + " exists already");
    }
    std::map<std::string, std::string, std::less<>> holders;
    if (!keys.empty()) {
      PgResult r = conn_.exec(sql::kKeyHolders, PgParams().text(json_text(keys)), deadline_);
      for (int row = 0; row < r.rows(); ++row) holders.emplace(r.text(row, 0), r.text(row, 1));
    }
    todo.clear();
    for (std::size_t i : skipped) {
      auto h = tasks[i].unique_key ? holders.find(*tasks[i].unique_key) : holders.end();
      if (h == holders.end()) {
        todo.push_back(i);  // the holder moved on meanwhile: insert again
      } else {
        out[i] = {h->second, false};
      }
    }
  }
  notify(tasks, out);
  return out;
}

std::vector<Applied> PgWriter::apply(std::span<const Outcome> outcomes) {
  // The k-th outcome of each task goes in round k, so that a task's outcomes
  // apply in batch order (the first one applied makes the later ones stale).
  std::vector<Value> rounds;
  std::map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    std::size_t k = seen[outcomes[i].task_id]++;
    if (k == rounds.size()) rounds.push_back(Value::array());
    rounds[k].push_back(outcome_row(outcomes[i], i));
  }
  std::vector<Applied> out(outcomes.size(), Applied::not_current);
  for (const Value& round : rounds) {
    PgResult r = conn_.exec(sql::kApplyOutcomes, PgParams().text(json_text(round)), deadline_);
    for (int row = 0; row < r.rows(); ++row) {
      out[static_cast<std::size_t>(r.integer(row, 0))] =
          r.boolean(row, 1) ? Applied::yes : Applied::cancel_requested;
    }
  }
  return out;
}

std::vector<Task> PgWriter::claim(const QueueClaim& c, Timestamp now, Duration lease) {
  if (c.n == 0) return {};
  PgParams p;
  p.text(c.queue).time(now).count(c.n).time(now + lease);
  PgResult r = conn_.exec(sql::kClaim, p, deadline_);
  std::vector<std::tuple<int, Timestamp, std::int64_t, Task>> claimed;
  for (int row = 0; row < r.rows(); ++row) {
    try {
      Task t = read_task(r, row);
      claimed.emplace_back(t.priority, due_time(t), r.integer(row, kColSeq), std::move(t));
    } catch (const SerializationError& e) {
      fail_corrupt(std::string(r.text(row, kColId)), static_cast<int>(r.integer(row, kColAttempts)),
                   e.what(), now);
    }
  }
  // RETURNING has no order: claim order is priority, due time, enqueue order.
  std::sort(claimed.begin(), claimed.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a)) <
           std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b));
  });
  std::vector<Task> out;
  out.reserve(claimed.size());
  for (auto& entry : claimed) out.push_back(std::move(std::get<3>(entry)));
  return out;
}

void PgWriter::notify(std::span<const Task> tasks, const std::vector<Enqueued>& enqueued) {
  std::set<std::string_view> queues;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (enqueued[i].created) queues.insert(tasks[i].queue);
  }
  if (queues.empty()) return;
  Value names = Value::array();
  for (std::string_view q : queues) names.push_back(q);
  conn_.exec(sql::kNotify, PgParams().text(channel_).text(json_text(names)), deadline_);
}

void PgWriter::fail_corrupt(const std::string& id, int attempts, const std::string& why,
                            Timestamp now) {
  TaskError e = TaskError::make("CorruptTask",
                                "omniq cannot read this task's stored row (" + why +
                                    "); it was marked FAILED so that the queue goes on",
                                now, false);
  conn_.exec(sql::kFailTask, PgParams().text(id).time(now).text(json_text(to_value(e))), deadline_);
  TaskResult result{id, TaskStatus::FAILED, std::nullopt, e, now, attempts, now};
  conn_.exec(sql::kUpsertResult, PgParams().text(json_text(to_value(result))), deadline_);
  logger()->error("task {} in PostgreSQL schema \"{}\" cannot be read and was marked FAILED: {}",
                  id.substr(0, 64), channel_, why);
}

}  // namespace omniq
