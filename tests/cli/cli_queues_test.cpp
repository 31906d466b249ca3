// Queues, priorities, unique keys and cron schedules through the omniq
// binary, on each persistent backend: enqueue's options, worker --queue,
// queue pause|resume|list, stats per queue, list --queue, status's next run.
#include "cli/cli_fixture.hpp"

namespace omniq::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class CliQueues : public CliTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override { backend_ = GetParam(); }
};

TEST_P(CliQueues, EnqueueOptionsAreStoredAndAUniqueKeyAddsOneTask) {
  json first = omniq_json(
      {"enqueue", "echo", "[1]", "--queue", "mail", "--priority", "-3", "--unique-key", "nightly"});
  EXPECT_EQ(first["created"], true);
  json again = omniq_json({"enqueue", "echo", "[2]", "--unique-key", "nightly"});
  EXPECT_EQ(again["id"], first["id"]);
  EXPECT_EQ(again["created"], false);
  CliResult human = omniq({"enqueue", "echo", "[3]", "--unique-key", "nightly"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_EQ(human.out, first["id"].get<std::string>() + "\n");
  EXPECT_THAT(human.err, HasSubstr("nothing was added"));

  json t = omniq_json({"status", first["id"]});
  EXPECT_EQ(t["queue"], "mail");
  EXPECT_EQ(t["priority"], -3);
  EXPECT_EQ(t["unique_key"], "nightly");
  EXPECT_EQ(omniq_json({"stats"})["total"], 1);

  CliResult bad = omniq({"enqueue", "echo", "--queue", "no spaces"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("queue"));
  CliResult orphan = omniq({"enqueue", "echo", "--unique-for", "1h"});
  EXPECT_EQ(orphan.exit_code, 2);
}

TEST_P(CliQueues, ACronTaskShowsItsNextRunAndBadExpressionsNameTheField) {
  json e = omniq_json({"enqueue", "echo", "--cron", "0 3 * * *", "--tz", "Europe/Berlin"});
  CliResult status = omniq({"status", e["id"]});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_THAT(status.out, HasSubstr("0 3 * * * (Europe/Berlin)"));
  EXPECT_THAT(status.out, HasSubstr("next run"));
  json t = omniq_json({"status", e["id"]});
  EXPECT_EQ(t["schedule"]["cron"], "0 3 * * *");
  EXPECT_EQ(t["schedule"]["timezone"], "Europe/Berlin");

  CliResult bad = omniq({"enqueue", "echo", "--cron", "0 25 * * *"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("hour"));
  CliResult zone = omniq({"enqueue", "echo", "--cron", "@daily", "--tz", "Mars/Olympus"});
  EXPECT_EQ(zone.exit_code, 2);
  EXPECT_THAT(zone.err, HasSubstr("Mars/Olympus"));
  EXPECT_EQ(omniq({"enqueue", "echo", "--cron", "@daily", "--interval", "1m"}).exit_code, 2);
}

TEST_P(CliQueues, APausedQueueWaitsForItsResumeAndStatsCountPerQueue) {
  std::string mail = enqueue({"echo", "[\"m\"]", "--queue", "mail"});
  std::string other = enqueue({"echo", "[\"d\"]"});
  CliResult pause = omniq({"queue", "pause", "mail"});
  EXPECT_EQ(pause.exit_code, 0) << pause.err;
  EXPECT_EQ(omniq_json({"queue", "list"})["paused"], json::array({"mail"}));

  auto worker = start_worker({"--queue", "default=2", "--queue", "mail=1"});
  json r = omniq_json({"result", other, "--wait", "--timeout", "30s"});
  EXPECT_EQ(r["status"], "SUCCESS") << worker->output();
  EXPECT_EQ(status_of(mail), "PENDING");
  json stats = omniq_json({"stats"});
  EXPECT_EQ(stats["queues"]["mail"]["PENDING"], 1);
  EXPECT_EQ(stats["queues"]["default"]["SUCCESS"], 1);
  EXPECT_EQ(stats["paused"], json::array({"mail"}));
  CliResult human = omniq({"stats"});
  EXPECT_THAT(human.out, HasSubstr("mail (paused)"));
  json listed = omniq_json({"list", "--queue", "mail"});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], mail);

  EXPECT_EQ(omniq({"queue", "resume", "mail"}).exit_code, 0);
  json m = omniq_json({"result", mail, "--wait", "--timeout", "30s"});
  EXPECT_EQ(m["status"], "SUCCESS") << worker->output();
  EXPECT_EQ(worker->stop(), 0) << worker->output();
  EXPECT_EQ(omniq({"queue", "pause"}).exit_code, 2);
  EXPECT_EQ(omniq({"queue", "pause", "bad name"}).exit_code, 2);
  EXPECT_EQ(omniq({"worker", "--queue", "mail=0"}).exit_code, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, CliQueues, ::testing::Values("sqlite", "file"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace omniq::testing
