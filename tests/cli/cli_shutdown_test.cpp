// SIGTERM/SIGINT stop a worker gracefully: a task that finishes within the
// grace finishes; one that does not is stopped and given back, so nothing is
// left RUNNING without a live lease, and a shell task's processes are killed.
#include <signal.h>

#include "cli/cli_fixture.hpp"

namespace omniq::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

using CliShutdown = CliTest;

TEST_F(CliShutdown, ALongTaskIsGivenBackNotLeftRunning) {
  auto worker = start_worker({"--shutdown-grace", "200ms"});
  std::string id = enqueue({"sleep", "[600]"});
  ASSERT_TRUE(wait_until([&] { return status_of(id) == "RUNNING"; })) << worker->output();

  worker->signal(SIGTERM);
  ASSERT_EQ(worker->wait(std::chrono::seconds(30)), 0) << worker->output();
  json t = omniq_json({"status", id});
  EXPECT_EQ(t["status"], "PENDING") << t.dump(2);
  EXPECT_EQ(t["attempts"], 1);  // attempts counts claims; the interrupted one recorded no error
  EXPECT_FALSE(t.contains("error")) << t.dump(2);
  EXPECT_FALSE(t.contains("lease_expires_at")) << t.dump(2);
  EXPECT_THAT(worker->output(), HasSubstr("received SIGTERM"));

  // The next worker runs it again.
  CliResult cancel = omniq({"cancel", id});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
}

TEST_F(CliShutdown, ATaskWithinTheGraceFinishes) {
  auto worker = start_worker({"--shutdown-grace", "30s"});
  std::string id = enqueue({"sleep", "[0.5]"});
  ASSERT_TRUE(wait_until([&] { return status_of(id) == "RUNNING"; })) << worker->output();
  worker->signal(SIGINT);
  ASSERT_EQ(worker->wait(std::chrono::seconds(30)), 0) << worker->output();
  json r = omniq_json({"result", id});
  EXPECT_EQ(r["status"], "SUCCESS");
  EXPECT_EQ(r["result"], 0.5);
}

TEST_F(CliShutdown, AShellTasksProcessesDieWithTheWorkersStop) {
  auto worker = start_worker({"--shutdown-grace", "200ms"});
  std::string pid_file = (dir_ / "child.pid").string();
  std::string id =
      enqueue({"shell", json::array({"echo $$ > " + pid_file + "; exec sleep 600"}).dump(),
               "--kwargs", "{\"shell\": true}"});
  ASSERT_TRUE(wait_until([&] { return !read_file(pid_file).empty(); })) << worker->output();
  pid_t child = std::stoi(read_file(pid_file));
  EXPECT_FALSE(process_gone(child));

  ASSERT_EQ(worker->stop(std::chrono::seconds(30)), 0) << worker->output();
  EXPECT_TRUE(wait_until([&] { return process_gone(child); }, std::chrono::seconds(10)));
  json t = omniq_json({"status", id});
  EXPECT_NE(t["status"], "RUNNING") << t.dump(2);
  EXPECT_FALSE(t.contains("lease_expires_at")) << t.dump(2);
}

}  // namespace
}  // namespace omniq::testing
