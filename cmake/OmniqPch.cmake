# omniq_use_pch(target [TESTS]): precompile the third-party headers most
# translation units include (nlohmann::json, asio's coroutine support, and
# GoogleTest for test binaries). Parsing them is a third of a typical file's
# compile time; with OMNIQ_PRECOMPILED_HEADERS=OFF each file parses them again.
function(omniq_use_pch target)
  if(NOT OMNIQ_PRECOMPILED_HEADERS)
    return()
  endif()
  set(headers <nlohmann/json.hpp> <asio/awaitable.hpp> <asio/co_spawn.hpp>
      <asio/use_awaitable.hpp> <asio/steady_timer.hpp> <asio/post.hpp>)
  if("TESTS" IN_LIST ARGN)
    list(APPEND headers <gtest/gtest.h>)
  endif()
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()
