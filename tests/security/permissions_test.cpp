// Permissions after real traffic, under the most permissive umask: a worker
// that claims, renews leases, retries, cancels and completes leaves every
// directory and file a persistent store made private (directories 0700,
// files 0600): the file store's tree, the SQLite database with its -wal and
// -shm files. (Creation at open under several umasks is covered by
// tests/storage/file_layout_test.cpp and sqlite_schema_test.cpp.)
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "security/security_fixture.hpp"

namespace omniq::testing {
namespace {

class UmaskZero {
 public:
  UmaskZero() : old_(::umask(0)) {}
  ~UmaskZero() { ::umask(old_); }
  UmaskZero(const UmaskZero&) = delete;
  UmaskZero& operator=(const UmaskZero&) = delete;

 private:
  mode_t old_;
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

// Runs enough traffic to create every kind of file the store writes.
void traffic(OmniQ& oq) {
  Registry registry;
  std::atomic<int> calls{0};
  registry.add("job", [](int x) { return x; });
  registry.add("flaky", [&calls]() -> int {
    if (++calls == 1) throw std::runtime_error("once");
    return 1;
  });
  registry.add("slow", [] { std::this_thread::sleep_for(milliseconds(700)); });
  WorkerOptions o;
  o.poll_interval = milliseconds(5);
  o.lease = milliseconds(600);  // renewed every 200 ms while "slow" runs
  WorkerPool pool = oq.worker(registry, o);
  pool.start();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(oq.enqueue("job", Value::array({i})));
  TaskOptions retry;
  retry.max_retries = 2;
  ids.push_back(oq.enqueue("flaky", Value::array(), retry));
  ids.push_back(oq.enqueue("slow"));
  TaskOptions later;
  later.delay = hours(1);
  oq.cancel(oq.enqueue("job", Value::array({9}), later));
  for (const auto& id : ids) {
    auto r = oq.get_result(id, {.wait = true, .timeout = seconds(30)});
    ASSERT_TRUE(r.has_value()) << id;
    EXPECT_EQ(r->status, TaskStatus::SUCCESS) << id;
  }
  pool.stop();
}

class Permissions : public ::testing::TestWithParam<BackendFactory> {};

TEST_P(Permissions, StoreFilesArePrivateAfterAWorkerRunUnderUmaskZero) {
  UmaskZero guard;
  TempDir dir;  // created 0700; everything under it is the store's
  Settings s;
  s.log_level = LogLevel::error;
  s.retry_backoff_base = milliseconds(10);
  OmniQ oq(GetParam().open(dir.path()), s);  // kept open: SQLite's -wal and -shm exist
  traffic(oq);
  std::size_t files = 0, task_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    if (e.is_directory()) {
      EXPECT_EQ(mode_of(e.path()), 0700u) << e.path();
      continue;
    }
    ++files;
    std::string in = e.path().parent_path().filename().string();
    task_files += in == "queue";
    EXPECT_EQ(mode_of(e.path()), 0600u) << e.path();
  }
  EXPECT_GE(files, 1u) << "the store wrote nothing under " << dir.path();
  if (GetParam().name == "file") {
    EXPECT_EQ(task_files, 8u);  // each holding its result
  } else if (GetParam().name == "sqlite") {
    EXPECT_EQ(mode_of(dir / "q.db"), 0600u);
  }
}

// The persistent stores, once they are built (none is, for a while, during
// the rewrite of the file and SQLite stores).
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Permissions);
INSTANTIATE_TEST_SUITE_P(Backends, Permissions, ::testing::ValuesIn(persistent_backends()),
                         backend_name);

}  // namespace
}  // namespace omniq::testing
