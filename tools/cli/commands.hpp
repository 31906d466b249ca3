// The omniq command's subcommands. Each add_*_command registers one
// subcommand on the app; the options shared by all of them live in
// GlobalOptions.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <stdexcept>
#include <string>

#include "omniq/settings.hpp"

namespace omniq::cli {

// Exit codes: 0 success, 1 failure at run time, 2 bad usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Thrown by a command for bad usage found after parsing (exit code 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown by a command that has reported a failure itself (exit code 1); an
// empty message prints nothing more.
struct CommandFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct GlobalOptions {
  std::optional<std::string> backend;   // --backend
  std::optional<std::string> db;        // --db
  std::optional<std::string> base_dir;  // --base-dir
  bool json = false;                    // --json

  // Settings::from_env() with the flags above laid over it.
  Settings settings() const;
};

void add_enqueue_command(CLI::App& app, GlobalOptions& global);
void add_worker_command(CLI::App& app, GlobalOptions& global);
// status, result, list; then add_admin_commands.
void add_query_commands(CLI::App& app, GlobalOptions& global);
// cancel, purge, stats.
void add_admin_commands(CLI::App& app, GlobalOptions& global);
void add_demo_command(CLI::App& app, GlobalOptions& global);
void add_bench_command(CLI::App& app, GlobalOptions& global);
// omniq serve: dashboard, JSON API and /metrics (docs/web.md).
void add_serve_command(CLI::App& app, GlobalOptions& global);

}  // namespace omniq::cli
