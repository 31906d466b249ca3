// Seams of the file store for its tests. Internal to the library: not part of
// the public headers, and unused unless a test sets them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace omniq::file_store_hooks {

// Called when a claim has written its claim frame into <id>.task, right
// before the rename to <id>.running that makes the claim (a test kills the
// process here, or after the rename: after_claim_rename).
inline void (*before_claim_rename)(const std::string& id) = nullptr;
inline void (*after_claim_rename)(const std::string& id) = nullptr;

// Called when an outcome (or any change that moves the file on) has been
// written into <id>.running, before the file is renamed to .task or .done.
inline void (*before_move_on)(const std::string& id) = nullptr;

// Replaces the boot id (a test pretends the machine rebooted).
inline std::string (*boot_id)() = nullptr;

// Full listings of a queue/ directory to rebuild a due index, by any file
// store in this process.
inline std::atomic<std::uint64_t> queue_scans{0};

}  // namespace omniq::file_store_hooks
