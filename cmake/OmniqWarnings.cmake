# omniq_set_warnings(target): the project's warning flags, PRIVATE so they never
# leak into users' builds.
function(omniq_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wformat=2)
endfunction()
