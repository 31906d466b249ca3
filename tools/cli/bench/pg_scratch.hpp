// Scratch schemas for `omniq bench --backend postgres`: store `name` of this
// run lives in schema bench_<pid>_<name> of the database the URL names (any
// schema=NAME in the URL is left out: the bench never writes to a schema of
// yours), and the run drops its schemas at its end unless told to keep them.
// Also the server's commit rate, the bound under any durable enqueue.
// Internal to the bench command.
#pragma once

#include <cstddef>
#include <string>

namespace omniq::cli::bench {

// bench_<pid>_<name>, with anything but a-z, 0-9 and _ in `name` as _.
std::string pg_scratch_schema(const std::string& name);

// The URL of store `name`: `url` (a postgresql:// URL) less its schema
// parameter, plus ?schema=pg_scratch_schema(name).
std::string pg_scratch_url(const std::string& url, const std::string& name);

// `url` less its schema parameter, for a connection of the bench's own.
std::string pg_base_url(const std::string& url);

// Drops schema pg_scratch_schema(name), or with an empty name every
// bench_<pid>_* schema of this process. A failure is printed, not thrown
// (the figures are already measured).
void drop_pg_scratch(const std::string& url, const std::string& name);

// Commits `n` single-row INSERTs, each its own transaction, with
// synchronous_commit on, into a table of schema pg_scratch_schema("probe")
// (dropped afterwards). Returns commits per second. Throws
// std::runtime_error when the server fails.
double pg_commit_rate(const std::string& url, std::size_t n);

}  // namespace omniq::cli::bench
