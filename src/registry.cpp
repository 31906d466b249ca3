#include "omniq/registry.hpp"

namespace omniq {
namespace detail {

void throw_argument_type(const TaskContext& ctx, std::size_t index, const char* what) {
  throw ArgumentError(ctx.func_path() + ": argument " + std::to_string(index + 1) +
                      " does not convert to the handler's parameter type: " + what);
}

void check_positional(const TaskContext& ctx, std::size_t n) {
  if (ctx.args().size() != n) {
    throw ArgumentError(ctx.func_path() + " takes " + std::to_string(n) + " argument(s), got " +
                        std::to_string(ctx.args().size()));
  }
  if (!ctx.kwargs().empty()) {
    throw ArgumentError(ctx.func_path() +
                        ": the task has keyword arguments, which only a handler with one "
                        "parameter (a struct the kwargs object decodes into) and no positional "
                        "arguments takes; or register a handler taking omniq::TaskContext&");
  }
}

bool takes_kwargs(const TaskContext& ctx) {
  return !ctx.kwargs().empty() && ctx.args().empty();
}

}  // namespace detail

Registry& Registry::add_handler(std::string name, Handler handler) {
  if (name.empty()) throw ValidationError("a handler needs a non-empty name");
  if (!handler.sync && !handler.async) {
    throw ValidationError("handler \"" + name + "\" has no callable");
  }
  handlers_[std::move(name)] = std::make_shared<const Handler>(std::move(handler));
  return *this;
}

std::shared_ptr<const Handler> Registry::find(std::string_view name) const {
  auto it = handlers_.find(name);
  return it == handlers_.end() ? nullptr : it->second;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, h] : handlers_) out.push_back(name);
  return out;
}

}  // namespace omniq
