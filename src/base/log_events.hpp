// The "omniq" logger and its lines for task lifecycle events. Internal to
// the library (its tests use it too).
#pragma once

#include <memory>
#include <string_view>

#include "omniq/task.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace omniq {

// The "omniq" logger (created on first use, writing to stderr).
std::shared_ptr<spdlog::logger> logger();

}  // namespace omniq

namespace omniq::log_events {

void enqueued(std::string_view id, std::string_view func_path);
void started(const Task& t);
void succeeded(const Task& t);
void retrying(const Task& t, const TaskError& e, Timestamp eta);
void failed(const Task& t, const TaskError& e);
void cancelled(std::string_view id);

}  // namespace omniq::log_events
