// Errors raised by omniq.
//
// Every failure omniq reports is an exception derived from omniq::Error, and
// every message says what was wrong, with the offending value, and what would
// have been accepted. Expected absence is std::optional (an unknown task's
// result is nullopt), never an exception. A handler's own exception never
// escapes a worker: it is recorded as a TaskError on the task.
#pragma once

#include <stdexcept>
#include <string>

namespace omniq {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A setting, option or environment variable has a value omniq cannot use.
struct ConfigError : Error {
  using Error::Error;
};

// A task, id or argument that comes from outside is not acceptable (empty
// func_path, malformed id, encoded task larger than the configured maximum...).
struct ValidationError : Error {
  using Error::Error;
};

// Bytes could not be encoded or decoded (truncated, wrong types, too deep).
struct SerializationError : Error {
  using Error::Error;
};

// The store failed: I/O error, full disk, corrupt database, foreign schema.
struct StorageError : Error {
  using Error::Error;
};

// No task with the given id exists in the store.
struct NotFoundError : Error {
  using Error::Error;
};

// A status change that the transition table does not allow (names both states).
struct InvalidTransitionError : Error {
  using Error::Error;
};

// A wait (get_result with a timeout, a blocking call) ran out of time.
struct TimeoutError : Error {
  using Error::Error;
};

}  // namespace omniq
