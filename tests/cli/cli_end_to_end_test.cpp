// enqueue -> worker -> result through the omniq binary, on each persistent
// backend, and the query commands' JSON.
#include <signal.h>

#include <sstream>

#include "cli/cli_fixture.hpp"

namespace omniq::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class CliEndToEnd : public CliTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override { backend_ = GetParam(); }
};

TEST_P(CliEndToEnd, EnqueueWorkerResult) {
  std::string id = enqueue({"echo", "[\"hi\", 2, {\"k\": [true]}]"});
  auto worker = start_worker({"--concurrency", "2", "--json"});
  json r = omniq_json({"result", id, "--wait", "--timeout", "30s"});
  EXPECT_EQ(r["status"], "SUCCESS") << worker->output();
  EXPECT_EQ(r["result"], json::parse("[\"hi\", 2, {\"k\": [true]}]"));
  EXPECT_EQ(r["task_id"], id);

  // Human output of the same.
  CliResult human = omniq({"result", id});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_THAT(human.out, HasSubstr("SUCCESS"));

  // A task enqueued while the worker runs is picked up too.
  std::string second = enqueue({"fail", "[\"flaky\", 1]", "--max-retries", "2"});
  json r2 = omniq_json({"result", second, "--wait", "--timeout", "30s"});
  EXPECT_EQ(r2["status"], "SUCCESS") << worker->output();
  EXPECT_EQ(r2["attempts"], 2);

  EXPECT_EQ(worker->stop(), 0) << worker->output();
  // With --json the worker prints one JSON object per line.
  std::vector<std::string> events;
  std::istringstream lines(worker->stdout_text());
  for (std::string line; std::getline(lines, line);) {
    json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(event.is_discarded()) << line;
    events.push_back(event["event"]);
    if (events.back() == "started") {
      EXPECT_THAT(event["tasks"].dump(), HasSubstr("shell"));
    }
    if (events.back() == "stopped") {
      EXPECT_EQ(event["succeeded"], 2);
    }
  }
  EXPECT_EQ(events, (std::vector<std::string>{"started", "stopping", "stopped"}));
}

TEST_P(CliEndToEnd, QueryCommandsPrintJson) {
  std::string done = enqueue({"echo", "[1]"});
  std::string failed = enqueue({"fail", "[\"broken\"]", "--max-retries", "0"});
  std::string later = enqueue({"echo", "[2]", "--delay", "1h"});
  auto worker = start_worker();
  EXPECT_EQ(omniq_json({"result", done, "--wait", "--timeout", "30s"})["status"], "SUCCESS");
  json f = omniq_json({"result", failed, "--wait", "--timeout", "30s"});
  EXPECT_EQ(f["status"], "FAILED");
  EXPECT_EQ(f["error"]["message"], "broken");
  EXPECT_EQ(f["error"]["error_type"], "std::runtime_error");
  EXPECT_EQ(worker->stop(), 0) << worker->output();

  json status = omniq_json({"status", later});
  EXPECT_EQ(status["status"], "PENDING");
  EXPECT_EQ(status["id"], later);

  json all = omniq_json({"list"});
  ASSERT_TRUE(all.is_array());
  EXPECT_EQ(all.size(), 3u);
  json failures = omniq_json({"list", "--status", "failed"});
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0]["id"], failed);
  EXPECT_EQ(omniq_json({"list", "--limit", "1"}).size(), 1u);

  json stats = omniq_json({"stats"});
  EXPECT_EQ(stats["counts"]["SUCCESS"], 1);
  EXPECT_EQ(stats["counts"]["FAILED"], 1);
  EXPECT_EQ(stats["counts"]["PENDING"], 1);
  EXPECT_EQ(stats["total"], 3);
  EXPECT_TRUE(stats["oldest_pending"].is_string());
  EXPECT_GE(stats["oldest_pending_age_seconds"].get<double>(), 0.0);

  json cancel = omniq_json({"cancel", later});
  EXPECT_EQ(cancel["outcome"], "cancelled");
  EXPECT_EQ(cancel["status"], "CANCELLED");
  CliResult again = omniq({"--json", "cancel", later});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.json()["outcome"], "already_finished");
  EXPECT_THAT(again.err, HasSubstr("already finished"));

  json kept = omniq_json({"purge", "--older-than", "7d"});
  EXPECT_EQ(kept["purged"], 0);
  json purged = omniq_json({"purge", "--older-than", "0s"});
  EXPECT_EQ(purged["purged"], 3);
  EXPECT_EQ(omniq({"status", done}).exit_code, 1);
  EXPECT_EQ(omniq_json({"stats"})["total"], 0);

  // Human forms: aligned tables.
  CliResult list = omniq({"list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, HasSubstr("no tasks"));
  CliResult human_stats = omniq({"stats"});
  EXPECT_THAT(human_stats.out, HasSubstr("QUEUE  PENDING  RUNNING"));
}

INSTANTIATE_TEST_SUITE_P(Backends, CliEndToEnd, ::testing::Values("sqlite", "file"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace omniq::testing
