// Seams of the file store for its tests. Internal to the library: not part of
// the public headers, and unused unless a test sets them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace omniq::file_store_hooks {

// Called right after a claim renamed <id>.task to <id>.running, before the
// claimer locks and rewrites it (a test kills the process here).
inline void (*after_claim_rename)(const std::string& id) = nullptr;

// Full listings of a queue/ directory to rebuild a due index, by any file
// store in this process.
inline std::atomic<std::uint64_t> queue_scans{0};

}  // namespace omniq::file_store_hooks
