// omniq: the command line of the omniq task queue.
#include <iostream>

#include "base/task_rules.hpp"
#include "commands.hpp"
#include "omniq/error.hpp"
#include "omniq/omniq.hpp"

namespace omniq::cli {

Settings GlobalOptions::settings() const {
  Settings s = Settings::from_env();
  if (backend) {
    auto b = parse_backend(*backend);
    if (!b) {
      throw UsageError("--backend \"" + *backend + "\": expected sqlite, file, memory or postgres");
    }
    s.backend = *b;
  }
  if (db) s.database_url = *db;
  if (base_dir) s.base_dir = *base_dir;
  s.validate();
  return s;
}

}  // namespace omniq::cli

int main(int argc, char** argv) {
  using namespace omniq::cli;
  CLI::App app{"omniq: a background task queue with no server to run"};
  app.set_version_flag("--version", omniq::kVersion);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  app.footer(
      "Durations: 500ms, 10s, 5m, 2h, 7d or a number of seconds.\n"
      "Environment: OMNIQ_BACKEND, OMNIQ_DB_URL, OMNIQ_BASE_DIR, OMNIQ_LOG_LEVEL, ... "
      "(flags win).\n"
      "Exit codes: 0 success, 1 failure at run time, 2 bad usage.");
  GlobalOptions global;
  app.add_option("--backend", global.backend,
                 "sqlite, file, memory or postgres (default: OMNIQ_BACKEND or sqlite)");
  app.add_option("--db", global.db,
                 "SQLite database path or postgresql:// URL (default: OMNIQ_DB_URL or ./omniq.db)");
  app.add_option("--base-dir", global.base_dir, "file store directory (default: OMNIQ_BASE_DIR)");
  app.add_flag("--json", global.json, "print machine-readable JSON");
  add_enqueue_command(app, global);
  add_worker_command(app, global);
  add_query_commands(app, global);
  add_demo_command(app, global);
  add_bench_command(app, global);
  add_serve_command(app, global);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::vector<std::string> rest = app.remaining();
    if (app.get_subcommands().empty() && !rest.empty()) {
      std::string names;
      for (const CLI::App* sub : app.get_subcommands({})) {
        names += (names.empty() ? "" : ", ") + sub->get_name();
      }
      std::cerr << "omniq: unknown subcommand \"" << rest.front()
                << "\"; expected one of: " << names << "\nRun with --help for more information.\n";
      return kExitUsage;
    }
    app.exit(e);
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "omniq: " << e.what() << "\n";
    return kExitUsage;
  } catch (const omniq::ConfigError& e) {
    std::cerr << "omniq: " << e.what() << "\n";
    return kExitUsage;
  } catch (const omniq::ValidationError& e) {
    std::cerr << "omniq: " << e.what() << "\n";
    return kExitUsage;
  } catch (const CommandFailed& e) {
    if (*e.what() != '\0') std::cerr << "omniq: " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "omniq: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}
