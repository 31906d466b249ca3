// Hostile task ids (path traversal, separators, NUL, 10 kB, unicode, quotes)
// through every public entry point that takes one: each is refused with a
// ValidationError whose message is short and printable, and nothing under
// the store's parent directory changes.
#include "security/security_fixture.hpp"

namespace omniq::testing {
namespace {

// The message shows the id escaped and cut short: no raw NUL, newline or 10 kB echo.
void expect_clear_message(const ValidationError& e) {
  std::string m = e.what();
  EXPECT_NE(m.find("invalid task id"), std::string::npos) << m;
  EXPECT_NE(m.find("expected 1-64 characters"), std::string::npos) << m;
  EXPECT_LT(m.size(), 512u) << m;
  for (char c : m) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << m;
}

template <class F>
void expect_refused(const std::string& id, F&& call) {
  try {
    call();
    ADD_FAILURE() << "accepted id of " << id.size() << " bytes";
  } catch (const ValidationError& e) {
    expect_clear_message(e);
  }
}

TEST_P(HostileInput, HostileIdsAreRefusedEverywhereAndTouchNothing) {
  std::string real = oq().enqueue("job", Value::array({1}));
  auto before = snapshot(dir_.path());
  for (const std::string& id : hostile_ids()) {
    SCOPED_TRACE(::testing::PrintToString(id.substr(0, 40)));
    expect_refused(id, [&] { oq().get_task(id); });
    expect_refused(id, [&] { oq().get_result(id); });
    expect_refused(id, [&] { oq().get_result(id, {.wait = true, .timeout = seconds(1)}); });
    expect_refused(id, [&] { oq().cancel(id); });
    Task t = oq().make_task("job", Value::array({1}));
    t.id = id;
    expect_refused(id, [&] { oq().enqueue_many({t}); });
    // All or none: a good task next to a hostile one is not stored either.
    Task good = oq().make_task("job", Value::array({2}));
    expect_refused(id, [&] { oq().enqueue_many({good, t}); });
    EXPECT_FALSE(oq().get_task(good.id).has_value());
  }
  EXPECT_EQ(snapshot(dir_.path()), before);
  EXPECT_EQ(oq().stats().total(), 1u);
  EXPECT_EQ(oq().get_task(real)->status, TaskStatus::PENDING);
}

TEST_P(HostileInput, ListFilterWithHostileFuncPathMatchesNothingAndChangesNothing) {
  oq().enqueue("job", Value::array({1}));
  auto before = snapshot(dir_.path());
  for (std::string f : {std::string("%"), std::string("_"), std::string("' OR 1=1 --"),
                        std::string("*"), std::string("job' --"), std::string("\0", 1)}) {
    TaskFilter filter;
    filter.func_path = f;
    EXPECT_TRUE(oq().list_tasks(filter).empty()) << f;
  }
  TaskFilter all;
  EXPECT_EQ(oq().list_tasks(all).size(), 1u);
  EXPECT_EQ(snapshot(dir_.path()), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, HostileInput, ::testing::ValuesIn(all_backends()), backend_name);

}  // namespace
}  // namespace omniq::testing
