// TaskDef: a task's name together with its signature, so that enqueueing and
// registering it are checked by the compiler.
//
//   inline const omniq::TaskDef<int(int, int)> add{"math.add"};
//   registry.add(add, [](int a, int b) { return a + b; });
//   std::string id = oq.enqueue(add, 2, 3);              // enqueue(add, "x") does not compile
//   int sum = oq.get_result(id, {.wait = true})->value<int>();
#pragma once

#include <string>
#include <utility>

#include "omniq/task.hpp"

namespace omniq {

template <class Signature>
class TaskDef;

template <class R, class... Args>
class TaskDef<R(Args...)> {
 public:
  using result_type = R;

  explicit TaskDef(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }

  // Encodes call arguments as the task's positional args.
  static Value encode_args(const Args&... args) { return Value::array({Value(args)...}); }

 private:
  std::string name_;
};

}  // namespace omniq
