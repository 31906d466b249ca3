// The token that dashboard actions carry: made from /dev/urandom, checked for
// shape when given, compared in constant time.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace omniq::web {

// 32 random bytes from /dev/urandom as 64 lower-case hex digits. Throws
// std::system_error when /dev/urandom cannot be read.
std::string random_token();

// `given` when it is 16-256 printable ASCII characters without spaces, else
// throws ConfigError; a random_token() when none is given.
std::string checked_token(const std::optional<std::string>& given);

// True when a == b; the time taken depends only on the lengths.
bool tokens_equal(std::string_view a, std::string_view b);

}  // namespace omniq::web
