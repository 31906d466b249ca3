#include "base/serializer.hpp"

#include <gtest/gtest.h>

#include "omniq/error.hpp"

namespace omniq {
namespace {

using namespace std::chrono;

const Timestamp kT = sys_days{2026y / November / 26} + 4h + 6min + 42s + microseconds(123456);

Task full_task() {
  Task t;
  t.id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  t.func_path = "mail.send";
  t.args = Value::array({1, "two", 3.5, nullptr, Value::array({true}), Value{{"k", "v"}}});
  t.kwargs = Value{{"to", "user@example.com"}, {"n", -7}};
  t.status = TaskStatus::RETRYING;
  t.schedule = {kT + seconds(30), milliseconds(1500)};
  t.max_retries = 4;
  t.timeout = milliseconds(2500);
  t.attempts = 2;
  t.created_at = kT;
  t.updated_at = kT + microseconds(1);
  t.last_attempt_at = kT + microseconds(2);
  t.error =
      TaskError{"std::runtime_error", "boom", kT + microseconds(3), "frame 1\nframe 2", 1, true};
  t.lease_expires_at = kT + seconds(60);
  return t;
}

TaskResult full_result() {
  return TaskResult{"r-1",
                    TaskStatus::FAILED,
                    Value{{"partial", 1}},
                    TaskError{"TimeoutError", "slow", kT, std::nullopt, 3, true},
                    kT + seconds(1),
                    4,
                    kT};
}

class EverySerializer : public ::testing::TestWithParam<std::string> {
 protected:
  std::shared_ptr<const Serializer> s = make_serializer(GetParam());
};

TEST_P(EverySerializer, TaskRoundTripsEveryField) {
  Task t = full_task();
  EXPECT_EQ(s->decode_task(s->encode(t)), t);
}

TEST_P(EverySerializer, MinimalTaskKeepsOptionalFieldsAbsent) {
  Task t;
  t.id = "a";
  t.func_path = "f";
  t.created_at = t.updated_at = kT;
  Task back = s->decode_task(s->encode(t));
  EXPECT_EQ(back, t);
  EXPECT_FALSE(back.timeout.has_value());
  EXPECT_FALSE(back.error.has_value());
  EXPECT_FALSE(back.schedule.eta.has_value());
}

TEST_P(EverySerializer, ResultRoundTripsAndKeepsNullApartFromAbsent) {
  TaskResult r = full_result();
  EXPECT_EQ(s->decode_result(s->encode(r)), r);

  TaskResult null_value{"r-2", TaskStatus::SUCCESS, Value(nullptr), std::nullopt, kT,
                        1,     std::nullopt};
  TaskResult back = s->decode_result(s->encode(null_value));
  ASSERT_TRUE(back.result.has_value());
  EXPECT_TRUE(back.result->is_null());

  TaskResult absent{"r-3", TaskStatus::FAILED, std::nullopt, std::nullopt, kT, 1, std::nullopt};
  EXPECT_FALSE(s->decode_result(s->encode(absent)).result.has_value());
}

TEST_P(EverySerializer, TaskErrorRoundTrips) {
  TaskError e{"ValueError", "Invalid input", kT, std::nullopt, 0, true};
  EXPECT_EQ(s->decode_error(s->encode(e)), e);
}

TEST_P(EverySerializer, TruncatedInputIsASerializationError) {
  std::string bytes = s->encode(full_task());
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_THROW(s->decode_task(bytes.substr(0, cut)), SerializationError) << cut;
  }
}

TEST_P(EverySerializer, WrongTypesAreNamed) {
  Value v = to_value(full_task());
  v["attempts"] = "three";
  try {
    s->decode_task(s->encode(v));
    FAIL();
  } catch (const SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("attempts"), std::string::npos) << e.what();
  }
  v = to_value(full_task());
  v["status"] = "DONE";
  EXPECT_THROW(s->decode_task(s->encode(v)), SerializationError);
  v = to_value(full_task());
  v["args"] = Value{{"not", "an array"}};
  EXPECT_THROW(s->decode_task(s->encode(v)), SerializationError);
  v = to_value(full_task());
  v["created_at"] = "yesterday";
  EXPECT_THROW(s->decode_task(s->encode(v)), SerializationError);
  v = to_value(full_task());
  v.erase("id");
  EXPECT_THROW(s->decode_task(s->encode(v)), SerializationError);
  EXPECT_THROW(s->decode_task(s->encode(Value::array())), SerializationError);
}

TEST_P(EverySerializer, RefusesToEncodeValuesNestedTooDeep) {
  Value v = 1;
  for (int i = 0; i < 100000; ++i) v = Value::array({std::move(v)});
  EXPECT_THROW(s->encode(v), SerializationError);
}

INSTANTIATE_TEST_SUITE_P(Serializers, EverySerializer, ::testing::Values("json", "msgpack"));

TEST(JsonSerializer, DeepNestingIsRefusedNotOverflowed) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  JsonSerializer s;
  try {
    s.decode(deep);
    FAIL();
  } catch (const SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("deeper"), std::string::npos) << e.what();
  }
}

TEST(JsonSerializer, GarbageAndInvalidUtf8AreRefused) {
  JsonSerializer s;
  EXPECT_THROW(s.decode("{\"id\": }"), SerializationError);
  EXPECT_THROW(s.decode("\xff\xfe"), SerializationError);
  EXPECT_THROW(s.decode("{} trailing"), SerializationError);
  EXPECT_THROW(s.encode(Value(std::string("\xff\xfe"))), SerializationError);
}

TEST(MsgpackSerializer, AbsurdLengthsAndDeepNestingAreRefused) {
  MsgpackSerializer s;
  // array32 claiming 4 billion elements, with none present.
  EXPECT_THROW(s.decode(std::string("\xdd\xff\xff\xff\xff", 5)), SerializationError);
  // str32 claiming 4 GB.
  EXPECT_THROW(s.decode(std::string("\xdb\xff\xff\xff\xff"
                                    "abc",
                                    8)),
               SerializationError);
  // map32 claiming 4 billion pairs.
  EXPECT_THROW(s.decode(std::string("\xdf\xff\xff\xff\xff", 5)), SerializationError);
  // 100k nested fixarrays of one element.
  std::string deep(100000, '\x91');
  deep += '\x01';
  EXPECT_THROW(s.decode(deep), SerializationError);
  // bin8 values are not part of omniq's model.
  EXPECT_THROW(s.decode(std::string("\xc4\x01\x00", 3)), SerializationError);
}

TEST(TaskErrorWireFormat, IsExactlyTheSixFields) {
  TaskError e{"ValueError", "Invalid input", sys_days{2025y / December / 28} + 12h, std::nullopt, 0,
              true};
  Value v = to_value(e);
  EXPECT_EQ(v, Value::parse(R"({
    "error_type": "ValueError",
    "message": "Invalid input",
    "timestamp": "2025-12-28T12:00:00.000000+00:00",
    "traceback": null,
    "retry_count": 0,
    "is_retryable": true
  })"));
  // The original's "Z" form reads back too.
  Value z = v;
  z["timestamp"] = "2025-12-28T12:00:00Z";
  EXPECT_EQ(task_error_from_value(z), e);
}

TEST(ScheduleWireFormat, IntervalIsATimedeltaObject) {
  Value v = to_value(Schedule{std::nullopt, seconds(90)});
  EXPECT_EQ(v, Value::parse(R"({"interval": {"type": "timedelta", "total_seconds": 90}})"));
  Schedule fractional = schedule_from_value(Value::parse(
      R"({"eta": "2026-11-26T04:06:42+00:00", "interval": {"type": "timedelta", "total_seconds": 0.25}})"));
  EXPECT_EQ(fractional.interval, milliseconds(250));
  EXPECT_EQ(fractional.eta, sys_days{2026y / November / 26} + 4h + 6min + 42s);
}

TEST(MakeSerializer, KnowsJsonMsgspecAndMsgpack) {
  EXPECT_EQ(make_serializer("json")->name(), "json");
  EXPECT_EQ(make_serializer("msgspec")->name(), "json");
  EXPECT_EQ(make_serializer("MsgPack")->name(), "msgpack");
}

TEST(MakeSerializer, ExplainsCloudpickleIsPythonOnly) {
  try {
    make_serializer("cloudpickle");
    FAIL();
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("Python"), std::string::npos) << msg;
    EXPECT_NE(msg.find("json"), std::string::npos) << msg;
    EXPECT_NE(msg.find("msgpack"), std::string::npos) << msg;
  }
  EXPECT_THROW(make_serializer("yaml"), ConfigError);
}

}  // namespace
}  // namespace omniq
