// A plugin for `omniq worker --plugin libgreet_plugin.so`: a shared library
// that adds its own tasks to the worker, with no change to the omniq binary.
//
//   omniq worker --plugin ./libgreet_plugin.so &
//   omniq enqueue plugin.greet '["Ada"]'            # -> "Hello, Ada!"
//   omniq enqueue plugin.greet '["Ada"]' --kwargs '{"greeting": "Bonjour"}'
//   omniq enqueue plugin.add '[2, 3]'               # -> 5
//
// Build it as a MODULE library against omniq's headers without linking the
// omniq library (see omniq_cli_plugin in tools/cli/CMakeLists.txt): the
// omniq symbols it uses are those of the omniq binary that loads it.
#include <string>

#include "omniq/registry.hpp"

extern "C" void omniq_register(omniq::Registry& registry) {
  // A handler taking TaskContext& sees the keyword arguments too.
  registry.add("plugin.greet", [](omniq::TaskContext& ctx) -> omniq::Value {
    const omniq::Value& args = ctx.args();
    if (args.size() != 1 || !args[0].is_string()) {
      throw omniq::PermanentError("plugin.greet expects [NAME] (a string), got " + args.dump());
    }
    std::string greeting = ctx.kwargs().value("greeting", std::string("Hello"));
    return greeting + ", " + args[0].get<std::string>() + "!";
  });
  // A typed handler: the arguments are converted to its parameter types.
  registry.add("plugin.add", [](long long a, long long b) { return a + b; });
}
