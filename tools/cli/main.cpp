// omniq: the command line of the omniq task queue.
#include <iostream>

#include "commands.hpp"
#include "omniq/error.hpp"
#include "omniq/version.hpp"

namespace omniq::cli {

Settings GlobalOptions::settings() const {
  Settings s = Settings::from_env();
  if (backend) {
    auto b = parse_backend(*backend);
    if (!b) throw UsageError("--backend \"" + *backend + "\": expected sqlite, file or memory");
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
  GlobalOptions global;
  app.add_option("--backend", global.backend,
                 "sqlite, file or memory (default: OMNIQ_BACKEND or sqlite)");
  app.add_option("--db", global.db, "SQLite database path (default: OMNIQ_DB_URL or ./omniq.db)");
  app.add_option("--base-dir", global.base_dir, "file store directory (default: OMNIQ_BASE_DIR)");
  app.add_flag("--json", global.json, "print machine-readable JSON");
  add_enqueue_command(app, global);
  add_worker_command(app, global);
  add_query_commands(app, global);
  add_demo_command(app, global);
  add_bench_command(app, global);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "omniq: " << e.what() << "\n";
    return kExitUsage;
  } catch (const omniq::ConfigError& e) {
    std::cerr << "omniq: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "omniq: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}
