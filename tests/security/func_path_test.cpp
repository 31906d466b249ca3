// func_path values with quotes, SQL and unicode are plain data: stored and
// read back byte for byte, matched exactly by list filters, and run by the
// handler registered under exactly that name; the SQLite tables survive.
// Control characters and over-long names are refused.
#include "security/security_fixture.hpp"

namespace omniq::testing {
namespace {

std::vector<std::string> quoted_func_paths() {
  return {"x'); DROP TABLE tasks; --",
          "\"; DELETE FROM results; --",
          "it's \"quoted\" `twice`",
          "a' OR '1'='1",
          "SELECT * FROM tasks",
          "../../etc/passwd",
          "$(touch /tmp/omniq-pwned)",
          "\xd0\xb7\xd0\xb0\xd0\xb4\xd0\xb0\xd1\x87\xd0\xb0.run",  // "задача.run"
          "%s%n%x"};
}

TEST_P(HostileInput, QuotedAndSqlFuncPathsAreStoredVerbatimAndRunByTheirOwnHandler) {
  Registry registry;
  std::map<std::string, std::string> ids;
  for (const std::string& f : quoted_func_paths()) {
    registry.add(f, [f] { return f; });
    ids[f] = oq().enqueue(f, Value::array());
  }
  for (const auto& [f, id] : ids) {
    EXPECT_EQ(oq().get_task(id)->func_path, f);
    TaskFilter only;
    only.func_path = f;
    auto listed = oq().list_tasks(only);
    ASSERT_EQ(listed.size(), 1u) << f;
    EXPECT_EQ(listed.front().id, id);
  }
  WorkerOptions o;
  o.poll_interval = milliseconds(5);
  WorkerPool pool = oq().worker(registry, o);
  pool.start();
  for (const auto& [f, id] : ids) {
    auto r = oq().get_result(id, {.wait = true, .timeout = seconds(30)});
    ASSERT_TRUE(r.has_value()) << f;
    EXPECT_EQ(r->value<std::string>(), f);
  }
  pool.stop();
  EXPECT_EQ(oq().stats().count(TaskStatus::SUCCESS), ids.size());
  EXPECT_FALSE(fs::exists("/tmp/omniq-pwned"));
  // The store still opens and holds everything.
  oq_.reset();
  OmniQ again(GetParam().open(dir_ / "inner"), settings_);
  if (GetParam().persistent) {
    EXPECT_EQ(again.stats().count(TaskStatus::SUCCESS), ids.size());
  }
}

TEST_P(HostileInput, ControlCharactersAndOverlongFuncPathsAreRefused) {
  for (std::string f : {std::string("a\nb"), std::string("a\0b", 3), std::string("\x1b[31m"),
                        std::string("del\x7f"), std::string(), std::string(10 * 1024, 'f')}) {
    try {
      oq().enqueue(f, Value::array());
      ADD_FAILURE() << "accepted func_path of " << f.size() << " bytes";
    } catch (const ValidationError& e) {
      std::string m = e.what();
      EXPECT_LT(m.size(), 512u) << m;
      for (char c : m) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << m;
    }
  }
  EXPECT_EQ(oq().stats().total(), 0u);
}

}  // namespace
}  // namespace omniq::testing
