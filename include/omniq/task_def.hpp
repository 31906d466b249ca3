// TaskDef: a task's name together with its signature, so that enqueueing and
// registering it are checked by the compiler.
//
//   inline const omniq::TaskDef<int(int, int)> add{"math.add"};
//   registry.add(add, [](int a, int b) { return a + b; });
//   std::string id = oq.enqueue(add(2, 3));  // add("x") does not compile; add(2, 3) runs nothing
//   oq.enqueue(add(4, 5), {.delay = 10s});
//   int sum = oq.get_result(id, {.wait = true})->value<int>();
#pragma once

#include <string>
#include <utility>

#include "omniq/task.hpp"

namespace omniq {

// A TaskDef applied to arguments: the handler's name and the encoded
// positional arguments, ready for enqueue.
struct TaskCall {
  std::string func_path;
  Value args;
};

template <class Signature>
class TaskDef;

template <class R, class... Args>
class TaskDef<R(Args...)> {
 public:
  using result_type = R;

  explicit TaskDef(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }

  TaskCall operator()(const Args&... args) const { return {name_, Value::array({Value(args)...})}; }

 private:
  std::string name_;
};

}  // namespace omniq
