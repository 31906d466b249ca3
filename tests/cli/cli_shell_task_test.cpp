// The built-in shell task: no shell unless asked, exit codes and output
// tails recorded, and on timeout the child's whole process group killed.
#include "cli/cli_fixture.hpp"

namespace omniq::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class CliShellTask : public CliTest {
 protected:
  void SetUp() override { worker_ = start_worker({"--concurrency", "2"}); }
  void TearDown() override { EXPECT_EQ(worker_->stop(), 0) << worker_->output(); }

  json result_of(const std::string& id) {
    return omniq_json({"result", id, "--wait", "--timeout", "60s"});
  }
  std::unique_ptr<CliProcess> worker_;
};

TEST_F(CliShellTask, RunsArgvWithoutAShell) {
  std::string id = enqueue({"shell", "[\"echo\", \"hello $HOME\", \"*\"]"});
  json r = result_of(id);
  ASSERT_EQ(r["status"], "SUCCESS") << worker_->output();
  EXPECT_EQ(r["result"]["exit_code"], 0);
  EXPECT_EQ(r["result"]["stdout"], "hello $HOME *\n");  // nothing expanded
  EXPECT_EQ(r["result"]["stderr"], "");
}

TEST_F(CliShellTask, RunsAShellWhenAsked) {
  std::string id =
      enqueue({"shell", "[\"printf '%s-%s' \\\"$0\\\" \\\"$1\\\"; echo err >&2\", \"x\"]",
               "--kwargs", "{\"shell\": true}"});
  json r = result_of(id);
  ASSERT_EQ(r["status"], "SUCCESS") << worker_->output();
  EXPECT_EQ(r["result"]["stdout"], "sh-x");
  EXPECT_EQ(r["result"]["stderr"], "err\n");
}

TEST_F(CliShellTask, KeepsTheTailOfLongOutput) {
  std::string id = enqueue({"shell", "[\"seq 1 20000\"]", "--kwargs", "{\"shell\": true}"});
  json r = result_of(id);
  ASSERT_EQ(r["status"], "SUCCESS");
  std::string out = r["result"]["stdout"];
  EXPECT_EQ(out.size(), 4096u);
  EXPECT_TRUE(out.ends_with("19999\n20000\n"));
  EXPECT_EQ(r["result"]["stdout_truncated"], true);
}

TEST_F(CliShellTask, NonZeroExitFailsTheAttemptAndRecordsIt) {
  std::string id = enqueue(
      {"shell", "[\"sh\", \"-c\", \"echo partial; echo oops >&2; exit 3\"]", "--max-retries", "1"});
  json r = result_of(id);
  ASSERT_EQ(r["status"], "FAILED") << worker_->output();
  EXPECT_EQ(r["attempts"], 2);  // a failed exit is retried like any failure
  std::string message = r["error"]["message"];
  EXPECT_THAT(message, HasSubstr("exited with code 3"));
  EXPECT_THAT(message, HasSubstr("oops"));
  EXPECT_THAT(message, HasSubstr("partial"));
  EXPECT_THAT(r["error"]["error_type"].get<std::string>(), HasSubstr("ShellCommandFailed"));
}

TEST_F(CliShellTask, AMissingProgramFailsWithoutRetries) {
  std::string id = enqueue({"shell", "[\"no-such-program-omniq-test\"]", "--max-retries", "3"});
  json r = result_of(id);
  ASSERT_EQ(r["status"], "FAILED");
  EXPECT_EQ(r["attempts"], 1);
  EXPECT_EQ(r["error"]["is_retryable"], false);
  EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("No such file or directory"));
}

TEST_F(CliShellTask, BadArgumentsFailClearly) {
  json r = result_of(enqueue({"shell", "[]"}));
  EXPECT_EQ(r["status"], "FAILED");
  EXPECT_THAT(r["error"]["message"].get<std::string>(),
              HasSubstr("non-empty JSON array of strings"));
  r = result_of(enqueue({"shell", "[\"ls\"]", "--kwargs", "{\"shel\": true}"}));
  EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("\"shel\""));
}

TEST_F(CliShellTask, TimeoutKillsTheWholeProcessGroup) {
  // The shell starts a grandchild and waits; both must die on timeout.
  std::string pid_file = (dir_ / "child.pid").string();
  std::string script = "sleep 120 & echo $! > " + pid_file + "; wait";
  std::string id = enqueue({"shell", json::array({script}).dump(), "--kwargs", "{\"shell\": true}",
                            "--timeout", "1s", "--max-retries", "0"});
  json r = result_of(id);
  ASSERT_EQ(r["status"], "FAILED") << worker_->output();
  EXPECT_EQ(r["error"]["error_type"], "TimeoutError");
  std::string text = read_file(pid_file);
  ASSERT_FALSE(text.empty()) << "the script never started";
  pid_t child = std::stoi(text);
  EXPECT_TRUE(wait_until([&] { return process_gone(child); }, std::chrono::seconds(10)))
      << "the grandchild " << child << " outlived the task";
}

}  // namespace
}  // namespace omniq::testing
