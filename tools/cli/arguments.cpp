#include "arguments.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"

namespace omniq::cli {

namespace {

std::string shown(std::string_view text) {
  constexpr std::size_t kMax = 80;
  std::string out = "\"";
  out += text.substr(0, kMax);
  if (text.size() > kMax) out += "...";
  return out + "\"";
}

}  // namespace

Duration parse_duration_arg(std::string_view option, std::string_view text) {
  try {
    return parse_duration(text);
  } catch (const ConfigError& e) {
    throw UsageError(std::string(option) + ": " + e.what());
  }
}

Timestamp parse_time_arg(std::string_view option, std::string_view text) {
  try {
    return parse_time(text);
  } catch (const Error&) {
    throw UsageError(std::string(option) + " " + shown(text) +
                     ": expected an ISO-8601 instant such as 2030-01-02T03:04:05Z, "
                     "2030-01-02T03:04:05.250+00:00 or 2030-01-02T05:04:05+02:00");
  }
}

Value parse_json_arg(std::string_view what, std::string_view text) {
  try {
    return Value::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string detail = e.what();
    if (auto colon = detail.find("syntax error"); colon != std::string::npos) {
      detail = detail.substr(colon);
    }
    throw UsageError(std::string(what) + " " + shown(text) + " is not valid JSON (" + detail +
                     "); quote it for the shell, e.g. '[1, \"two\"]' or '{\"key\": 3}'");
  }
}

const std::string& checked_id(const std::string& id) {
  if (!is_valid_id(id)) {
    throw UsageError("invalid task id " + shown(id) +
                     ": expected 1-64 characters of A-Z a-z 0-9 _ - (as printed by omniq "
                     "enqueue)");
  }
  return id;
}

TaskStatus parse_status_arg(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (auto s = parse_status(upper)) return *s;
  throw UsageError("--status " + shown(text) +
                   ": expected one of pending, running, success, failed, retrying, cancelled");
}

int parse_int_arg(std::string_view option, std::string_view text, int min, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError(std::string(option) + " " + shown(text) + ": expected an integer from " +
                     std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

std::unique_ptr<Queue> open_queue(const Settings& settings) {
  auto storage = make_storage(settings);
  return std::make_unique<Queue>(Queue{storage, OmniQ(storage, settings)});
}

std::string describe_store(const Settings& settings) {
  switch (settings.backend) {
    case Backend::sqlite:
      return "sqlite " + sqlite_path(settings);
    case Backend::file:
      return "file " + settings.base_dir;
    case Backend::postgres: {
      // Never print a password: postgresql://user:secret@host -> postgresql://user@host
      std::string url = settings.database_url;
      auto scheme = url.find("://");
      auto at = url.find('@');
      auto colon = url.find(':', scheme + 3);
      if (at != std::string::npos && colon < at) url.erase(colon, at - colon);
      return "postgres " + url;
    }
    case Backend::memory:
      break;
  }
  return "memory (this process only)";
}

void throw_no_task(const std::string& id, const Settings& settings) {
  throw NotFoundError("no task with id " + id + " in " + describe_store(settings));
}

}  // namespace omniq::cli
