// Plugins: shared libraries that add handlers to a worker's registry.
//
// A plugin exports
//     extern "C" void omniq_register(omniq::Registry& registry);
// and is built against the same omniq headers as the `omniq` binary, without
// linking the omniq library itself: its omniq symbols resolve to the ones the
// binary exports. A loaded plugin is never unloaded (its handlers may run
// until the process ends).
#pragma once

#include <string>
#include <vector>

#include "omniq/registry.hpp"

namespace omniq::cli {

// The symbol a plugin exports.
inline constexpr const char* kPluginEntryPoint = "omniq_register";

// Loads the plugin at `path` (dlopen RTLD_NOW) and calls its omniq_register.
// Returns the names it registered. Throws UsageError when the file cannot be
// loaded or lacks the entry point (naming the path and dlerror()), and
// CommandFailed when omniq_register throws.
std::vector<std::string> load_plugin(const std::string& path, Registry& registry);

}  // namespace omniq::cli
