#include "web/token.hpp"

#include <array>
#include <cerrno>
#include <fstream>
#include <system_error>

#include "omniq/error.hpp"

namespace omniq::web {

std::string random_token() {
  std::array<char, 32> bytes{};
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(bytes.data(), bytes.size())) {
    throw std::system_error(errno, std::generic_category(), "cannot read /dev/urandom");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    token += kHex[b >> 4];
    token += kHex[b & 0xf];
  }
  return token;
}

std::string checked_token(const std::optional<std::string>& given) {
  if (!given) return random_token();
  bool printable = true;
  for (char c : *given) printable = printable && c > ' ' && c < 0x7f;
  if (!printable || given->size() < 16 || given->size() > 256) {
    throw ConfigError(
        "the dashboard token must be 16-256 printable ASCII characters without "
        "spaces (got " +
        std::to_string(given->size()) + " characters)");
  }
  return *given;
}

bool tokens_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace omniq::web
