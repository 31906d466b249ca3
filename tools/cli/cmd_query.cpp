#include "commands.hpp"

namespace omniq::cli {

void add_query_commands(CLI::App& app, GlobalOptions&) {
  app.add_subcommand("status", "(being written)");
}

}  // namespace omniq::cli
