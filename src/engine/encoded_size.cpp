#include "engine/encoded_size.hpp"

namespace omniq {
namespace {

struct LimitReached {};

class CountingOutput final : public nlohmann::detail::output_adapter_protocol<char> {
 public:
  explicit CountingOutput(std::size_t limit) : limit_(limit) {}
  void write_character(char) override { add(1); }
  void write_characters(const char*, std::size_t length) override { add(length); }
  std::size_t count() const { return count_; }

 private:
  void add(std::size_t n) {
    count_ += n;
    if (count_ > limit_) throw LimitReached{};
  }
  std::size_t limit_;
  std::size_t count_ = 0;
};

}  // namespace

std::size_t encoded_size(const Value& v, std::size_t limit) {
  auto out = std::make_shared<CountingOutput>(limit);
  nlohmann::detail::serializer<Value> s(out, ' ', nlohmann::detail::error_handler_t::replace);
  try {
    s.dump(v, false, false, 0);
  } catch (const LimitReached&) {
    return limit + 1;
  }
  return out->count();
}

}  // namespace omniq
