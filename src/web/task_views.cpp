#include "web/task_views.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/task_rules.hpp"

namespace omniq::web {
namespace {

constexpr std::size_t kMaxFuncFilter = 256;
constexpr std::size_t kPreviewChars = 120;
constexpr std::size_t kSummaryMessageChars = 300;

std::string cut(std::string text, std::size_t max_chars) {
  if (text.size() > max_chars) {
    text.resize(max_chars);
    text += "...";
  }
  return text;
}

std::string dump(const Value& v) {
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A quoted, shortened copy of text that came from outside, for error messages.
std::string shown(const std::string& text) {
  return "\"" + cut(text, 64) + "\"";
}

std::size_t number(const Query& query, const std::string& name, std::size_t fallback,
                   std::size_t max) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return fallback;
  const std::string& text = it->second;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n < 1 || n > max) {
    throw HttpError(
        400, name + " " + shown(text) + ": expected a number from 1 to " + std::to_string(max));
  }
  return n;
}

std::optional<std::string> text(const Query& query, const std::string& name) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::optional<TaskStatus> status_param(const Query& query) {
  std::optional<std::string> name = text(query, "status");
  if (!name) return std::nullopt;
  std::string upper = *name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (auto s = parse_status(upper)) return s;
  throw HttpError(400, "status " + shown(*name) +
                           ": expected PENDING, RUNNING, SUCCESS, FAILED, RETRYING or CANCELLED");
}

void check_names(const Query& query) {
  static constexpr std::string_view kAccepted[] = {"status", "queue", "func",
                                                   "id",     "page",  "per_page"};
  for (const auto& [name, value] : query) {
    if (std::find(std::begin(kAccepted), std::end(kAccepted), name) == std::end(kAccepted)) {
      throw HttpError(400, "unknown parameter " + shown(name) +
                               "; accepted: status, queue, func, id, page, per_page");
    }
  }
}

Value optional_time(const std::optional<Timestamp>& t) {
  return t ? Value(format_time(*t)) : Value(nullptr);
}

Value counts_json(const StatusCounts& counts) {
  Value v = Value::object();
  for (TaskStatus s : kAllStatuses) v[std::string(to_string(s))] = counts[std::size_t(s)];
  return v;
}

}  // namespace

TaskQuery parse_task_query(const Query& query) {
  check_names(query);
  TaskQuery q;
  q.filter.status = status_param(query);
  q.filter.queue = text(query, "queue");
  if (q.filter.queue) validate_name(*q.filter.queue, "queue");
  q.filter.func_path = text(query, "func");
  if (q.filter.func_path && q.filter.func_path->size() > kMaxFuncFilter) {
    throw HttpError(400, "func is longer than " + std::to_string(kMaxFuncFilter) + " bytes");
  }
  if (auto id = text(query, "id")) q.id = checked_id(*id);
  q.page = number(query, "page", 1, 1'000'000);
  q.per_page = number(query, "per_page", kDefaultPerPage, kMaxPerPage);
  q.filter.newest_first = true;
  q.filter.limit = q.per_page + 1;
  q.filter.offset = (q.page - 1) * q.per_page;
  return q;
}

std::string checked_id(const std::string& id) {
  if (!is_valid_id(id)) {
    throw HttpError(400, "bad task id " + shown(id) + ": expected 1-64 of A-Z a-z 0-9 _ -");
  }
  return id;
}

bool matches(const Task& task, const TaskFilter& filter) {
  return (!filter.status || task.status == *filter.status) &&
         (!filter.queue || task.queue == *filter.queue) &&
         (!filter.func_path || task.func_path == *filter.func_path);
}

Value task_page(const std::vector<Task>& found, const TaskQuery& query) {
  Value tasks = Value::array();
  for (std::size_t i = 0; i < found.size() && i < query.per_page; ++i) {
    tasks.push_back(task_summary(found[i]));
  }
  return Value{{"tasks", tasks},
               {"page", query.page},
               {"per_page", query.per_page},
               {"has_more", found.size() > query.per_page}};
}

Value task_summary(const Task& task) {
  Value v{{"id", task.id},
          {"func_path", task.func_path},
          {"queue", task.queue},
          {"status", to_string(task.status)},
          {"attempts", task.attempts},
          {"max_retries", task.max_retries},
          {"created_at", format_time(task.created_at)},
          {"updated_at", format_time(task.updated_at)},
          {"eta", optional_time(task.schedule.eta)},
          {"args_preview", cut(dump(task.args), kPreviewChars)}};
  if (task.error) {
    v["error"] = {{"error_type", task.error->error_type},
                  {"message", cut(task.error->message, kSummaryMessageChars)}};
  }
  return v;
}

Value task_detail(const Task& task, const std::optional<TaskResult>& result) {
  bool waiting = task.status == TaskStatus::PENDING || task.status == TaskStatus::RETRYING;
  Value v{{"task", to_value(task)},
          {"result", result ? to_value(*result) : Value(nullptr)},
          {"next_run", waiting ? optional_time(task.schedule.eta) : Value(nullptr)},
          {"repeats", task.schedule.repeats()},
          {"can_cancel", !is_terminal(task.status)},
          {"can_retry", task.status == TaskStatus::FAILED || task.status == TaskStatus::CANCELLED}};
  v["task"]["queue"] = task.queue;  // to_value leaves out the defaults
  v["task"]["priority"] = task.priority;
  return v;
}

Value stats_json(const QueueStats& stats, Timestamp now) {
  Value queues = Value::object();
  for (const auto& [name, counts] : stats.queues) queues[name] = counts_json(counts);
  Value age = stats.oldest_pending ? Value(to_seconds(now - *stats.oldest_pending)) : Value();
  return Value{{"counts", counts_json(stats.counts)},
               {"total", stats.total()},
               {"queues", queues},
               {"paused", stats.paused},
               {"oldest_pending", optional_time(stats.oldest_pending)},
               {"oldest_pending_age_seconds", age}};
}

Value worker_json(const WorkerInfo& worker) {
  return Value{{"id", worker.id},
               {"host", worker.host},
               {"pid", worker.pid},
               {"queues", worker.queues},
               {"started_at", format_time(worker.started_at)},
               {"seen_at", format_time(worker.seen_at)}};
}

}  // namespace omniq::web
