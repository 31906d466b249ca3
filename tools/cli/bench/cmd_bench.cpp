#include "commands.hpp"

namespace omniq::cli {

void add_bench_command(CLI::App& app, GlobalOptions&) {
  app.add_subcommand("bench", "(being written)");
}

}  // namespace omniq::cli
