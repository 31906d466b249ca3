// `omniq demo` in a non-terminal: finishes within its budget with plain
// lines (no '\r' redraws), its summary matches the store, and a second run on
// the same store works and leaves nothing waiting.
#include <map>
#include <regex>
#include <sstream>

#include "cli/cli_fixture.hpp"

namespace omniq::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// The "STATUS COUNT" rows of the human summary.
std::map<std::string, int> summary_counts(const std::string& out) {
  std::map<std::string, int> counts;
  std::regex row(R"(^  (PENDING|RUNNING|SUCCESS|FAILED|RETRYING|CANCELLED) +([0-9]+)$)");
  std::istringstream lines(out.substr(out.find("Summary:")));
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, row)) counts[m[1]] = std::stoi(m[2]);
  }
  return counts;
}

TEST(CliDemo, RunsInAPipeAndItsSummaryMatchesTheStore) {
  TempDir dir;
  // The default store: ./omniq.db in the working directory.
  CliResult first = run_omniq({"demo"}, dir.path());
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_LT(first.seconds, 15.0);
  EXPECT_TRUE(std::filesystem::exists(dir / "omniq.db"));
  EXPECT_EQ(first.out.find('\r'), std::string::npos) << "redraws in a pipe";
  EXPECT_THAT(first.out, HasSubstr("retry"));
  EXPECT_THAT(first.out, HasSubstr("Failed for good after 3 attempts"));
  EXPECT_THAT(first.out, HasSubstr("error_type"));
  EXPECT_THAT(first.out, HasSubstr("retry_count"));

  std::map<std::string, int> counts = summary_counts(first.out);
  EXPECT_GT(counts["SUCCESS"], 0);
  EXPECT_EQ(counts["FAILED"], 1);
  EXPECT_EQ(counts["CANCELLED"], 1);  // the interval task, cancelled at the end
  CliResult stats = run_omniq({"--json", "stats"}, dir.path());
  ASSERT_EQ(stats.exit_code, 0);
  json db = stats.json()["counts"];
  for (const auto& [status, n] : db.items()) {
    EXPECT_EQ(n.get<int>(), counts[status]) << status;
  }

  // Again, on the same store, with JSON.
  CliResult second = run_omniq({"--json", "demo"}, dir.path());
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_LT(second.seconds, 15.0);
  json summary = second.json();
  EXPECT_EQ(summary["finished"], true);
  EXPECT_EQ(summary["permanent_failure"]["error"]["retry_count"], 2);
  EXPECT_GE(summary["interval_runs"].get<int>(), 3);
  json after = run_omniq({"--json", "stats"}, dir.path()).json()["counts"];
  for (const auto& [status, n] : after.items()) {
    EXPECT_EQ(n.get<int>(), counts[status] + summary["counts"][status].get<int>()) << status;
  }
  EXPECT_EQ(after["PENDING"], 0);
  EXPECT_EQ(after["RUNNING"], 0);
  EXPECT_EQ(after["RETRYING"], 0);
}

TEST(CliDemo, RefusesAStoreWithOtherWaitingTasks) {
  TempDir dir;
  ASSERT_EQ(run_omniq({"enqueue", "echo", "[1]"}, dir.path()).exit_code, 0);
  CliResult r = run_omniq({"demo"}, dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not the demo's"));
  EXPECT_THAT(r.err, HasSubstr("--db"));
}

}  // namespace
}  // namespace omniq::testing
