# omniq_set_warnings(target): the project's warning flags, PRIVATE so they never
# leak into users' builds.
function(omniq_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wformat=2)
  # g++ 12 flags Asio's coroutine frames, whose operator new and delete match,
  # in some co_await shapes (GCC bug 109224).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
endfunction()
