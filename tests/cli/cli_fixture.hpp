// A fixture for CLI tests: a temporary directory, a store in it, and helpers
// that run `omniq` against that store.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/cli_process.hpp"
#include "support/temp_dir.hpp"

namespace omniq::testing {

// The global options that point omniq at a store kept under `dir`.
inline std::vector<std::string> store_flags(const std::string& backend,
                                            const std::filesystem::path& dir) {
  if (backend == "sqlite") return {"--backend", "sqlite", "--db", (dir / "queue.db").string()};
  if (backend == "file") return {"--backend", "file", "--base-dir", (dir / "store").string()};
  return {"--backend", "memory"};
}

class CliTest : public ::testing::Test {
 protected:
  // `omniq <store flags> ARGS...`, run in the temporary directory.
  CliResult omniq(std::vector<std::string> args) {
    std::vector<std::string> all = store_flags(backend_, dir_.path());
    all.insert(all.end(), args.begin(), args.end());
    return run_omniq(all, dir_.path());
  }
  // `omniq --json ... ARGS...`, expected to succeed; its stdout parsed.
  nlohmann::json omniq_json(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    CliResult r = omniq(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.json();
  }
  // Enqueues and returns the id.
  std::string enqueue(std::vector<std::string> args) {
    args.insert(args.begin(), "enqueue");
    nlohmann::json j = omniq_json(args);
    return j.is_object() && j.contains("id") ? j["id"].get<std::string>() : std::string();
  }
  std::string status_of(const std::string& id) {
    CliResult r = omniq({"--json", "status", id});
    if (r.exit_code != 0) return "?";
    return r.json().value("status", "?");
  }
  // A worker in the background on this store.
  std::unique_ptr<CliProcess> start_worker(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = store_flags(backend_, dir_.path());
    args.push_back("worker");
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<CliProcess>(args, dir_.path(), "worker" + std::to_string(++workers_));
  }

  TempDir dir_;
  std::string backend_ = "sqlite";
  int workers_ = 0;
};

}  // namespace omniq::testing
