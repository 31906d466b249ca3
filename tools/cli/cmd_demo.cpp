#include "commands.hpp"

namespace omniq::cli {

void add_demo_command(CLI::App& app, GlobalOptions&) {
  app.add_subcommand("demo", "(being written)");
}

}  // namespace omniq::cli
