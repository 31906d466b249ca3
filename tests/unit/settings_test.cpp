#include "omniq/settings.hpp"

#include <gtest/gtest.h>

#include <map>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"

namespace omniq {
namespace {

using namespace std::chrono;

Settings from(std::map<std::string, std::string> env) {
  return Settings::from_env([env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

// Expects a ConfigError whose message names the variable and the value.
void expect_bad(const std::string& var, const std::string& value) {
  try {
    from({{var, value}});
    ADD_FAILURE() << var << "=" << value << " accepted";
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(var), std::string::npos) << msg;
    EXPECT_NE(msg.find(value.substr(0, 20)), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected"), std::string::npos) << msg;
  }
}

TEST(Settings, DefaultsWithNoEnvironment) {
  Settings s = from({});
  EXPECT_EQ(s.backend, Backend::sqlite);
  EXPECT_EQ(s.database_url, "./omniq.db");
  EXPECT_EQ(s.default_max_retries, 3);
  EXPECT_EQ(s.default_timeout, seconds(300));
  EXPECT_EQ(s.result_ttl, hours(24 * 7));
  EXPECT_EQ(s.serializer, "json");
  EXPECT_FALSE(s.log_level.has_value());  // the logger's own level (INFO) is left alone
  EXPECT_EQ(s.durability, Durability::full);
  EXPECT_EQ(sqlite_path(s), "./omniq.db");
}

TEST(Settings, ReadsEveryVariable) {
  Settings s = from({{"OMNIQ_BACKEND", "File"},
                     {"OMNIQ_DB_URL", "sqlite:///var/q.db"},
                     {"OMNIQ_BASE_DIR", "/tmp/q"},
                     {"OMNIQ_DEFAULT_TIMEOUT", "2.5"},
                     {"OMNIQ_DEFAULT_MAX_RETRIES", "0"},
                     {"OMNIQ_RESULT_TTL", "3600"},
                     {"OMNIQ_SERIALIZER", "msgspec"},
                     {"OMNIQ_LOG_LEVEL", "debug"},
                     {"OMNIQ_DURABILITY", "normal"},
                     {"OMNIQ_RETRY_BACKOFF_BASE", "250ms"},
                     {"OMNIQ_RETRY_BACKOFF_MAX", "1m"},
                     {"OMNIQ_MAX_TASK_BYTES", "4096"}});
  EXPECT_EQ(s.backend, Backend::file);
  EXPECT_EQ(sqlite_path(s), "var/q.db");
  EXPECT_EQ(s.base_dir, "/tmp/q");
  EXPECT_EQ(s.default_timeout, milliseconds(2500));
  EXPECT_EQ(s.default_max_retries, 0);
  EXPECT_EQ(s.result_ttl, hours(1));
  EXPECT_EQ(s.serializer, "msgspec");
  EXPECT_EQ(s.log_level, LogLevel::debug);
  EXPECT_EQ(s.durability, Durability::normal);
  EXPECT_EQ(s.retry_backoff_base, milliseconds(250));
  EXPECT_EQ(s.retry_backoff_max, minutes(1));
  EXPECT_EQ(s.max_task_bytes, 4096u);
}

TEST(Settings, ZeroTimeoutMeansNone) {
  EXPECT_FALSE(from({{"OMNIQ_DEFAULT_TIMEOUT", "0"}}).default_timeout.has_value());
}

TEST(Settings, AcceptsMemoryDatabaseAndLogLevelSpellings) {
  EXPECT_EQ(sqlite_path(from({{"OMNIQ_DB_URL", ":memory:"}})), ":memory:");
  EXPECT_EQ(sqlite_path(from({{"OMNIQ_DB_URL", "sqlite:///:memory:"}})), ":memory:");
  EXPECT_EQ(from({{"OMNIQ_LOG_LEVEL", "WARNING"}}).log_level, LogLevel::warning);
  EXPECT_EQ(from({{"OMNIQ_LOG_LEVEL", "Error"}}).log_level, LogLevel::error);
  EXPECT_EQ(from({{"OMNIQ_BACKEND", "memory"}}).backend, Backend::memory);
}

TEST(Settings, EveryBadValueNamesVariableValueAndWhatIsAccepted) {
  expect_bad("OMNIQ_BACKEND", "redis");
  expect_bad("OMNIQ_BACKEND", "");
  expect_bad("OMNIQ_DB_URL", "");
  expect_bad("OMNIQ_DB_URL", "postgresql://localhost/q");
  expect_bad("OMNIQ_BASE_DIR", "");
  expect_bad("OMNIQ_DEFAULT_TIMEOUT", "abc");
  expect_bad("OMNIQ_DEFAULT_TIMEOUT", "-3");
  expect_bad("OMNIQ_DEFAULT_MAX_RETRIES", "abc");
  expect_bad("OMNIQ_DEFAULT_MAX_RETRIES", "-3");
  expect_bad("OMNIQ_DEFAULT_MAX_RETRIES", "2.5");
  expect_bad("OMNIQ_DEFAULT_MAX_RETRIES", "99999999999");
  expect_bad("OMNIQ_RESULT_TTL", "abc");
  expect_bad("OMNIQ_RESULT_TTL", "0");
  expect_bad("OMNIQ_SERIALIZER", "cloudpickle");
  expect_bad("OMNIQ_SERIALIZER", "yaml");
  expect_bad("OMNIQ_LOG_LEVEL", "LOUD");
  expect_bad("OMNIQ_DURABILITY", "sometimes");
  expect_bad("OMNIQ_RETRY_BACKOFF_BASE", "0");
  expect_bad("OMNIQ_RETRY_BACKOFF_MAX", "forever");
  expect_bad("OMNIQ_MAX_TASK_BYTES", "0");
  expect_bad("OMNIQ_MAX_TASK_BYTES", "1MB");
}

TEST(Settings, CloudpickleMessageExplainsTheAlternative) {
  try {
    from({{"OMNIQ_SERIALIZER", "cloudpickle"}});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("Python"), std::string::npos) << e.what();
  }
}

TEST(Settings, ValidateCatchesInconsistentCodeSettings) {
  Settings s;
  s.retry_backoff_max = milliseconds(10);
  s.retry_backoff_base = seconds(1);
  EXPECT_THROW(s.validate(), ConfigError);
  s = Settings{};
  s.backend = Backend::file;
  s.base_dir.clear();
  EXPECT_THROW(s.validate(), ConfigError);
  s = Settings{};
  s.default_max_retries = -1;
  EXPECT_THROW(s.validate(), ConfigError);
  s = Settings{};
  s.database_url.clear();
  EXPECT_THROW(s.validate(), ConfigError);
  EXPECT_NO_THROW(Settings{}.validate());
}

TEST(Settings, ProcessEnvironmentIsRead) {
  ::setenv("OMNIQ_DEFAULT_MAX_RETRIES", "9", 1);
  Settings s = Settings::from_env();
  ::unsetenv("OMNIQ_DEFAULT_MAX_RETRIES");
  EXPECT_EQ(s.default_max_retries, 9);
}

}  // namespace
}  // namespace omniq
