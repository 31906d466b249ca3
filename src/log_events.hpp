// Log lines for task lifecycle events. Internal to the library.
#pragma once

#include <string_view>

#include "omniq/task.hpp"

namespace omniq::log_events {

void enqueued(std::string_view id, std::string_view func_path);
void started(const Task& t);
void succeeded(const Task& t);
void retrying(const Task& t, const TaskError& e, Timestamp eta);
void failed(const Task& t, const TaskError& e);
void cancelled(std::string_view id);

}  // namespace omniq::log_events
