// Fuzz target: Settings::from_env with fuzzed values for every OMNIQ_*
// variable. It either returns settings that validate() accepts, or throws
// ConfigError; nothing else may escape, and a SQLite backend's path is usable.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"
#include "omniq/settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const char* const kVariables[] = {"OMNIQ_BACKEND",
                                           "OMNIQ_DB_URL",
                                           "OMNIQ_BASE_DIR",
                                           "OMNIQ_DEFAULT_TIMEOUT",
                                           "OMNIQ_DEFAULT_MAX_RETRIES",
                                           "OMNIQ_RESULT_TTL",
                                           "OMNIQ_SERIALIZER",
                                           "OMNIQ_LOG_LEVEL",
                                           "OMNIQ_DURABILITY",
                                           "OMNIQ_RETRY_BACKOFF_BASE",
                                           "OMNIQ_RETRY_BACKOFF_MAX",
                                           "OMNIQ_MAX_TASK_BYTES"};
  FuzzedDataProvider in(data, size);
  std::map<std::string, std::string, std::less<>> env;
  for (const char* name : kVariables) {
    if (in.ConsumeBool()) env[name] = in.ConsumeRandomLengthString(64);
  }
  auto lookup = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  omniq::Settings s;
  try {
    s = omniq::Settings::from_env(lookup);
  } catch (const omniq::ConfigError&) {
    return 0;
  }
  s.validate();  // from_env validated: this must not throw now
  // The SQLite URL is checked only when SQLite is the backend.
  if (s.backend == omniq::Backend::sqlite) (void)omniq::sqlite_path(s);
  return 0;
}
