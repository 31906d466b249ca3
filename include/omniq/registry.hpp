// Registry: the handlers a worker can run, by name (the task's func_path).
//
//   omniq::Registry registry;
//   registry.add("math.add", [](int a, int b) { return a + b; });  // runs on a worker thread
//   registry.add("mail.send", [](const Email& e) { ... });           // kwargs decoded into Email
//   registry.add("raw", [](omniq::TaskContext& ctx) { return ctx.kwargs()["x"]; });
//   registry.add("http.get", [](std::string url) -> asio::awaitable<std::string> { ... });
//                                    // a coroutine: runs on the event loop (needs
//                                    <omniq/async.hpp>)
//
// Typed handlers get the task's positional arguments converted to their
// parameter types (via nlohmann::json's get<T>, so to_json/from_json of your
// own types work). A handler with a single parameter receives the task's
// kwargs decoded into it when the task has kwargs and no positional
// arguments: enqueue("mail.send", {}, {.kwargs = {{"to", "a@b"}}}). A count or
// type mismatch, or kwargs a handler cannot take, fails the task with
// error_type "ArgumentError", not retried. The return value is encoded as the
// result (void gives null). A handler may take `TaskContext&` as its first
// parameter to see the task id, attempt, kwargs and a stop token that fires
// on timeout, cancellation or shutdown. Throwing fails the attempt (retried
// while retries remain); throw PermanentError to fail without retries.
//
// Thread-safety: add() before the registry is given to a worker pool; the
// pool keeps its own copy, and lookups are then read-only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "omniq/error.hpp"
#include "omniq/task.hpp"

namespace omniq {

// Thrown by a handler to fail its task at once, without retries.
struct PermanentError : Error {
  using Error::Error;
};

// The arguments did not fit the handler's parameters: the task fails, not retried.
struct ArgumentError : PermanentError {
  using PermanentError::PermanentError;
};

// What a handler can see of the task it runs.
class TaskContext {
 public:
  TaskContext(const Task& task, std::stop_token stop) : task_(task), stop_(std::move(stop)) {}

  const Task& task() const { return task_; }
  const std::string& id() const { return task_.id; }
  const std::string& func_path() const { return task_.func_path; }
  const Value& args() const { return task_.args; }
  const Value& kwargs() const { return task_.kwargs; }
  int attempt() const { return task_.attempts; }
  // Fires on timeout, cancellation or worker shutdown: stop soon after it does.
  const std::stop_token& stop_token() const { return stop_; }
  bool stop_requested() const { return stop_.stop_requested(); }

 private:
  const Task& task_;
  std::stop_token stop_;
};

// A coroutine handler, type-erased; defined with Asio in omniq/async.hpp.
struct AsyncHandlerBase {
  virtual ~AsyncHandlerBase() = default;
};

struct Handler {
  std::function<Value(TaskContext&)> sync;        // set for handlers that run on a worker thread
  std::shared_ptr<const AsyncHandlerBase> async;  // set for handlers that run on the event loop
  bool is_async() const { return async != nullptr; }
};

namespace detail {

// asio::awaitable<T> (told by its members, so that this header needs no Asio).
template <class R>
concept Awaitable = requires {
  typename R::value_type;
  typename R::executor_type;
};

// R is asio::awaitable<T>.
template <class R, class T>
concept AwaitableOf = Awaitable<R> && std::is_same_v<typename R::value_type, T>;

// Makes the Handler of a coroutine handler F. Defined in omniq/async.hpp:
// include it to register one.
template <class F>
struct AsyncHandlerMaker;

// A callable's result type, whether it takes a TaskContext first, and its
// other parameters (decayed), read through std::function's deduction guides.
template <class F>
struct signature : signature<decltype(std::function{std::declval<F>()})> {};
template <class R, class... A>
struct signature<std::function<R(A...)>> {
  using result = R;
  static constexpr bool context = false;
  using params = std::tuple<std::remove_cvref_t<A>...>;
};
template <class R, class C, class... A>
requires std::is_same_v<std::remove_cvref_t<C>, TaskContext>
struct signature<std::function<R(C, A...)>> {
  using result = R;
  static constexpr bool context = true;
  using params = std::tuple<std::remove_cvref_t<A>...>;
};

// Throws ArgumentError unless the task has n positional arguments and no kwargs.
void check_positional(const TaskContext& ctx, std::size_t n);
[[noreturn]] void throw_argument_type(const TaskContext& ctx, std::size_t index, const char* what);
// True when a one-parameter handler takes the kwargs (there are some, and no args).
bool takes_kwargs(const TaskContext& ctx);

// v as the type of parameter `index`.
template <class T>
T convert(const TaskContext& ctx, const Value& v, std::size_t index) {
  try {
    return v.template get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw_argument_type(ctx, index, e.what());
  }
}

// The task's arguments as the types in Params (a std::tuple): its positional
// args, or for a single parameter its kwargs when it has no positional ones.
template <class Params, std::size_t... I>
Params decode_args(const TaskContext& ctx, std::index_sequence<I...>) {
  constexpr std::size_t n = sizeof...(I);
  if constexpr (n == 1) {
    if (takes_kwargs(ctx)) return {convert<std::tuple_element_t<0, Params>>(ctx, ctx.kwargs(), 0)};
  }
  check_positional(ctx, n);
  return {convert<std::tuple_element_t<I, Params>>(ctx, ctx.args()[I], I)...};
}

// Calls f with the decoded arguments (and the context first, if it takes one).
template <class F>
decltype(auto) invoke_typed(F& f, TaskContext& ctx) {
  using S = signature<F>;
  using Params = typename S::params;
  if constexpr (S::context && std::tuple_size_v<Params> == 0) {
    return f(ctx);  // reads the arguments itself
  } else {
    auto args = decode_args<Params>(ctx, std::make_index_sequence<std::tuple_size_v<Params>>{});
    if constexpr (S::context) {
      return std::apply(f, std::tuple_cat(std::tie(ctx), std::move(args)));
    } else {
      return std::apply(f, std::move(args));
    }
  }
}

template <class F>
Handler make_handler(F f) {
  using R = typename signature<F>::result;
  if constexpr (Awaitable<R>) {
    return AsyncHandlerMaker<F>::make(std::move(f));
  } else {
    Handler h;
    h.sync = [f = std::move(f)](TaskContext& ctx) mutable -> Value {
      if constexpr (std::is_void_v<R>) {
        invoke_typed(f, ctx);
        return Value(nullptr);
      } else {
        return Value(invoke_typed(f, ctx));
      }
    };
    return h;
  }
}

}  // namespace detail

class Registry {
 public:
  // Registers f under `name` (see above), replacing any handler of that name.
  template <class F>
  Registry& add(std::string name, F f) {
    return add_handler(std::move(name), detail::make_handler(std::move(f)));
  }

  // Registers f for a TaskDef; f must be callable with the TaskDef's arguments
  // and return its result type (or an awaitable of it).
  template <class R, class... Args, class F>
  Registry& add(const TaskDef<R(Args...)>& def, F f) {
    using FR = typename detail::signature<F>::result;
    static_assert(std::is_same_v<FR, R> || detail::AwaitableOf<FR, R>,
                  "handler must return the TaskDef's result type (or asio::awaitable of it)");
    return add(def.name(), std::move(f));
  }

  Registry& add_handler(std::string name, Handler handler);

  // Returns the handler registered under name, or nullptr.
  std::shared_ptr<const Handler> find(std::string_view name) const;
  std::vector<std::string> names() const;
  bool empty() const { return handlers_.empty(); }

 private:
  std::map<std::string, std::shared_ptr<const Handler>, std::less<>> handlers_;
};

}  // namespace omniq
