// The helpers behind the public models: task ids and names, the checks on
// tasks and their creation, status changes, the text forms of durations and
// instants, and the names of the settings' enums. Internal to the library
// (its tests and tools use them too).
//
// Thread-safety: any of them may be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "omniq/settings.hpp"
#include "omniq/task.hpp"

namespace omniq {

// Deepest nesting of arrays/objects accepted in decoded bytes.
inline constexpr int kMaxDepth = 256;
// Deepest nesting accepted in arguments and results: a stored record holds
// them one level down.
inline constexpr int kMaxValueDepth = kMaxDepth - 1;

// True when `v` nests arrays/objects deeper than max_depth (recursing at most that deep).
bool nests_deeper_than(const Value& v, int max_depth);

// Returns a new time-ordered UUIDv7 (RFC 9562) for an instant, as lower-case text.
std::string new_task_id(Timestamp now);

// True when `id` is 1-64 characters of [A-Za-z0-9_-].
bool is_valid_id(std::string_view id);

// Throws ValidationError (showing the id, escaped and cut short) unless is_valid_id(id).
// Every id that comes from outside passes through here before it reaches a path or query.
void validate_id(std::string_view id);

// Throws ValidationError unless `name` is 1-64 characters of [A-Za-z0-9_.-]
// (a queue name; `what` says which for the message).
void validate_name(std::string_view name, std::string_view what);

// Creates a PENDING task with a new id, created/updated = now, defaults from
// settings; a cron task's eta is its first fire time after now. Throws
// ValidationError for what validate_task rejects, and for eta with delay, a
// negative delay or a non-positive unique_period.
Task make_task(std::string func_path, Value args, const TaskOptions& options,
               const Settings& settings, Timestamp now);

// Throws ValidationError on: invalid id or queue name, empty, over-long or
// control-character func_path, negative max_retries or attempts, non-positive
// interval or timeout, interval with cron, a time zone without cron, a bad
// cron expression or time zone, an empty or over-long unique_key, unique
// statuses without PENDING, RETRYING and RUNNING, args not an array, kwargs
// not an object, arguments nested deeper than kMaxValueDepth.
void validate_task(const Task& task);

// Moves `task` to `to` at time `now`: updates updated_at; on ->RUNNING also
// increments attempts and sets last_attempt_at. Same-status moves only update
// updated_at. Throws InvalidTransitionError naming both states otherwise.
void transition(Task& task, TaskStatus to, Timestamp now);

// Returns the status named `text` (exact upper-case wire name), or nullopt.
std::optional<TaskStatus> parse_status(std::string_view text);

// True when the table in omniq/task.hpp allows from -> to (same status included).
bool can_transition(TaskStatus from, TaskStatus to);

// Throws InvalidTransitionError naming both states unless can_transition(from, to).
void check_transition(TaskStatus from, TaskStatus to);

// Parses the forms format_time writes, plus "Z" / "+00:00" / other offsets,
// no offset at all (a naive time, read as UTC), a space for the "T", and no
// fraction or 1-9 fraction digits (those after the sixth are dropped).
// Throws SerializationError naming the text otherwise.
Timestamp parse_time(std::string_view text);

// Durations on the command line and in the environment: parses "500ms",
// "10s", "5m", "2h", "7d", "250us", "1.5s" or "30" (seconds). Throws
// ConfigError naming the text and the accepted forms. Negative values, and
// values over about 100 years, are refused.
Duration parse_duration(std::string_view text);

// Formats a duration in the largest unit that divides it ("1500ms", "90s", "2h").
std::string format_duration(Duration d);

// Seconds as a double, and back (rounded to the microsecond).
double to_seconds(Duration d);
Duration from_seconds(double seconds);

// The names the OMNIQ_* variables use: "sqlite", "full"...
std::string_view to_string(Backend b);
std::string_view to_string(Durability d);
// Case-insensitive parsers; nullopt when the text names nothing.
std::optional<Backend> parse_backend(std::string_view text);  // also "postgresql"
std::optional<Durability> parse_durability(std::string_view text);
std::optional<LogLevel> parse_log_level(std::string_view text);  // DEBUG, INFO, WARNING/WARN, ERROR
std::optional<Compat> parse_compat(std::string_view text);

// The SQLite path that settings.database_url names (":memory:" for an
// in-memory DB). Throws ConfigError for a URL that names none.
std::string sqlite_path(const Settings& settings);
// True when settings.database_url is a postgresql:// or postgres:// URL.
bool is_postgres_url(const Settings& settings);

}  // namespace omniq
