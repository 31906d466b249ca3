#include "web/api.hpp"

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>

#include "base/task_rules.hpp"
#include "omniq/omniq.hpp"
#include "web/queue_metrics.hpp"
#include "web/task_views.hpp"
#include "web/token.hpp"

namespace omniq::web {
namespace {

// Workers that reported within this long count as seen recently (they report every lease/3).
constexpr auto kWorkersSeen = std::chrono::minutes(5);

template <class R>
asio::awaitable<R> call(std::function<R()> read) {
  co_return read();
}

const char* outcome_name(CancelResult r) {
  return r == CancelResult::cancelled ? "cancelled" : "requested";
}

}  // namespace

Api::Api(AsyncOmniQ oq, Duration stats_cache, bool allow_actions, std::string token)
    : oq_(oq), stats_(oq, stats_cache), allow_actions_(allow_actions), token_(std::move(token)) {}

template <class R>
asio::awaitable<R> Api::read_store(std::function<R()> read) {
  co_return co_await asio::co_spawn(reader_, call(std::move(read)), asio::use_awaitable);
}

void Api::check_action(const Request& request) const {
  if (!allow_actions_) {
    throw HttpError(403, "actions are disabled: start the dashboard with --allow-actions");
  }
  if (!tokens_equal(request.token, token_)) {
    throw HttpError(403, "missing or wrong X-Omniq-Token header");
  }
}

asio::awaitable<Reply> Api::info(const Request&) {
  co_return json_reply(Value{{"version", kVersion},
                             {"actions", allow_actions_},
                             {"result_ttl_seconds", to_seconds(oq_.settings().result_ttl)}});
}

asio::awaitable<Reply> Api::overview(const Request&) {
  QueueStats stats = co_await stats_.get();
  Timestamp now = system_clock()->now();
  Timestamp until = std::chrono::floor<std::chrono::minutes>(now) + std::chrono::minutes(1);
  Timestamp since = until - std::chrono::hours(1);
  std::shared_ptr<Storage> storage = oq_.storage();
  std::function<std::vector<std::size_t>()> count = [storage, since, until] {
    return storage->finished_per_minute(since, until);
  };
  std::vector<std::size_t> per_minute = co_await read_store(std::move(count));
  std::function<std::vector<WorkerInfo>()> list = [storage, now] {
    return storage->workers(now - kWorkersSeen);
  };
  std::vector<WorkerInfo> workers = co_await read_store(std::move(list));

  Value v = stats_json(stats, now);
  v["now"] = format_time(now);
  v["finished_per_minute"] = Value{{"since", format_time(since)}, {"counts", per_minute}};
  v["workers"] = Value::array();
  for (const WorkerInfo& w : workers) v["workers"].push_back(worker_json(w));
  co_return json_reply(v);
}

asio::awaitable<Reply> Api::tasks(const Request& request) {
  TaskQuery query = parse_task_query(request.query);
  std::vector<Task> found;
  if (query.id) {
    std::optional<Task> task = co_await oq_.get_task(*query.id);
    if (task && query.page == 1 && matches(*task, query.filter)) found.push_back(*task);
  } else {
    found = co_await oq_.list_tasks(query.filter);
  }
  co_return json_reply(task_page(found, query));
}

asio::awaitable<Reply> Api::task(const Request& request) {
  std::string id = checked_id(request.id);
  std::optional<Task> task = co_await oq_.get_task(id);
  if (!task) throw HttpError(404, "no task with id " + id);
  std::optional<TaskResult> result = co_await oq_.get_result(id);
  co_return json_reply(task_detail(*task, result));
}

asio::awaitable<Reply> Api::cancel(const Request& request) {
  check_action(request);
  std::string id = checked_id(request.id);
  CancelResult outcome = co_await oq_.cancel(id);
  stats_.invalidate();
  std::optional<Task> task = co_await oq_.get_task(id);
  std::string status = task ? std::string(to_string(task->status)) : "unknown";
  if (outcome == CancelResult::already_finished) {
    throw HttpError(409, "task " + id + " already finished (" + status + "); nothing to cancel");
  }
  co_return json_reply(Value{{"id", id}, {"outcome", outcome_name(outcome)}, {"status", status}});
}

asio::awaitable<Reply> Api::retry(const Request& request) {
  check_action(request);
  std::string id = checked_id(request.id);
  std::string new_id = co_await oq_.retry(id);
  stats_.invalidate();
  co_return json_reply(Value{{"id", new_id}, {"retry_of", id}});
}

asio::awaitable<Reply> Api::purge(const Request& request) {
  check_action(request);
  std::size_t purged = co_await oq_.purge_results();
  stats_.invalidate();
  co_return json_reply(Value{{"purged", purged}});
}

asio::awaitable<Reply> Api::metrics(const Request&) {
  QueueStats stats = co_await stats_.get();
  Reply reply{200, kPrometheusContentType, queue_metrics_text(stats, system_clock()->now())};
  co_return reply;
}

}  // namespace omniq::web
