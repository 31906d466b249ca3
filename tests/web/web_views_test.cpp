// Unit tests of omniq_web's pieces that need no server: the task-list query,
// the JSON views, the token, the metrics text and the embedded page.
#include <gtest/gtest.h>

#include <regex>

#include "omniq/web.hpp"
#include "web/assets.hpp"
#include "web/queue_metrics.hpp"
#include "web/task_views.hpp"
#include "web/token.hpp"

namespace omniq::web {
namespace {

Task task_in(TaskStatus status) {
  Task t;
  t.id = "0190a1b2-c3d4-7e5f-8a9b-000000000001";
  t.func_path = "echo";
  t.args = Value::array({std::string(500, 'x')});
  t.status = status;
  t.schedule.eta = Timestamp(std::chrono::seconds(1'900'000'000));
  return t;
}

TEST(TaskQuery, DefaultsToTheFirstPageNewestFirst) {
  TaskQuery q = parse_task_query({});
  EXPECT_EQ(q.page, 1u);
  EXPECT_EQ(q.per_page, kDefaultPerPage);
  EXPECT_EQ(q.filter.limit, kDefaultPerPage + 1);  // one more, to tell whether a next page exists
  EXPECT_EQ(q.filter.offset, 0u);
  EXPECT_TRUE(q.filter.newest_first);
  EXPECT_FALSE(q.filter.status || q.filter.queue || q.filter.func_path || q.id);
}

TEST(TaskQuery, ReadsEveryFilterAndIgnoresEmptyValues) {
  TaskQuery q = parse_task_query({{"status", "failed"},
                                  {"queue", "mail"},
                                  {"func", "a b"},
                                  {"id", ""},
                                  {"page", "3"},
                                  {"per_page", "20"}});
  EXPECT_EQ(q.filter.status, TaskStatus::FAILED);
  EXPECT_EQ(q.filter.queue, "mail");
  EXPECT_EQ(q.filter.func_path, "a b");
  EXPECT_FALSE(q.id);
  EXPECT_EQ(q.filter.offset, 40u);
  EXPECT_EQ(q.filter.limit, 21u);
}

TEST(TaskQuery, RefusesWhatItDoesNotKnow) {
  for (Query bad : std::vector<Query>{{{"zzz", "1"}},
                                      {{"status", "DONE"}},
                                      {{"page", "0"}},
                                      {{"page", "1x"}},
                                      {{"page", "99999999999999999999"}},
                                      {{"per_page", "201"}},
                                      {{"id", "bad/id"}},
                                      {{"func", std::string(300, 'f')}}}) {
    EXPECT_THROW(parse_task_query(bad), HttpError) << bad.begin()->first;
  }
  EXPECT_THROW(parse_task_query({{"queue", "bad queue"}}), ValidationError);
}

TEST(TaskViews, SummaryLeavesOutArgumentsButShowsAPreview) {
  Value v = task_summary(task_in(TaskStatus::PENDING));
  EXPECT_FALSE(v.contains("args"));
  EXPECT_LE(v["args_preview"].get<std::string>().size(), 130u);
  EXPECT_EQ(v["queue"], "default");
}

TEST(TaskViews, NextRunOnlyWhileWaiting) {
  EXPECT_EQ(task_detail(task_in(TaskStatus::PENDING), std::nullopt)["next_run"],
            "2030-03-17T17:46:40.000000+00:00");
  Value running = task_detail(task_in(TaskStatus::RUNNING), std::nullopt);
  EXPECT_TRUE(running["next_run"].is_null());
  EXPECT_TRUE(running["can_cancel"]);
  EXPECT_FALSE(running["can_retry"]);
  Value failed = task_detail(task_in(TaskStatus::FAILED), std::nullopt);
  EXPECT_FALSE(failed["can_cancel"]);
  EXPECT_TRUE(failed["can_retry"]);
}

TEST(TaskViews, PageSaysWhetherMoreFollow) {
  TaskQuery q = parse_task_query({{"per_page", "1"}});
  std::vector<Task> two(2, task_in(TaskStatus::SUCCESS));
  EXPECT_TRUE(task_page(two, q)["has_more"]);
  EXPECT_EQ(task_page(two, q)["tasks"].size(), 1u);
  EXPECT_FALSE(task_page({two[0]}, q)["has_more"]);
}

TEST(Token, RandomTokensAre64HexDigitsAndDiffer) {
  std::string a = random_token();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, random_token());
}

TEST(Token, GivenTokensMustBeLongPrintableAndSpaceless) {
  EXPECT_EQ(checked_token(std::string("0123456789abcdef")), "0123456789abcdef");
  EXPECT_THROW(checked_token(std::string("short")), ConfigError);
  EXPECT_THROW(checked_token(std::string("0123456789 abcdef")), ConfigError);
  EXPECT_THROW(checked_token(std::string(300, 'a')), ConfigError);
  EXPECT_TRUE(tokens_equal("abc", "abc"));
  EXPECT_FALSE(tokens_equal("abc", "abd"));
  EXPECT_FALSE(tokens_equal("abc", "abcd"));
  EXPECT_FALSE(tokens_equal("", "abc"));
}

TEST(QueueMetrics, ZeroSeriesForAnEmptyStore) {
  std::string text = queue_metrics_text(QueueStats{}, Timestamp{});
  EXPECT_NE(text.find("omniq_tasks{queue=\"default\",status=\"PENDING\"} 0"), std::string::npos)
      << text;
  EXPECT_NE(text.find("omniq_oldest_pending_age_seconds 0"), std::string::npos);
}

TEST(QueueMetrics, CountsPerQueueAndTheOldestAge) {
  QueueStats stats;
  stats.queues["mail"][static_cast<std::size_t>(TaskStatus::FAILED)] = 7;
  stats.paused = {"mail"};
  stats.oldest_pending = Timestamp(std::chrono::seconds(100));
  std::string text = queue_metrics_text(stats, Timestamp(std::chrono::seconds(130)));
  EXPECT_NE(text.find("omniq_tasks{queue=\"mail\",status=\"FAILED\"} 7"), std::string::npos);
  EXPECT_NE(text.find("omniq_queue_paused{queue=\"mail\"} 1"), std::string::npos);
  EXPECT_NE(text.find("omniq_oldest_pending_age_seconds 30"), std::string::npos);
}

TEST(WorkerMetrics, CountsAttemptsPerQueue) {
  WorkerMetrics metrics;
  auto observe = metrics.observer();
  Task task = task_in(TaskStatus::RUNNING);
  task.queue = "mail";
  observe(AttemptReport{task, AttemptReport::Result::succeeded, std::chrono::milliseconds(20),
                        std::chrono::milliseconds(3)});
  observe(AttemptReport{task, AttemptReport::Result::retried, std::chrono::seconds(2),
                        std::chrono::seconds(-1)});
  std::string text = metrics.scrape();
  EXPECT_NE(text.find("omniq_worker_tasks_started_total{queue=\"mail\"} 2"), std::string::npos);
  EXPECT_NE(text.find("omniq_worker_tasks_succeeded_total{queue=\"mail\"} 1"), std::string::npos);
  EXPECT_NE(text.find("omniq_worker_tasks_retried_total{queue=\"mail\"} 1"), std::string::npos);
  EXPECT_NE(text.find("omniq_worker_leases_lost_total{queue=\"mail\"} 0"), std::string::npos);
  EXPECT_NE(text.find("omniq_worker_task_run_seconds_count{queue=\"mail\"} 2"), std::string::npos);
  EXPECT_NE(text.find("omniq_worker_task_start_delay_seconds_sum{queue=\"mail\"} 0.003"),
            std::string::npos)
      << text;  // a negative delay counts as 0
}

TEST(Assets, ThePageLoadsItsScriptAndStyleAndHasNoInlineCode) {
  std::map<std::string_view, const Asset*> by_name;
  for (const Asset& a : assets()) by_name[a.name] = &a;
  ASSERT_EQ(by_name.size(), 3u);
  std::string_view html = by_name.at("index.html")->body;
  EXPECT_NE(html.find("<script src=\"/app.js\""), std::string_view::npos);
  EXPECT_NE(html.find("<link rel=\"stylesheet\" href=\"/app.css\">"), std::string_view::npos);
  EXPECT_EQ(html.find("<script>"), std::string_view::npos);
  EXPECT_EQ(html.find("style="), std::string_view::npos);
  EXPECT_FALSE(std::regex_search(html.begin(), html.end(), std::regex(R"(\son[a-z]+=)")));
  EXPECT_EQ(by_name.at("app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(by_name.at("app.js")->body.find("innerHTML ="), std::string_view::npos);
}

}  // namespace
}  // namespace omniq::web
