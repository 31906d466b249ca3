#include "omniq/task.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <random>
#include <typeinfo>
#include <vector>

#include "base/cron.hpp"
#include "base/task_rules.hpp"
#include "omniq/settings.hpp"

namespace omniq {
namespace {

std::string demangle(const char* mangled) {
  int status = 0;
  char* out = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return mangled;
  std::string name(out);
  std::free(out);
  return name;
}

// Shows untrusted text in a message: printable ASCII kept, the rest escaped,
// cut after 80 characters.
std::string shown(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < 80; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (text.size() > 80) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

[[noreturn]] void invalid(const std::string& what) {
  throw ValidationError("invalid task: " + what);
}

// True when `text` is 1-64 characters of [A-Za-z0-9_-], or of [A-Za-z0-9_.-] with `dots`.
bool is_word(std::string_view text, bool dots) {
  if (text.empty() || text.size() > 64) return false;
  return std::ranges::all_of(text, [dots](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || (dots && c == '.');
  });
}

}  // namespace

TaskError TaskError::make(std::string type, std::string message, Timestamp when, bool retryable) {
  return TaskError{std::move(type), std::move(message), when, std::nullopt, 0, retryable};
}

TaskError TaskError::from_exception(std::exception_ptr e, Timestamp when, bool retryable) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return make(demangle(typeid(ex).name()), ex.what(), when, retryable);
  } catch (...) {
    return make("unknown exception", "a non-standard exception was thrown", when, retryable);
  }
}

std::string new_task_id(Timestamp now) {
  // UUIDv7: 48-bit Unix milliseconds, version, a 12-bit counter (so ids made in
  // one process are strictly increasing even within a millisecond), variant,
  // 62 random bits.
  static std::mutex mu;
  static std::uint64_t last_ms = 0;
  static std::uint64_t seq = 0;
  static std::mt19937_64 rng{std::random_device{}()};
  static pid_t owner = ::getpid();
  auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  std::uint64_t rand_b, counter;
  {
    std::lock_guard lock(mu);
    if (::getpid() != owner) {  // a forked child: its ids must not repeat its parent's
      owner = ::getpid();
      rng.seed(std::random_device{}());
    }
    if (ms > last_ms) {
      last_ms = ms;
      seq = 0;
    } else if (++seq > 0xfff) {
      ++last_ms;
      seq = 0;
    }
    ms = last_ms;
    counter = seq;
    rand_b = rng();
  }
  std::uint64_t hi = (ms << 16) | (0x7ULL << 12) | counter;
  std::uint64_t lo = (rand_b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool is_valid_id(std::string_view id) {
  return is_word(id, false);
}

void validate_id(std::string_view id) {
  if (!is_valid_id(id)) {
    throw ValidationError("invalid task id \"" + shown(id) +
                          "\": expected 1-64 characters of A-Z, a-z, 0-9, '-' or '_'");
  }
}

void validate_name(std::string_view name, std::string_view what) {
  if (!is_word(name, true)) {
    throw ValidationError("invalid " + std::string(what) + " name \"" + shown(name) +
                          "\": expected 1-64 characters of A-Z, a-z, 0-9, '-', '_' or '.'");
  }
}

void validate_task(const Task& task) {
  validate_id(task.id);
  validate_name(task.queue, "queue");
  if (task.func_path.empty()) invalid("func_path is empty; give the name of a registered handler");
  if (task.func_path.size() > 256) {
    invalid("func_path \"" + shown(task.func_path) + "\" is longer than 256 bytes");
  }
  for (char c : task.func_path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      invalid("func_path \"" + shown(task.func_path) + "\" contains a control character");
    }
  }
  if (task.max_retries < 0) {
    invalid("max_retries is " + std::to_string(task.max_retries) + "; expected 0 or more");
  }
  if (task.attempts < 0) invalid("attempts is " + std::to_string(task.attempts));
  if (task.schedule.interval && task.schedule.interval->count() <= 0) {
    invalid("interval is " + format_duration(*task.schedule.interval) + "; expected more than 0");
  }
  const Schedule& s = task.schedule;
  if (s.interval && s.cron) invalid("give interval or cron, not both");
  if (s.timezone && !s.cron) invalid("a time zone is only used with cron");
  if (s.timezone) validate_timezone(*s.timezone);
  if (s.cron) Cron::parse(*s.cron).next(task.created_at, s.timezone.value_or(""));  // fires at all
  if (task.unique_key) {
    if (task.unique_key->empty() || task.unique_key->size() > 256) {
      invalid("unique_key must be 1-256 bytes");
    }
    std::uint8_t live = (1u << static_cast<unsigned>(TaskStatus::PENDING)) |
                        (1u << static_cast<unsigned>(TaskStatus::RETRYING)) |
                        (1u << static_cast<unsigned>(TaskStatus::RUNNING));
    if ((task.unique_statuses & live) != live || task.unique_statuses >= (1u << 6)) {
      invalid("unique statuses must include PENDING, RETRYING and RUNNING");
    }
  }
  if (task.timeout && task.timeout->count() <= 0) {
    invalid("timeout is " + format_duration(*task.timeout) + "; expected more than 0, or none");
  }
  if (!task.args.is_array()) {
    invalid("args must be a JSON array, got " + std::string(task.args.type_name()));
  }
  if (!task.kwargs.is_object()) {
    invalid("kwargs must be a JSON object, got " + std::string(task.kwargs.type_name()));
  }
  if (nests_deeper_than(task.args, kMaxValueDepth) ||
      nests_deeper_than(task.kwargs, kMaxValueDepth)) {
    invalid("arguments nest deeper than " + std::to_string(kMaxValueDepth) + " levels");
  }
}

bool nests_deeper_than(const Value& v, int max_depth) {
  // Goes no deeper than max_depth calls, so a hostile value cannot overflow the stack.
  if (!v.is_structured()) return false;
  if (max_depth <= 0) return true;
  return std::any_of(v.begin(), v.end(),
                     [&](const Value& child) { return nests_deeper_than(child, max_depth - 1); });
}

Task make_task(std::string func_path, Value args, const TaskOptions& options,
               const Settings& settings, Timestamp now) {
  if (options.eta && options.delay) invalid("give eta or delay, not both");
  if (options.delay && options.delay->count() < 0) {
    invalid("delay is negative (" + std::to_string(options.delay->count()) + "us)");
  }
  // Checked before kwargs are copied below: copying a Value recurses per level.
  if (nests_deeper_than(options.kwargs, kMaxValueDepth)) {
    invalid("arguments nest deeper than " + std::to_string(kMaxValueDepth) + " levels");
  }
  Task t;
  t.id = new_task_id(now);
  t.func_path = std::move(func_path);
  t.args = args.is_null() ? Value::array() : std::move(args);
  t.kwargs = options.kwargs.is_null() ? Value::object() : options.kwargs;
  t.status = TaskStatus::PENDING;
  t.schedule.eta = options.delay ? std::optional<Timestamp>(now + *options.delay) : options.eta;
  t.schedule.interval = options.interval;
  t.schedule.cron = options.cron;
  t.schedule.timezone = options.timezone;
  if (options.cron && !options.interval && !t.schedule.eta) {
    if (options.timezone) validate_timezone(*options.timezone);
    t.schedule.eta = Cron::parse(*options.cron).next(now, options.timezone.value_or(""));
  }
  t.queue = options.queue;
  t.priority = options.priority;
  if (options.unique_key) {
    t.unique_key = *options.unique_key;
    if (options.unique_period) {
      if (options.unique_period->count() <= 0) invalid("unique_period must be more than 0");
      auto window = now.time_since_epoch().count() / options.unique_period->count();
      *t.unique_key += "@" + std::to_string(window);
    }
    for (TaskStatus st : options.unique_statuses) {
      t.unique_statuses |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(st));
    }
  }
  t.max_retries = options.max_retries.value_or(settings.default_max_retries);
  t.timeout = options.timeout ? options.timeout : settings.default_timeout;
  t.created_at = now;
  t.updated_at = now;
  validate_task(t);
  return t;
}

void transition(Task& task, TaskStatus to, Timestamp now) {
  check_transition(task.status, to);
  if (to == TaskStatus::RUNNING && task.status != TaskStatus::RUNNING) {
    ++task.attempts;
    task.last_attempt_at = now;
  }
  task.status = to;
  task.updated_at = now;
}

}  // namespace omniq
