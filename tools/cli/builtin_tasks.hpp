// The tasks every `omniq worker` can run without a plugin.
//
//   echo  ARGS...              returns its positional arguments (a JSON array)
//   sleep [SECONDS]            sleeps (default 1s), stopping early when told to;
//                              returns the seconds slept
//   fail  [MESSAGE [COUNT]]    fails with MESSAGE; with COUNT, fails attempts
//                              1..COUNT and succeeds on the next one, returning
//                              {"attempt": N}; kwargs {"permanent": true} fails
//                              without retries (PermanentError)
//   shell ARGV...              runs a program without a shell (see shell_task.hpp)
#pragma once

#include "omniq/registry.hpp"

namespace omniq::cli {

// Adds echo, sleep, fail and shell to the registry.
void register_builtin_tasks(Registry& registry);

// The shell task's handler (in shell_task.cpp).
Value run_shell_task(TaskContext& ctx);

}  // namespace omniq::cli
