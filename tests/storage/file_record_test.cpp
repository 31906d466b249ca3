// The file store's records on disk: frames (torn tails, claims that never
// took place, damage) and the deltas a change appends, which must read back
// as exactly the record that was written.
#include "storage/file_record.hpp"
#include "omniq/error.hpp"
#include "serializer.hpp"
#include "storage/file_frames.hpp"
#include "storage/file_test_util.hpp"
#include "storage/storage_rules.hpp"

namespace omniq::testing {
namespace {

const JsonSerializer kJson;

// The bytes of a task file holding `base` and then each of `after` as a delta.
std::string with_deltas(const TaskRecord& base, const std::vector<TaskRecord>& after,
                        const Serializer& s = kJson) {
  std::string bytes = encode_task_file(encode_task_record(base, s), std::nullopt, 1);
  TaskRecord before = base;
  std::uint32_t version = 1;
  for (const TaskRecord& r : after) {
    append_frame(bytes, FrameKind::delta, ++version, s.encode(record_delta(before, r)));
    before = r;
  }
  return bytes;
}

TEST(FileRecordDelta, EveryTransitionReadsBackAsTheRecordWritten) {
  TaskRecord base{file_task("job"), false};
  base.task.schedule.interval = minutes(5);
  std::vector<TaskRecord> states;
  TaskRecord r = base;
  apply_claim(r.task, kF0 + seconds(1), kFLease);  // claim
  states.push_back(r);
  r.task.lease_expires_at = kF0 + minutes(5);  // renewal
  r.cancel_requested = true;                   // cancel request
  states.push_back(r);
  Outcome retry{r.task.id,        r.task.attempts, TaskStatus::RETRYING,
                kF0 + seconds(9), std::nullopt,    TaskError{"Boom", "boom", kF0, "trace", 0, true},
                kF0 + seconds(2)};
  apply_outcome(r.task, retry);
  r.cancel_requested = false;
  states.push_back(r);
  apply_claim(r.task, kF0 + seconds(9), kFLease);
  states.push_back(r);
  apply_release(r.task, kF0 + seconds(10));
  states.push_back(r);
  apply_claim(r.task, kF0 + seconds(11), kFLease);
  apply_recovery(r.task, kF0 + hours(1));
  states.push_back(r);
  apply_claim(r.task, kF0 + hours(1), kFLease);
  states.push_back(r);
  Outcome rearm{r.task.id,    r.task.attempts, TaskStatus::PENDING, kF0 + hours(2),
                std::nullopt, std::nullopt,    kF0 + hours(1)};
  apply_outcome(r.task, rearm);  // clears the error
  states.push_back(r);
  for (const auto& s : {make_serializer("json"), make_serializer("msgpack")}) {
    SCOPED_TRACE(s->name());
    for (std::size_t n = 1; n <= states.size(); ++n) {
      std::vector<TaskRecord> some(states.begin(), states.begin() + static_cast<long>(n));
      TaskRecord got =
          decode_task_file(with_deltas(base, some, *s), base.task.id, RecordKind::running, *s)
              .record;
      EXPECT_EQ(got.task, states[n - 1].task) << n;
      EXPECT_EQ(got.cancel_requested, states[n - 1].cancel_requested) << n;
    }
  }
}

TEST(FileRecordDelta, AChangeOutsideTransitionsIsFoundByComparingEncodings) {
  TaskRecord base{file_task("job"), false};
  TaskRecord changed = base;
  changed.task.args = Value::array({"other"});
  changed.task.timeout.reset();
  Value d = record_delta(base, changed);
  EXPECT_EQ(d["args"], Value::array({"other"}));
  EXPECT_TRUE(d["timeout"].is_null());
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(decode_task_file(with_deltas(base, {changed}), base.task.id, RecordKind::running, kJson)
                .record.task,
            changed.task);
}

TEST(FileFrames, TornTailIsIgnoredAndNamedForTheNextWriter) {
  std::string bytes = encode_task_file("{\"a\":1}", std::nullopt, 1);
  std::size_t intact = bytes.size();
  append_frame(bytes, FrameKind::delta, 2, "{\"b\":2}");
  std::string torn = bytes.substr(0, bytes.size() - 5);
  Frames f = parse_frames(torn, true);
  EXPECT_TRUE(f.sealed);
  EXPECT_EQ(f.task, "{\"a\":1}");
  EXPECT_TRUE(f.deltas.empty());
  EXPECT_EQ(f.end, intact);
  EXPECT_EQ(f.version, 1u);
  Frames whole = parse_frames(bytes, true);
  EXPECT_EQ(whole.deltas, std::vector<std::string_view>{"{\"b\":2}"});
  EXPECT_EQ(whole.version, 2u);
}

TEST(FileFrames, ClaimFramesCountOnlyWhereAClaimTookPlace) {
  std::string bytes = encode_task_file("{\"a\":1}", std::nullopt, 1);
  std::size_t before_claim = bytes.size();
  append_frame(bytes, FrameKind::claim, 2, "{\"status\":\"RUNNING\"}");
  Frames in_task = parse_frames(bytes, /*claims_count=*/false);
  EXPECT_TRUE(in_task.deltas.empty());
  EXPECT_EQ(in_task.end, before_claim);  // the next change cuts the claim off
  EXPECT_EQ(in_task.version, 1u);
  Frames in_running = parse_frames(bytes, /*claims_count=*/true);
  EXPECT_EQ(in_running.deltas.size(), 1u);
  EXPECT_EQ(in_running.end, bytes.size());
}

TEST(FileFrames, ResultsAndRecordsAreTheNewestOfTheirKind) {
  std::string bytes = encode_task_file("{\"a\":1}", std::string("r1"), 1);
  append_frame(bytes, FrameKind::task, 2, "{\"a\":2}");
  append_frame(bytes, FrameKind::delta, 3, "{\"b\":3}");
  Frames f = parse_frames(bytes, true);
  EXPECT_EQ(f.task, "{\"a\":2}");
  EXPECT_EQ(f.deltas, std::vector<std::string_view>{"{\"b\":3}"});
  EXPECT_EQ(f.result, std::optional<std::string_view>("r1"));
  append_frame(bytes, FrameKind::no_result, 4, "");
  EXPECT_FALSE(parse_frames(bytes, true).result.has_value());
}

TEST(FileFrames, PlainRecordHasNoFramesAndDamageIsReported) {
  Frames plain = parse_frames("{\"a\":1}", true);
  EXPECT_FALSE(plain.sealed);
  EXPECT_EQ(plain.task, "{\"a\":1}");
  std::string bytes = encode_task_file("{\"a\":1}", std::nullopt, 1);
  append_frame(bytes, FrameKind::delta, 2, "{\"b\":2}");
  bytes[2] = 'x';  // inside the seal's payload, under an intact frame
  EXPECT_THROW(parse_frames(bytes, true), SerializationError);
}

}  // namespace
}  // namespace omniq::testing
