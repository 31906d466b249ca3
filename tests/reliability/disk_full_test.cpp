// Disk errors: a store on a small tmpfs that is then filled to the last page.
// Enqueue fails with StorageError; a running worker whose writes fail backs
// off instead of spinning or crashing (its claims fail, each retry announced
// with a growing delay: a file-store claim writes a file too); nothing
// already stored is damaged; and once space returns the worker recovers on
// its own and everything runs.
//
// Needs mount(2) (root, as in CI). Without it the test is skipped; the file
// store's EFBIG path is also covered by tests/storage/file_crash_test.cpp.
#include <fcntl.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <mutex>
#include <regex>

#include "reliability/fault_fixture.hpp"

namespace omniq::reliability {
namespace {

// Keeps every line omniq logs.
class LinesSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> matching(const std::string& needle) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& l : lines_) {
      if (l.find(needle) != std::string::npos) out.push_back(l);
    }
    return out;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(msg.payload.begin(), msg.payload.end());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

// Writes to `path` until the file system has no page left; returns false if
// it never filled up.
bool fill(const fs::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::string chunk(4096, 'x');
  for (int i = 0; i < 1 << 20; ++i) {
    if (::write(fd, chunk.data(), chunk.size()) < 0) {
      bool full = errno == ENOSPC;
      ::close(fd);
      return full;
    }
  }
  ::close(fd);
  return false;
}

// The delays announced by "retrying in <d>" lines, in order.
std::vector<Duration> announced_backoffs(const std::vector<std::string>& lines) {
  std::vector<Duration> out;
  std::regex re("retrying in ([0-9.]+[a-z]*)");
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_search(l, m, re)) out.push_back(parse_duration(m[1].str()));
  }
  return out;
}

class DiskFull : public FaultTest {
 protected:
  void SetUp() override {
    mnt_ = dir_ / "mnt";
    fs::create_directory(mnt_);
    if (::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=1m,mode=0700") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << "); needs root";
    }
    mounted_ = true;
    sink_ = std::make_shared<LinesSink>();
    set_log_sinks({sink_});
  }
  void TearDown() override {
    if (HasFailure() && sink_) {
      for (const auto& l : sink_->matching("")) std::fprintf(stderr, "[ logged ] %s\n", l.c_str());
    }
    set_log_sinks({std::make_shared<spdlog::sinks::stderr_color_sink_mt>()});
    if (mounted_) ::umount2(mnt_.c_str(), MNT_DETACH);
  }

  void expect_recovers(OmniQ& oq, WorkerPool& pool, std::shared_ptr<ManualClock> clock,
                       const std::vector<std::string>& waiting, Duration lease);

  Settings settings_;

  std::shared_ptr<Storage> store_on_tmpfs() {
    return make_storage(store_settings(GetParam(), mnt_ / (file_backend() ? "store" : "q.db")));
  }

  fs::path mnt_;
  bool mounted_ = false;
  std::shared_ptr<LinesSink> sink_;
};

TEST_P(DiskFull, EnqueueFailsWorkerBacksOffNothingIsDamagedAndItRecovers) {
  auto clock = std::make_shared<ManualClock>(system_clock()->now());
  settings_.log_level = LogLevel::warning;
  settings_.retry_backoff_max = seconds(5);  // the wait of a recovered task's retry, at most
  OmniQ oq(store_on_tmpfs(), settings_, clock);
  Registry registry;
  registry.add("job", [](int x) { return x * 2; });
  WorkerOptions wo;
  wo.poll_interval = milliseconds(20);
  wo.maintenance_interval = seconds(3600);
  WorkerPool pool = oq.worker(registry, wo);
  pool.start();

  // Stored before the disk fills: ten tasks run, ten waiting for a later eta.
  std::vector<std::string> done, waiting;
  for (int i = 0; i < 10; ++i) done.push_back(oq.enqueue("job", Value::array({i})));
  TaskOptions later;
  later.eta = clock->now() + hours(1);
  for (int i = 0; i < 10; ++i) waiting.push_back(oq.enqueue("job", Value::array({i}), later));
  for (int i = 0; i < 10; ++i) {
    auto r = oq.get_result(done[i], {.wait = true, .timeout = seconds(30)});
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->value<int>(), 2 * i);
  }
  std::map<std::string, Task> tasks_before;
  std::map<std::string, TaskResult> results_before;
  for (const auto& id : done) results_before[id] = *oq.get_result(id);
  for (const auto& id : waiting) tasks_before[id] = *oq.get_task(id);

  ASSERT_TRUE(fill(mnt_ / "filler")) << "the tmpfs did not fill up";
  EXPECT_THROW(oq.enqueue("job", Value::array({1})), StorageError);
  std::vector<Task> batch{oq.make_task("job", Value::array({1})),
                          oq.make_task("job", Value::array({2}))};
  EXPECT_THROW(oq.enqueue_many(batch), StorageError);

  clock->advance(hours(1));
  // The waiting tasks fall due; claiming them needs a write, which fails.
  ASSERT_TRUE(wait_until([&] { return sink_->matching("could not claim").size() >= 6; }))
      << "the worker does not report its failing claims";
  EXPECT_TRUE(pool.running());
  auto backoffs = announced_backoffs(sink_->matching("could not claim"));
  ASSERT_GE(backoffs.size(), 6u);
  // A claim still in flight from before the tasks fell due (it claims
  // nothing, so it writes nothing) may succeed after the first failures and
  // start the backoff over: the delays grow from its last start.
  std::size_t start = 0;
  for (std::size_t i = 1; i < backoffs.size(); ++i) {
    if (backoffs[i] == backoffs.front()) start = i;
  }
  ASSERT_GE(backoffs.size() - start, 4u) << "the backoff keeps starting over";
  for (std::size_t i = start + 1; i < backoffs.size(); ++i) {
    EXPECT_TRUE(backoffs[i] > backoffs[i - 1] || backoffs[i] == seconds(5))
        << "retry " << i << " waits " << format_duration(backoffs[i]) << " after "
        << format_duration(backoffs[i - 1]);
  }
  // Nothing stored before was damaged, and no failed claim left a task RUNNING.
  for (const auto& [id, r] : results_before) EXPECT_EQ(*oq.get_result(id), r) << id;
  for (const auto& [id, t] : tasks_before) {
    Task now = *oq.get_task(id);
    EXPECT_EQ(now.status, TaskStatus::PENDING) << id;
    EXPECT_EQ(now.attempts, 0) << id;
    EXPECT_EQ(now.args, t.args) << id;
  }

  expect_recovers(oq, pool, clock, waiting, Duration::zero());
}

// Space returns: the worker recovers by itself (once the claims it kept
// expire after `lease`: its maintenance then records them as lost, to be
// retried after a backoff), and enqueue works again.
void DiskFull::expect_recovers(OmniQ& oq, WorkerPool& pool, std::shared_ptr<ManualClock> clock,
                               const std::vector<std::string>& waiting, Duration lease) {
  fs::remove(mnt_ / "filler");
  if (lease > Duration::zero()) {
    clock->advance(lease + seconds(1));
    ASSERT_TRUE(wait_until([&] {
      return std::none_of(waiting.begin(), waiting.end(), [&](const std::string& id) {
        return oq.get_task(id)->status == TaskStatus::RUNNING;
      });
    })) << "the claims whose outcome was refused were not recovered";
    clock->advance(settings_.retry_backoff_max);  // their retries fall due
  }
  for (const auto& id : waiting) {
    auto r = oq.get_result(id, {.wait = true, .timeout = seconds(60)});
    ASSERT_TRUE(r.has_value()) << id;
    EXPECT_EQ(r->status, TaskStatus::SUCCESS) << id;
  }
  std::string after = oq.enqueue("job", Value::array({21}));
  EXPECT_EQ(oq.get_result(after, {.wait = true, .timeout = seconds(30)})->value<int>(), 42);
  pool.stop();
  QueueStats s = oq.stats();
  EXPECT_EQ(s.count(TaskStatus::SUCCESS), 21u);
  EXPECT_EQ(s.total(), 21u);
  if (file_backend()) {
    EXPECT_TRUE(fs::is_empty(mnt_ / "store" / "corrupt"));
    EXPECT_TRUE(fs::is_empty(mnt_ / "store" / "tmp"));
  }
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DiskFull);
INSTANTIATE_TEST_SUITE_P(Backends, DiskFull, ::testing::ValuesIn(fault_backends()),
                         backend_param_name);

}  // namespace
}  // namespace omniq::reliability
