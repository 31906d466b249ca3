
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "base/log_events.hpp"
#include "base/task_rules.hpp"
#include "omniq/settings.hpp"

namespace omniq {
namespace {

class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    sink_->set_pattern("%l %v");
    set_log_sinks({sink_});
  }
  ~LogCapture() {
    set_log_sinks({});
    set_log_level(LogLevel::info);
  }
  std::string text() {
    logger()->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

Task secret_task() {
  Task t;
  t.id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  t.func_path = "billing.charge";
  t.args = Value::array({"4111-1111-1111-1111"});
  t.kwargs = Value{{"password", "hunter2"}};
  t.attempts = 1;
  return t;
}

TEST(Logging, LoggerIsNamedOmniq) {
  EXPECT_EQ(logger()->name(), "omniq");
}

TEST(Logging, LevelFiltersLifecycleEvents) {
  LogCapture cap;
  set_log_level(LogLevel::warning);
  EXPECT_EQ(log_level(), LogLevel::warning);
  Task t = secret_task();
  log_events::enqueued(t.id, t.func_path);
  log_events::started(t);
  TaskError e{"E", "m", Timestamp{}, std::nullopt, 0, true};
  log_events::retrying(t, e, Timestamp{});
  log_events::failed(t, e);
  std::string text = cap.text();
  EXPECT_EQ(text.find("enqueued"), std::string::npos);
  EXPECT_EQ(text.find("retrying"), std::string::npos);
  EXPECT_NE(text.find("failed"), std::string::npos);
}

TEST(Logging, LifecycleEventsNameTheTaskButNeverItsArguments) {
  LogCapture cap;
  set_log_level(LogLevel::debug);
  Task t = secret_task();
  TaskError e{"ValueError", "card declined", Timestamp{}, std::nullopt, 0, true};
  log_events::enqueued(t.id, t.func_path);
  log_events::started(t);
  log_events::succeeded(t);
  log_events::retrying(t, e, Timestamp{});
  log_events::failed(t, e);
  log_events::cancelled(t.id);
  std::string text = cap.text();
  for (const char* event :
       {"enqueued", "started", "succeeded", "retrying", "failed", "cancelled"}) {
    EXPECT_NE(text.find(event), std::string::npos) << event << " missing from:\n" << text;
  }
  EXPECT_NE(text.find(t.id), std::string::npos);
  EXPECT_NE(text.find("billing.charge"), std::string::npos);
  EXPECT_EQ(text.find("4111"), std::string::npos) << text;
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
}

TEST(Logging, ParsesLevelNamesCaseInsensitively) {
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("INFO"), LogLevel::info);
  EXPECT_EQ(parse_log_level("Warning"), LogLevel::warning);
  EXPECT_EQ(parse_log_level("ERROR"), LogLevel::error);
  EXPECT_EQ(parse_log_level("verbose"), std::nullopt);
}

TEST(Logging, EmptySinkListSilences) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  set_log_sinks({sink});
  set_log_sinks({});
  logger()->error("should go nowhere");
  EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace omniq
