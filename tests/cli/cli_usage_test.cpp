// Bad usage exits 2 with a message on stderr saying what is accepted; --help
// works everywhere; enqueue prints an id on every backend.
#include "base/task_rules.hpp"
#include "cli/cli_fixture.hpp"
#include "omniq/task.hpp"

namespace omniq::testing {
namespace {

using ::testing::HasSubstr;

class CliUsage : public CliTest {
 protected:
  void expect_usage_error(std::vector<std::string> args, const std::string& message) {
    CliResult r = omniq(args);
    EXPECT_EQ(r.exit_code, 2) << "stdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_THAT(r.err, HasSubstr(message));
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
};

TEST_F(CliUsage, EverySubcommandHasHelp) {
  for (const char* cmd :
       {"enqueue", "worker", "status", "result", "list", "cancel", "purge", "stats", "demo"}) {
    CliResult r = run_omniq({cmd, "--help"}, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_THAT(r.out, HasSubstr("Usage")) << cmd;
  }
  CliResult top = run_omniq({"--help"}, dir_.path());
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_THAT(top.out, HasSubstr("Exit codes"));
}

TEST_F(CliUsage, EnqueuePrintsAnIdOnEveryBackend) {
  for (const char* backend : {"memory", "sqlite", "file"}) {
    backend_ = backend;
    CliResult r = omniq({"enqueue", "echo", "[1, \"two\"]"});
    ASSERT_EQ(r.exit_code, 0) << backend << ": " << r.err;
    std::string id = r.out.substr(0, r.out.find('\n'));
    EXPECT_TRUE(is_valid_id(id)) << backend << ": " << r.out;

    nlohmann::json j = omniq_json({"enqueue", "echo", "[]", "--delay", "10s", "--max-retries", "0",
                                   "--timeout", "500ms", "--kwargs", "{\"k\": 1}"});
    ASSERT_TRUE(j.contains("id")) << backend;
    EXPECT_TRUE(is_valid_id(j["id"].get<std::string>()));
  }
}

TEST_F(CliUsage, EnqueueStoresWhatItWasGiven) {
  std::string id =
      enqueue({"echo", "[2, 3]", "--kwargs", "{\"x\": true}", "--eta", "2099-01-02T03:04:05Z",
               "--interval", "5m", "--max-retries", "7", "--timeout", "2h"});
  nlohmann::json t = omniq_json({"status", id});
  EXPECT_EQ(t["func_path"], "echo");
  EXPECT_EQ(t["args"], nlohmann::json::parse("[2, 3]"));
  EXPECT_EQ(t["kwargs"], nlohmann::json::parse("{\"x\": true}"));
  EXPECT_EQ(t["max_retries"], 7);
  EXPECT_EQ(t["status"], "PENDING");
  EXPECT_THAT(t.dump(), HasSubstr("2099-01-02T03:04:05"));
}

TEST_F(CliUsage, BadEnqueueArgumentsExit2SayingWhatIsAccepted) {
  expect_usage_error({"enqueue", "echo", "[1, 2"}, "not valid JSON");
  expect_usage_error({"enqueue", "echo", "{\"a\": 1}"}, "must be a JSON array");
  expect_usage_error({"enqueue", "echo", "[]", "--kwargs", "[1]"}, "must be a JSON object");
  expect_usage_error({"enqueue", "echo", "[]", "--eta", "2030-01-01T00:00:00Z", "--delay", "1s"},
                     "give one of them");
  expect_usage_error({"enqueue", "echo", "--delay", "10 parsecs"}, "500ms, 10s, 5m, 2h, 7d");
  expect_usage_error({"enqueue", "echo", "--interval", "-5m"}, "500ms, 10s, 5m, 2h, 7d");
  expect_usage_error({"enqueue", "echo", "--interval", "0s"}, "more than 0");
  expect_usage_error({"enqueue", "echo", "--timeout", "soon"}, "500ms, 10s, 5m, 2h, 7d");
  expect_usage_error({"enqueue", "echo", "--eta", "tomorrow"}, "ISO-8601");
  expect_usage_error({"enqueue", "echo", "--max-retries", "-1"}, "integer from 0");
  expect_usage_error({"enqueue", "echo", "--max-retries", "three"}, "integer from 0");
  expect_usage_error({"enqueue"}, "NAME is required");
  expect_usage_error({"enqueue", ""}, "func_path");
}

TEST_F(CliUsage, BadGlobalAndQueryArgumentsExit2) {
  // (Without the fixture's store flags.)
  CliResult r = run_omniq({}, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("A subcommand is required"));
  r = run_omniq({"frobnicate"}, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown subcommand \"frobnicate\"; expected one of: enqueue"));
  r = run_omniq({"--backend", "oracle", "stats"}, dir_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("\"oracle\": expected sqlite, file, memory or postgres"));
  expect_usage_error({"stats", "extra"}, "not expected: extra");
  expect_usage_error({"status", "../../etc/passwd"}, "invalid task id");
  expect_usage_error({"result", "not an id"}, "invalid task id");
  expect_usage_error({"cancel", std::string(65, 'a')}, "invalid task id");
  expect_usage_error({"list", "--status", "done"}, "pending, running, success");
  expect_usage_error({"list", "--limit", "0"}, "integer from 1");
  expect_usage_error({"purge", "--older-than", "a week"}, "500ms, 10s, 5m, 2h, 7d");
  expect_usage_error({"result", "abc", "--timeout", "5s"}, "--wait");
  expect_usage_error({"worker", "--concurrency", "0"}, "integer from 1 to 1024");
  expect_usage_error({"worker", "--poll-interval", "fast"}, "500ms, 10s, 5m, 2h, 7d");
}

TEST_F(CliUsage, UnknownIdsExit1) {
  const std::string id = "0190f3a2-0000-7000-8000-000000000000";
  for (std::vector<std::string> args : {std::vector<std::string>{"status", id},
                                        {"result", id},
                                        {"result", id, "--wait", "--timeout", "1s"},
                                        {"cancel", id}}) {
    CliResult r = omniq(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("no task with id " + id)) << args[0];
  }
}

TEST_F(CliUsage, ResultWithoutOneYetExits1) {
  std::string id = enqueue({"echo", "[]"});
  CliResult r = omniq({"result", id});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no result yet (status PENDING)"));
  r = omniq({"result", id, "--wait", "--timeout", "200ms"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no result after waiting"));
}

}  // namespace
}  // namespace omniq::testing
