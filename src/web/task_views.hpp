// The dashboard API's JSON (tasks, stats, workers) and its task-list query,
// as pure functions of the models: no I/O, so they are easy to test.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "omniq/storage.hpp"
#include "web/http.hpp"

namespace omniq::web {

inline constexpr std::size_t kDefaultPerPage = 50;
inline constexpr std::size_t kMaxPerPage = 200;

// GET /api/tasks?status=&queue=&func=&id=&page=&per_page=
struct TaskQuery {
  TaskFilter filter{};  // newest first; limit is per_page + 1, to tell whether more follow
  std::optional<std::string> id{};
  std::size_t page = 1;
  std::size_t per_page = kDefaultPerPage;
};

// Reads the query; empty values count as absent. Throws HttpError 400 for an
// unknown parameter or a bad value (naming it and what is accepted).
TaskQuery parse_task_query(const Query& query);

// The id, when is_valid_id(id); else throws HttpError 400.
std::string checked_id(const std::string& id);

// True when the task passes the filter's status, queue and func_path.
bool matches(const Task& task, const TaskFilter& filter);

// {"tasks": [summary...], "page", "per_page", "has_more"} from what the
// query's filter returned (up to per_page + 1 tasks).
Value task_page(const std::vector<Task>& found, const TaskQuery& query);

// A task for the list: no arguments (a short preview instead), no traceback.
Value task_summary(const Task& task);

// {"task", "result", "next_run", "can_cancel", "can_retry"} for the detail page.
Value task_detail(const Task& task, const std::optional<TaskResult>& result);

// Counts per status overall and per queue, paused queues, and the oldest
// waiting task's creation time and age at `now`.
Value stats_json(const QueueStats& stats, Timestamp now);

Value worker_json(const WorkerInfo& worker);

}  // namespace omniq::web
