// Fixture of the multi-process fault tests: a store of either persistent
// backend (file, SQLite) in a temporary directory, worker processes started
// on it, and the checks every test ends with (the SQLite integrity check, the
// file store's scan). This process and the workers open the store the same
// way, through make_storage with the Settings store_settings() gives.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/task_rules.hpp"
#include "omniq/omniq.hpp"
#include "reliability/process_util.hpp"
#include "support/backends.hpp"
#include "support/temp_dir.hpp"

namespace omniq::reliability {

namespace fs = std::filesystem;
using namespace std::chrono;

// Worker options the fault tests share: short leases so that a killed
// worker's tasks come back within seconds, and short backoffs so that they
// run again soon after (a lost attempt waits its backoff like a failure, and
// a task lost many times would otherwise wait minutes).
struct WorkerArgs {
  int concurrency = 4;
  int prefetch = 4;
  int lease_ms = 1500;
  int maintenance_ms = 250;
  int sleep_ms = 0;
  int backoff_base_ms = 50;
  int backoff_max_ms = 1000;
  std::string durability = "full";
};

// The backends the fault tests run on: the persistent ones that worker
// processes can open by name (file, sqlite), as far as they are built.
inline std::vector<std::string> fault_backends(std::vector<std::string> only = {"file", "sqlite"}) {
  std::vector<std::string> out;
  for (const testing::BackendFactory& b : testing::persistent_backends()) {
    if (std::find(only.begin(), only.end(), b.name) != only.end()) out.push_back(b.name);
  }
  return out;
}

// The settings that name a store of `backend` at `path` (a directory for
// the file store, a database file for SQLite).
inline Settings store_settings(const std::string& backend, const fs::path& path,
                               Durability durability = Durability::full) {
  Settings s;
  auto b = parse_backend(backend);
  if (!b) throw std::invalid_argument("unknown backend " + backend);
  s.backend = *b;
  s.base_dir = path.string();
  s.database_url = path.string();
  s.durability = durability;
  return s;
}

class FaultTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool file_backend() const { return GetParam() == "file"; }
  fs::path store_path() const { return dir_ / (file_backend() ? "store" : "q.db"); }
  fs::path side() const { return dir_ / "side.txt"; }

  // Opens the store in this process (for enqueueing and checking).
  std::shared_ptr<Storage> open_store(Durability durability = Durability::full) const {
    return make_storage(store_settings(GetParam(), store_path(), durability));
  }

  std::unique_ptr<Process> start_worker(const WorkerArgs& a, const std::string& extra = "") {
    std::vector<std::string> args{OMNIQ_RELIABILITY_WORKER,
                                  "--backend=" + GetParam(),
                                  "--store=" + store_path().string(),
                                  "--side=" + side().string(),
                                  "--concurrency=" + std::to_string(a.concurrency),
                                  "--prefetch=" + std::to_string(a.prefetch),
                                  "--lease-ms=" + std::to_string(a.lease_ms),
                                  "--maintenance-ms=" + std::to_string(a.maintenance_ms),
                                  "--sleep-ms=" + std::to_string(a.sleep_ms),
                                  "--backoff-base-ms=" + std::to_string(a.backoff_base_ms),
                                  "--backoff-max-ms=" + std::to_string(a.backoff_max_ms),
                                  "--durability=" + a.durability};
    if (!extra.empty()) args.push_back(extra);
    auto p = std::make_unique<Process>(args, log());
    started_.insert(p->pid());
    return p;
  }
  fs::path log() const { return dir_ / "workers.log"; }

  // n "rec" tasks with a retry budget no number of kills exhausts.
  static std::vector<Task> rec_tasks(int n, int first = 0) {
    Settings settings;
    TaskOptions o;
    o.max_retries = 1000000;
    std::vector<Task> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(
          make_task("rec", Value::array({first + i}), o, settings, system_clock()->now()));
    }
    return out;
  }

  // Every task SUCCESS with its id as result, nothing RUNNING or waiting.
  void expect_all_succeeded(Storage& store, const std::vector<std::string>& ids) {
    QueueStats s = store.stats();
    EXPECT_EQ(s.count(TaskStatus::SUCCESS), ids.size());
    EXPECT_EQ(s.count(TaskStatus::RUNNING), 0u);
    EXPECT_EQ(s.count(TaskStatus::PENDING) + s.count(TaskStatus::RETRYING), 0u);
    EXPECT_EQ(s.total(), ids.size());
    std::size_t bad = 0;
    for (const std::string& id : ids) {
      auto r = store.get_result(id);
      if (!r || r->status != TaskStatus::SUCCESS || r->result != Value(id) || r->attempts < 1) {
        if (++bad <= 10) ADD_FAILURE() << "task " << id << " has no proper result";
      }
    }
    EXPECT_EQ(bad, 0u);
  }

  // The store is sound: SQLite's integrity check, or for the file store no
  // corrupt file, only .done task files (each holding its result), and no
  // temp file but those of killed workers (never read; removed by an open
  // once a day old).
  void expect_store_sound(std::size_t tasks) {
    if (!file_backend()) {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open_v2(store_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
                SQLITE_OK);
      sqlite3_stmt* st = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
      ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
      EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
      sqlite3_finalize(st);
      sqlite3_close(db);
      return;
    }
    fs::path base = store_path();
    EXPECT_TRUE(fs::is_empty(base / "corrupt")) << "files were quarantined";
    std::size_t done = 0, other = 0;
    for (const auto& e : fs::directory_iterator(base / "queue")) {
      (e.path().extension() == ".done" ? done : other) += 1;
      if (e.path().extension() != ".done" && other <= 10) ADD_FAILURE() << e.path();
    }
    EXPECT_EQ(done, tasks);
    EXPECT_EQ(other, 0u);
    std::size_t temps = 0;
    for (const auto& e : fs::directory_iterator(base / "tmp")) {
      ++temps;
      pid_t pid = std::atoi(e.path().filename().c_str());
      EXPECT_EQ(started_.count(pid), 1u) << e.path() << " is not a worker's";
    }
    std::printf("[ file store ] %zu temp file(s) of killed writers\n", temps);
  }

  testing::TempDir dir_;
  std::set<pid_t> started_;  // every worker process this test started
};

inline std::string backend_param_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace omniq::reliability
