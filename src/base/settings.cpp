#include "omniq/settings.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "base/serializer.hpp"
#include "base/task_rules.hpp"
#include "omniq/error.hpp"

namespace omniq {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) {
    out += (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) ? c : '?';
  }
  return text.size() > 64 ? out + "..." : out;
}

[[noreturn]] void bad_var(std::string_view name, std::string_view value,
                          std::string_view accepted) {
  throw ConfigError(std::string(name) + "=\"" + shown(value) + "\" is not valid: expected " +
                    std::string(accepted));
}

// A whole non-negative decimal integer no larger than max.
std::optional<long long> parse_count(std::string_view text, long long max) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  long long v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

Duration env_duration(std::string_view name, std::string_view value) {
  try {
    return parse_duration(value);
  } catch (const ConfigError&) {
    bad_var(name, value, "a duration such as 500ms, 10s, 5m, 2h, 7d or 30 (seconds)");
  }
}

// Each enum's names: the canonical one (what to_string writes) first, then aliases.
template <class E>
using Name = std::pair<E, std::string_view>;

constexpr Name<Backend> kBackends[] = {{Backend::sqlite, "sqlite"},
                                       {Backend::file, "file"},
                                       {Backend::memory, "memory"},
                                       {Backend::postgres, "postgres"},
                                       {Backend::postgres, "postgresql"}};
constexpr Name<Compat> kCompats[] = {{Compat::none, "none"}, {Compat::original, "original"}};
constexpr Name<Durability> kDurabilities[] = {
    {Durability::full, "full"}, {Durability::normal, "normal"}, {Durability::off, "off"}};
constexpr Name<LogLevel> kLogLevels[] = {{LogLevel::debug, "DEBUG"},
                                         {LogLevel::info, "INFO"},
                                         {LogLevel::warning, "WARNING"},
                                         {LogLevel::warning, "WARN"},
                                         {LogLevel::error, "ERROR"}};

template <class E, std::size_t N>
std::string_view name_of(E value, const Name<E> (&names)[N]) {
  for (const auto& [v, n] : names) {
    if (v == value) return n;
  }
  return "?";
}

// The value `text` names in any case, or nullopt.
template <class E, std::size_t N>
std::optional<E> parse_name(std::string_view text, const Name<E> (&names)[N]) {
  auto t = lower(text);
  for (const auto& [v, n] : names) {
    if (lower(n) == t) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Backend b) {
  return name_of(b, kBackends);
}
std::string_view to_string(Durability d) {
  return name_of(d, kDurabilities);
}

std::optional<Backend> parse_backend(std::string_view text) {
  return parse_name(text, kBackends);
}

std::optional<Durability> parse_durability(std::string_view text) {
  return parse_name(text, kDurabilities);
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  return parse_name(text, kLogLevels);
}

std::optional<Compat> parse_compat(std::string_view text) {
  return parse_name(text, kCompats);
}

Settings Settings::from_env() {
  return from_env([](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  });
}

Settings Settings::from_env(const EnvLookup& lookup) {
  Settings s;
  auto read = [&](std::string_view name, auto&& apply) {
    if (auto value = lookup(name)) apply(name, std::string_view(*value));
  };
  // An enum-valued variable: parse, or say what `accepted` names.
  auto read_enum = [&](std::string_view name, auto parse, auto& field, std::string_view accepted) {
    read(name, [&](auto, auto value) {
      auto parsed = parse(value);
      if (!parsed) bad_var(name, value, accepted);
      field = *parsed;
    });
  };
  // A duration that must be greater than 0.
  auto read_positive = [&](std::string_view name, Duration& field) {
    read(name, [&](auto, auto value) {
      field = env_duration(name, value);
      if (field.count() <= 0) bad_var(name, value, "a duration greater than 0");
    });
  };
  read_enum("OMNIQ_BACKEND", parse_backend, s.backend, "sqlite, file, memory or postgres");
  read("OMNIQ_DB_URL", [&](auto name, auto value) {
    bool postgres = value.starts_with("postgresql://") || value.starts_with("postgres://");
    bool foreign = value.find("://") != std::string_view::npos &&
                   !value.starts_with("sqlite:///") && !postgres;
    if (value.empty() || foreign) {
      bad_var(name, value, "a path, sqlite:///path, :memory: or postgresql://...");
    }
    s.database_url = value;
  });
  read("OMNIQ_BASE_DIR", [&](auto name, auto value) {
    if (value.empty()) bad_var(name, value, "a directory path");
    s.base_dir = value;
  });
  read("OMNIQ_DEFAULT_TIMEOUT", [&](auto name, auto value) {
    Duration d = env_duration(name, value);
    s.default_timeout = d.count() == 0 ? std::nullopt : std::optional<Duration>(d);
  });
  read("OMNIQ_DEFAULT_MAX_RETRIES", [&](auto name, auto value) {
    auto n = parse_count(value, 1'000'000);
    if (!n) bad_var(name, value, "a whole number from 0 to 1000000");
    s.default_max_retries = static_cast<int>(*n);
  });
  read_positive("OMNIQ_RESULT_TTL", s.result_ttl);
  read("OMNIQ_SERIALIZER", [&](auto name, auto value) {
    try {
      make_serializer(value);
    } catch (const ConfigError& e) {
      bad_var(name, value, std::string("json, msgspec or msgpack (") + e.what() + ")");
    }
    s.serializer = lower(value);
  });
  read_enum("OMNIQ_LOG_LEVEL", parse_log_level, s.log_level, "DEBUG, INFO, WARNING or ERROR");
  read_enum("OMNIQ_DURABILITY", parse_durability, s.durability, "full, normal or off");
  read_positive("OMNIQ_RETRY_BACKOFF_BASE", s.retry_backoff_base);
  read_positive("OMNIQ_RETRY_BACKOFF_MAX", s.retry_backoff_max);
  read_enum("OMNIQ_COMPAT", parse_compat, s.compat, "none or original");
  read("OMNIQ_MAX_TASK_BYTES", [&](auto name, auto value) {
    auto n = parse_count(value, 1LL << 34);
    if (!n || *n == 0) bad_var(name, value, "a whole number of bytes from 1 to 17179869184");
    s.max_task_bytes = static_cast<std::size_t>(*n);
  });
  if (s.backend == Backend::sqlite && is_postgres_url(s)) {
    bad_var("OMNIQ_DB_URL", s.database_url,
            "a path, sqlite:///path or :memory: for the sqlite backend (a postgresql:// URL "
            "needs OMNIQ_BACKEND=postgres)");
  }
  s.validate();
  return s;
}

void Settings::validate() const {
  if (backend == Backend::sqlite) sqlite_path(*this);  // throws for an unusable URL
  if (backend == Backend::postgres && !is_postgres_url(*this)) {
    throw ConfigError("database_url \"" + shown(database_url) +
                      "\" is not a PostgreSQL URL: the postgres backend needs "
                      "postgresql://user@host:port/db (OMNIQ_DB_URL)");
  }
  if (backend == Backend::file && base_dir.empty()) {
    throw ConfigError("base_dir is empty: the file backend needs a directory (OMNIQ_BASE_DIR)");
  }
  if (default_timeout && default_timeout->count() <= 0) {
    throw ConfigError("default_timeout must be greater than 0 (or unset for no timeout)");
  }
  if (default_max_retries < 0) {
    throw ConfigError("default_max_retries is " + std::to_string(default_max_retries) +
                      ": expected 0 or more");
  }
  if (result_ttl.count() <= 0) throw ConfigError("result_ttl must be greater than 0");
  make_serializer(serializer);
  if (retry_backoff_base.count() <= 0)
    throw ConfigError("retry_backoff_base must be greater than 0");
  if (retry_backoff_max < retry_backoff_base) {
    throw ConfigError("retry_backoff_max (" + format_duration(retry_backoff_max) +
                      ") must not be less than retry_backoff_base (" +
                      format_duration(retry_backoff_base) + ")");
  }
  if (max_task_bytes == 0) throw ConfigError("max_task_bytes must be greater than 0");
}

bool is_postgres_url(const Settings& s) {
  return s.database_url.starts_with("postgresql://") || s.database_url.starts_with("postgres://");
}

std::string sqlite_path(const Settings& s) {
  std::string_view url = s.database_url;
  if (url.starts_with("sqlite:///")) {
    url.remove_prefix(10);
  } else if (url.find("://") != std::string_view::npos) {
    throw ConfigError("s.database_url \"" + shown(s.database_url) +
                      "\" is not supported: expected a path, sqlite:///path or :memory:");
  }
  if (url.empty()) {
    throw ConfigError("s.database_url is empty: expected a path, sqlite:///path or :memory:");
  }
  if (url.find('\0') != std::string_view::npos) {
    throw ConfigError("s.database_url contains a NUL character");
  }
  return std::string(url);
}

}  // namespace omniq
