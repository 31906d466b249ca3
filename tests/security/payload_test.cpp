// Payload limits: arguments over Settings::max_task_bytes (1 MiB by default,
// OMNIQ_MAX_TASK_BYTES) are refused on enqueue and enqueue_many with a clear
// error, without encoding or copying the payload; arguments nested 100,000
// levels deep are refused without recursion; a handler returning such a value
// fails its task, not the worker.
#include <fstream>

#include "base/task_rules.hpp"
#include "security/security_fixture.hpp"
#include "support/values.hpp"

namespace omniq::testing {
namespace {

// A field of /proc/self/status in KiB (VmRSS, VmHWM).
long self_kib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0); false where unsupported.
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return out.good();
}

void expect_too_large(const std::function<void()>& call) {
  try {
    call();
    ADD_FAILURE() << "an oversized task was accepted";
  } catch (const ValidationError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("too large"), std::string::npos) << m;
    EXPECT_NE(m.find("max_task_bytes"), std::string::npos) << m;
    EXPECT_LT(m.size(), 600u) << m;
  }
}

TEST_P(HostileInput, HundredMegabyteArgumentsAreRefusedWithoutCopyingThem) {
  constexpr std::size_t kHundredMb = 100u << 20;
  Value args = Value::array();
  args.push_back(std::string(kHundredMb, 'x'));
  bool measured = reset_peak_rss();
  long rss_before = self_kib("VmRSS");
  expect_too_large([&] { oq().enqueue("job", std::move(args)); });
  if (measured) {  // no encoding and no copy of the 100 MB: the peak grew by far less
    EXPECT_LT(self_kib("VmHWM") - rss_before, 32 * 1024) << "KiB above the RSS before";
  }
  TaskOptions big_kwargs;
  big_kwargs.kwargs = Value::object();
  big_kwargs.kwargs["blob"] = std::string(2u << 20, 'y');
  expect_too_large([&] { oq().enqueue("job", Value::array(), big_kwargs); });
  EXPECT_EQ(oq().stats().total(), 0u);
}

TEST_P(HostileInput, EnqueueManyEnforcesTheLimitOnEveryTaskAllOrNone) {
  std::vector<Task> tasks{oq().make_task("job", Value::array({1})),
                          oq().make_task("job", Value::array({std::string(2u << 20, 'z')})),
                          oq().make_task("job", Value::array({3}))};
  expect_too_large([&] { oq().enqueue_many(tasks); });
  EXPECT_EQ(oq().stats().total(), 0u);
  // Just under the limit (1 MiB, func_path and "[...]" included) is accepted.
  std::string fits(settings_.max_task_bytes - 16, 'a');
  EXPECT_NO_THROW(oq().enqueue_many({oq().make_task("job", Value::array({fits}))}));
  EXPECT_EQ(oq().stats().total(), 1u);
}

TEST_P(HostileInput, LimitFromTheEnvironmentIsEnforced) {
  Settings s = Settings::from_env([](std::string_view name) -> std::optional<std::string> {
    if (name == "OMNIQ_MAX_TASK_BYTES") return "1000";
    return std::nullopt;
  });
  s.log_level = LogLevel::error;
  oq_.reset();
  OmniQ small(GetParam().open(dir_ / "inner"), s);
  EXPECT_NO_THROW(small.enqueue("job", Value::array({std::string(900, 'a')})));
  expect_too_large([&] { small.enqueue("job", Value::array({std::string(1001, 'a')})); });
  expect_too_large([&] {
    small.enqueue_many({small.make_task("job", Value::array({std::string(1001, 'a')}))});
  });
  EXPECT_EQ(small.stats().total(), 1u);
}

TEST_P(HostileInput, HundredThousandLevelsOfNestingAreRefusedWithoutOverflow) {
  auto expect_too_deep = [](const std::function<void()>& call) {
    try {
      call();
      ADD_FAILURE() << "a deeply nested task was accepted";
    } catch (const ValidationError& e) {
      EXPECT_NE(std::string(e.what()).find("deeper"), std::string::npos) << e.what();
    }
  };
  expect_too_deep([&] { oq().enqueue("job", nested_arrays(100000)); });
  TaskOptions o;
  o.kwargs = Value::object();
  o.kwargs["deep"] = nested_arrays(100000);
  // (Moved in, like the values below: a copy of a hostile value made by the
  // caller would recurse in the caller's own code.)
  expect_too_deep([&] { oq().enqueue("job", Value::array(), std::move(o)); });
  expect_too_deep([&] {
    std::vector<Task> tasks;
    Task t = oq().make_task("job", Value::array());
    t.args = nested_arrays(100000);
    tasks.push_back(std::move(t));
    oq().enqueue_many(std::move(tasks));
  });
  // kMaxValueDepth arrays are the deepest accepted.
  EXPECT_NO_THROW(oq().enqueue("job", nested_arrays(kMaxValueDepth)));
  EXPECT_THROW(oq().enqueue("job", nested_arrays(kMaxValueDepth + 1)), ValidationError);
  EXPECT_EQ(oq().stats().total(), 1u);
}

TEST_P(HostileInput, HandlerReturningADeeplyNestedValueFailsItsTaskNotTheWorker) {
  Registry registry;
  registry.add("deep", [] { return nested_arrays(100000); });
  registry.add("fine", [] { return 7; });
  WorkerOptions o;
  o.poll_interval = milliseconds(5);
  WorkerPool pool = oq().worker(registry, o);
  pool.start();
  std::string deep = oq().enqueue("deep");
  auto r = oq().get_result(deep, {.wait = true, .timeout = seconds(30)});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, TaskStatus::FAILED);
  ASSERT_TRUE(r->error.has_value());
  EXPECT_EQ(r->error->error_type, "SerializationError");
  EXPECT_FALSE(r->error->is_retryable);
  std::string fine = oq().enqueue("fine");
  EXPECT_EQ(oq().get_result(fine, {.wait = true, .timeout = seconds(30)})->value<int>(), 7);
  EXPECT_TRUE(pool.running());
  pool.stop();
}

}  // namespace
}  // namespace omniq::testing
