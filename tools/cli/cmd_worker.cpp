#include "commands.hpp"

namespace omniq::cli {

void add_worker_command(CLI::App& app, GlobalOptions&) {
  app.add_subcommand("worker", "(being written)");
}

}  // namespace omniq::cli
