// Plugins: loaded with --plugin, their tasks run; a library without
// omniq_register, or a path that is not a library, is a clear usage error.
#include <fstream>

#include "cli/cli_fixture.hpp"

namespace omniq::testing {
namespace {

using ::testing::HasSubstr;

using CliPlugin = CliTest;

TEST_F(CliPlugin, APluginsTasksRun) {
  auto worker = start_worker({"--plugin", OMNIQ_TEST_PLUGIN_PATH});
  std::string id = enqueue({"test.multiply", "[6, 7]"});
  auto r = omniq_json({"result", id, "--wait", "--timeout", "30s"});
  EXPECT_EQ(r["status"], "SUCCESS") << worker->output();
  EXPECT_EQ(r["result"], 42);
  // The builtins are still there.
  std::string echo = enqueue({"echo", "[\"still here\"]"});
  EXPECT_EQ(omniq_json({"result", echo, "--wait", "--timeout", "30s"})["status"], "SUCCESS");
  EXPECT_EQ(worker->stop(), 0);
  EXPECT_THAT(worker->output(), HasSubstr("test.multiply"));
}

TEST_F(CliPlugin, ALibraryWithoutOmniqRegisterIsAClearError) {
  CliResult r = omniq({"worker", "--plugin", OMNIQ_NO_REGISTER_PLUGIN_PATH});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(OMNIQ_NO_REGISTER_PLUGIN_PATH));
  EXPECT_THAT(r.err, HasSubstr("has no omniq_register"));
  EXPECT_THAT(r.err, HasSubstr("undefined symbol"));  // dlerror()'s words
}

TEST_F(CliPlugin, ABadPathIsAClearError) {
  std::string missing = (dir_ / "nowhere.so").string();
  CliResult r = omniq({"worker", "--plugin", missing});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(missing));
  EXPECT_THAT(r.err, HasSubstr("no such file"));

  std::string text = (dir_ / "not-a-library.so").string();
  { std::ofstream(text) << "hello\n"; }
  r = omniq({"worker", "--plugin", text});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot load it"));
  EXPECT_THAT(r.err, HasSubstr(text));
}

}  // namespace
}  // namespace omniq::testing
