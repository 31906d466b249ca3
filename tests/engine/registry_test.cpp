// Registry: typed decoding, encoding, kwargs, and the generic context form.
#include "omniq/async.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace omniq {
namespace {

Value call(const Registry& r, const std::string& name, Value args, Value kwargs = Value::object()) {
  Task t;
  t.id = "t1";
  t.func_path = name;
  t.args = std::move(args);
  t.kwargs = std::move(kwargs);
  t.attempts = 2;
  std::stop_source stop;
  TaskContext ctx(t, stop.get_token());
  auto h = r.find(name);
  if (!h) throw std::runtime_error("not registered");
  return h->sync(ctx);
}

struct Point {
  int x = 0;
  int y = 0;
};
void to_json(Value& v, const Point& p) {
  v = Value{{"x", p.x}, {"y", p.y}};
}
void from_json(const Value& v, Point& p) {
  p.x = v.at("x").get<int>();
  p.y = v.at("y").get<int>();
}

TEST(Registry, DecodesPositionalArgumentsAndEncodesTheResult) {
  Registry r;
  r.add("concat", [](std::string a, int n, const std::vector<double>& xs, bool flag) {
    return a + std::to_string(n) + std::to_string(xs.size()) + (flag ? "!" : "?");
  });
  EXPECT_EQ(call(r, "concat", Value::array({"v", 3, {1.5, 2.5}, true})), "v32!");
}

TEST(Registry, UserTypesTravelThroughToJsonAndFromJson) {
  Registry r;
  r.add("shift", [](Point p, int dx) { return Point{p.x + dx, p.y}; });
  Value out = call(r, "shift", Value::array({Value{{"x", 1}, {"y", 2}}, 10}));
  EXPECT_EQ(out, (Value{{"x", 11}, {"y", 2}}));
}

TEST(Registry, VoidBecomesNullAndMapsBecomeObjects) {
  Registry r;
  int calls = 0;
  r.add("nothing", [&] { ++calls; });
  r.add("counts", [](std::string s) {
    std::map<std::string, int> m;
    for (char c : s) ++m[std::string(1, c)];
    return m;
  });
  EXPECT_TRUE(call(r, "nothing", Value::array()).is_null());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(call(r, "counts", Value::array({"aab"})), (Value{{"a", 2}, {"b", 1}}));
}

TEST(Registry, MismatchesAreArgumentErrorsNamingTheProblem) {
  Registry r;
  r.add("add", [](int a, int b) { return a + b; });
  try {
    call(r, "add", Value::array({1}));
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("takes 2 argument(s), got 1"), std::string::npos);
  }
  try {
    call(r, "add", Value::array({1, "x"}));
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("argument 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(call(r, "add", Value::array({1, 2}), Value{{"c", 3}}), ArgumentError);
}

struct Email {
  std::string to;
  std::string subject;
  int priority = 0;
};
void from_json(const Value& v, Email& e) {
  e.to = v.at("to").get<std::string>();
  e.subject = v.at("subject").get<std::string>();
  e.priority = v.value("priority", 0);
}

TEST(Registry, KwargsDecodeIntoTheOneParameterOfAHandler) {
  Registry r;
  r.add("send_email",
        [](const Email& e) { return e.to + "|" + e.subject + "|" + std::to_string(e.priority); });
  r.add("send_with_ctx", [](TaskContext& ctx, Email e) { return ctx.id() + ":" + e.to; });
  Value kwargs{{"to", "ada@example.com"}, {"subject", "hi"}};
  EXPECT_EQ(call(r, "send_email", Value::array(), kwargs), "ada@example.com|hi|0");
  EXPECT_EQ(call(r, "send_with_ctx", Value::array(), kwargs), "t1:ada@example.com");
  // The same handler still takes the struct as one positional argument.
  EXPECT_EQ(call(r, "send_email", Value::array({kwargs})), "ada@example.com|hi|0");
  // Missing fields, or kwargs and positional arguments at once, are ArgumentErrors.
  EXPECT_THROW(call(r, "send_email", Value::array(), Value{{"to", "x"}}), ArgumentError);
  try {
    call(r, "send_email", Value::array({kwargs}), kwargs);
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("keyword arguments"), std::string::npos) << e.what();
  }
}

TEST(Registry, ContextFirstParameterSeesTheTaskAndStillDecodesTheRest) {
  Registry r;
  r.add("ctx_and_arg", [](TaskContext& ctx, int n) {
    return Value{{"id", ctx.id()}, {"attempt", ctx.attempt()}, {"n", n}};
  });
  r.add("ctx_only", [](TaskContext& ctx) { return ctx.kwargs().value("k", 0); });
  EXPECT_EQ(call(r, "ctx_and_arg", Value::array({4})),
            (Value{{"id", "t1"}, {"attempt", 2}, {"n", 4}}));
  EXPECT_EQ(call(r, "ctx_only", Value::array(), Value{{"k", 9}}), 9);
}

TEST(Registry, AwaitableHandlersAreRegisteredAsAsync) {
  Registry r;
  r.add("async", [](int x) -> asio::awaitable<int> { co_return x * 2; });
  r.add("sync", [](int x) { return x * 2; });
  EXPECT_TRUE(r.find("async")->is_async());
  EXPECT_FALSE(r.find("sync")->is_async());
  EXPECT_EQ(r.find("missing"), nullptr);
  EXPECT_EQ(r.names(), (std::vector<std::string>{"async", "sync"}));
}

TEST(Registry, TaskDefChecksTheSignatureAndEncodesArguments) {
  const TaskDef<int(int, std::string)> def{"typed"};
  Registry r;
  r.add(def, [](int n, std::string s) { return n + static_cast<int>(s.size()); });
  TaskCall c = def(3, "abc");
  EXPECT_EQ(c.func_path, "typed");
  EXPECT_EQ(c.args, Value::array({3, "abc"}));
  EXPECT_EQ(call(r, "typed", c.args), 6);
}

TEST(Registry, EmptyNamesAndEmptyHandlersAreRefused) {
  Registry r;
  EXPECT_THROW(r.add("", [] { return 1; }), ValidationError);
  EXPECT_THROW(r.add_handler("x", Handler{}), ValidationError);
}

}  // namespace
}  // namespace omniq
