#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "base/log_events.hpp"
#include "omniq/settings.hpp"

namespace omniq {
namespace {

// Each LogLevel and the spdlog level it stands for, least severe first.
constexpr std::pair<LogLevel, spdlog::level::level_enum> kLevels[] = {
    {LogLevel::debug, spdlog::level::debug},
    {LogLevel::info, spdlog::level::info},
    {LogLevel::warning, spdlog::level::warn},
    {LogLevel::error, spdlog::level::err}};

struct LoggerState {
  // The logger writes to one distributing sink; set_log_sinks swaps what it
  // distributes to, under the sink's own lock, so it is safe while logging.
  std::shared_ptr<spdlog::sinks::dist_sink_mt> dist =
      std::make_shared<spdlog::sinks::dist_sink_mt>();
  std::shared_ptr<spdlog::logger> logger;

  LoggerState() {
    dist->add_sink(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger = std::make_shared<spdlog::logger>("omniq", dist);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ omniq: %v", spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::level::info);
    logger->flush_on(spdlog::level::warn);
  }
};

LoggerState& state() {
  static LoggerState s;
  return s;
}

}  // namespace

std::shared_ptr<spdlog::logger> logger() {
  return state().logger;
}

void set_log_level(LogLevel level) {
  auto chosen = spdlog::level::info;  // for a value outside the enum
  for (const auto& [ours, theirs] : kLevels) {
    if (ours == level) chosen = theirs;
  }
  state().logger->set_level(chosen);
}

// The most severe LogLevel the logger's level reaches (trace reads as debug).
LogLevel log_level() {
  auto current = state().logger->level();
  LogLevel level = LogLevel::debug;
  for (const auto& [ours, theirs] : kLevels) {
    if (current >= theirs) level = ours;
  }
  return level;
}

void set_log_sinks(std::vector<std::shared_ptr<spdlog::sinks::sink>> sinks) {
  state().dist->set_sinks(std::move(sinks));
}

namespace log_events {

// Each event names the task and its handler, never its arguments or result.
void enqueued(std::string_view id, std::string_view func_path) {
  logger()->debug("enqueued task {} ({})", id, func_path);
}
void started(const Task& t) {
  logger()->debug("started task {} ({}) attempt {}", t.id, t.func_path, t.attempts);
}
void succeeded(const Task& t) {
  logger()->debug("task {} ({}) succeeded on attempt {}", t.id, t.func_path, t.attempts);
}
void retrying(const Task& t, const TaskError& e, Timestamp eta) {
  logger()->info("task {} ({}) attempt {} failed with {}; retrying at {}", t.id, t.func_path,
                 t.attempts, e.error_type, format_time(eta));
}
void failed(const Task& t, const TaskError& e) {
  // The message may quote the arguments: it is in the stored TaskError, not the log.
  logger()->warn("task {} ({}) failed after {} attempt(s): {}", t.id, t.func_path, t.attempts,
                 e.error_type);
}
void cancelled(std::string_view id) {
  logger()->info("task {} cancelled", id);
}

}  // namespace log_events
}  // namespace omniq
