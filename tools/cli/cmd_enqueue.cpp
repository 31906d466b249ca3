#include "commands.hpp"

namespace omniq::cli {

void add_enqueue_command(CLI::App& app, GlobalOptions&) {
  app.add_subcommand("enqueue", "(being written)");
}

}  // namespace omniq::cli
