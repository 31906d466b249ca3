// Settings: how omniq is configured, in code or from OMNIQ_* environment variables.
//
//   OMNIQ_BACKEND              sqlite | file | memory | postgres (default sqlite)
//   OMNIQ_DB_URL               path, sqlite:///path or :memory:  (default ./omniq.db),
//                              or postgresql://user@host:port/db[?schema=name]
//   OMNIQ_BASE_DIR             file store directory              (default ./omniq-data)
//   OMNIQ_DEFAULT_TIMEOUT      duration per attempt, 0 = none    (default 300s)
//   OMNIQ_DEFAULT_MAX_RETRIES  integer >= 0                      (default 3)
//   OMNIQ_RESULT_TTL           duration results are kept         (default 7d)
//   OMNIQ_SERIALIZER           json | msgspec | msgpack          (default json)
//   OMNIQ_LOG_LEVEL            DEBUG | INFO | WARNING | ERROR    (default INFO)
//   OMNIQ_DURABILITY           full | normal | off               (default full)
//   OMNIQ_RETRY_BACKOFF_BASE   duration before the first retry   (default 1s)
//   OMNIQ_RETRY_BACKOFF_MAX    cap on the backoff delay          (default 5m)
//   OMNIQ_MAX_TASK_BYTES       largest encoded task accepted     (default 1048576)
//   OMNIQ_COMPAT               none | original: write retries as the
//                              Python original does (PENDING), for
//                              sharing a SQLite file with it      (default none)
//
// Durations are "500ms", "10s", "5m", "2h", "7d" or a plain number of seconds.
// Settings is a plain value; copy it freely.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "omniq/time.hpp"

namespace spdlog::sinks {
class sink;
}  // namespace spdlog::sinks

namespace omniq {

enum class Backend { sqlite, file, memory, postgres };

// What an acknowledged write survives. full: power loss (SQLite
// synchronous=FULL, fsync of file and directory). normal: a crash of the
// process, not of the machine. off: nothing beyond the process's lifetime is
// promised. Only `full` is the default; speed comes from batching.
enum class Durability { full, normal, off };

enum class LogLevel { debug, info, warning, error };

// none: omniq's own statuses. original: a retry is written PENDING with the
// backoff's eta (the original library knows no RETRYING), so that both can
// work on one SQLite file during a migration.
enum class Compat { none, original };

struct Settings {
  Backend backend = Backend::sqlite;
  std::string database_url = "./omniq.db";
  std::string base_dir = "./omniq-data";
  std::optional<Duration> default_timeout = std::chrono::seconds(300);
  int default_max_retries = 3;
  Duration result_ttl = std::chrono::hours(24 * 7);
  std::string serializer = "json";
  // Set only when chosen (OMNIQ_LOG_LEVEL or in code): building a façade
  // then sets the "omniq" logger's level; otherwise the level is left as it is.
  std::optional<LogLevel> log_level{};
  Durability durability = Durability::full;
  Duration retry_backoff_base = std::chrono::seconds(1);
  Duration retry_backoff_max = std::chrono::minutes(5);
  std::size_t max_task_bytes = 1024 * 1024;
  Compat compat = Compat::none;

  // Reads the OMNIQ_* variables over the defaults, then validate()s. Throws
  // ConfigError naming the variable, its value and what is accepted.
  static Settings from_env();
  // The same, reading variables through `lookup` (nullopt = unset); for tests
  // and for applications with their own configuration source.
  using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
  static Settings from_env(const EnvLookup& lookup);

  // Throws ConfigError when a field is unusable (empty path, negative number,
  // unknown serializer, backoff cap below its base...).
  void validate() const;
};

// omniq logs to one spdlog logger, "omniq", writing to stderr. Its level is
// Settings::log_level when one was chosen (building a façade sets it), else
// INFO or what set_log_level set. Lifecycle events (enqueued, started,
// succeeded, retrying, failed, cancelled) carry the task id and func_path,
// never argument values. Any thread may call these.
void set_log_level(LogLevel level);
LogLevel log_level();
// Replaces the logger's sinks (e.g. with the application's own). An empty
// list silences omniq.
void set_log_sinks(std::vector<std::shared_ptr<spdlog::sinks::sink>> sinks);

}  // namespace omniq
