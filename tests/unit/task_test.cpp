#include "omniq/task.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "base/task_rules.hpp"
#include "omniq/error.hpp"
#include "omniq/settings.hpp"

namespace omniq {
namespace {

using namespace std::chrono;

const Timestamp kNow = sys_days{2026y / November / 26} + 6h;

TEST(TaskId, IsAVersion7UuidThatSortsInCreationOrder) {
  std::string prev;
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    std::string id = new_task_id(kNow + milliseconds(i / 1000));  // many share a millisecond
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '7');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
    EXPECT_TRUE(is_valid_id(id));
    EXPECT_LT(prev, id);
    EXPECT_TRUE(seen.insert(id).second);
    prev = id;
  }
}

TEST(TaskId, ValidatorAcceptsOnlyTheSafeAlphabet) {
  EXPECT_TRUE(is_valid_id("a"));
  EXPECT_TRUE(is_valid_id("Task_1-x"));
  EXPECT_TRUE(is_valid_id(std::string(64, 'z')));
  for (std::string bad :
       {std::string(), std::string(65, 'z'), std::string("../etc/passwd"), std::string("a/b"),
        std::string("a\0b", 3), std::string("caf\xc3\xa9"), std::string("a b"),
        std::string("x'; DROP TABLE tasks;--"), std::string(10240, 'a')}) {
    EXPECT_FALSE(is_valid_id(bad)) << bad;
    try {
      validate_id(bad);
      FAIL() << "accepted " << bad;
    } catch (const ValidationError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("1-64"), std::string::npos);
      EXPECT_LT(msg.size(), 300u) << "message must stay short for a 10 kB id";
      EXPECT_EQ(msg.find('\0'), std::string::npos);
    }
  }
}

TEST(MakeTask, FillsDefaultsFromSettings) {
  Settings s;
  s.default_max_retries = 7;
  s.default_timeout = seconds(42);
  Task t = make_task("math.add", Value::array({1, 2}), {}, s, kNow);
  EXPECT_TRUE(is_valid_id(t.id));
  EXPECT_EQ(t.func_path, "math.add");
  EXPECT_EQ(t.args, Value::array({1, 2}));
  EXPECT_EQ(t.kwargs, Value::object());
  EXPECT_EQ(t.status, TaskStatus::PENDING);
  EXPECT_EQ(t.max_retries, 7);
  EXPECT_EQ(t.timeout, seconds(42));
  EXPECT_EQ(t.attempts, 0);
  EXPECT_EQ(t.created_at, kNow);
  EXPECT_EQ(t.updated_at, kNow);
  EXPECT_FALSE(t.schedule.eta.has_value());
}

TEST(MakeTask, OptionsOverrideDefaults) {
  TaskOptions o;
  o.delay = seconds(10);
  o.interval = minutes(1);
  o.max_retries = 0;
  o.timeout = seconds(3);
  o.kwargs = Value{{"to", "x"}};
  Task t = make_task("mail.send", Value::array(), o, Settings{}, kNow);
  EXPECT_EQ(t.schedule.eta, kNow + seconds(10));
  EXPECT_EQ(t.schedule.interval, minutes(1));
  EXPECT_EQ(t.max_retries, 0);
  EXPECT_EQ(t.timeout, seconds(3));
  EXPECT_EQ(t.kwargs["to"], "x");
}

TEST(MakeTask, RejectsEtaAndDelayTogether) {
  TaskOptions o;
  o.delay = seconds(1);
  o.eta = kNow;
  EXPECT_THROW(make_task("f", Value::array(), o, Settings{}, kNow), ValidationError);
}

Task valid_task() {
  return make_task("f", Value::array(), {}, Settings{}, kNow);
}

TEST(ValidateTask, RejectsEachKindOfBadTaskWithAClearMessage) {
  struct Case {
    const char* name;
    void (*spoil)(Task&);
    const char* says;
  };
  const Case cases[] = {
      {"empty func_path", [](Task& t) { t.func_path.clear(); }, "func_path"},
      {"control char", [](Task& t) { t.func_path = "a\nb"; }, "control"},
      {"long func_path", [](Task& t) { t.func_path = std::string(300, 'f'); }, "256"},
      {"negative retries", [](Task& t) { t.max_retries = -1; }, "max_retries"},
      {"zero interval", [](Task& t) { t.schedule.interval = seconds(0); }, "interval"},
      {"negative interval", [](Task& t) { t.schedule.interval = seconds(-5); }, "interval"},
      {"zero timeout", [](Task& t) { t.timeout = seconds(0); }, "timeout"},
      {"args object", [](Task& t) { t.args = Value::object(); }, "args"},
      {"args scalar", [](Task& t) { t.args = 3; }, "args"},
      {"kwargs array", [](Task& t) { t.kwargs = Value::array(); }, "kwargs"},
      {"bad id", [](Task& t) { t.id = "../x"; }, "id"},
      {"deep args",
       [](Task& t) {
         Value v = 1;
         for (int i = 0; i < kMaxDepth + 5; ++i) v = Value::array({std::move(v)});
         t.args = Value::array({std::move(v)});
       },
       "deeper"},
  };
  for (const auto& c : cases) {
    Task t = valid_task();
    c.spoil(t);
    try {
      validate_task(t);
      ADD_FAILURE() << c.name << " accepted";
    } catch (const ValidationError& e) {
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos)
          << c.name << ": " << e.what();
    }
  }
  EXPECT_NO_THROW(validate_task(valid_task()));
}

TEST(NestsDeeperThan, HandlesHundredThousandLevelsWithoutOverflowingTheStack) {
  Value v = Value::array();
  Value* cur = &v;
  for (int i = 0; i < 100000; ++i) {
    cur->push_back(Value::array());
    cur = &(*cur)[0];
  }
  EXPECT_TRUE(nests_deeper_than(v, kMaxDepth));
  EXPECT_FALSE(nests_deeper_than(Value::array({Value::array({1})}), 2));
  EXPECT_TRUE(nests_deeper_than(Value::array({Value::array({Value::array()})}), 2));
}

struct CustomFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TEST(TaskError, FromExceptionRecordsDemangledTypeAndMessage) {
  TaskError e = TaskError::from_exception(std::make_exception_ptr(CustomFailure("disk on fire")),
                                          kNow, false);
  EXPECT_EQ(e.error_type, "omniq::(anonymous namespace)::CustomFailure");
  EXPECT_EQ(e.message, "disk on fire");
  EXPECT_EQ(e.timestamp, kNow);
  EXPECT_EQ(e.retry_count, 0);
  EXPECT_FALSE(e.is_retryable);
  EXPECT_FALSE(e.traceback.has_value());

  TaskError p = TaskError::from_exception(std::make_exception_ptr(std::out_of_range("idx")), kNow);
  EXPECT_EQ(p.error_type, "std::out_of_range");
  EXPECT_EQ(p.message, "idx");
  EXPECT_TRUE(p.is_retryable);

  TaskError q = TaskError::from_exception(std::make_exception_ptr(42), kNow);
  EXPECT_EQ(q.error_type, "unknown exception");
}

TEST(TaskResult, ValueConvertsOrExplains) {
  TaskResult r;
  r.task_id = "t1";
  r.result = Value(5);
  EXPECT_EQ(r.value<int>(), 5);
  EXPECT_THROW(r.value<std::string>(), SerializationError);
  r.result.reset();
  EXPECT_THROW(r.value<int>(), SerializationError);
}

}  // namespace
}  // namespace omniq
