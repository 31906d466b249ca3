# The multi-host test (include()d from tests/CMakeLists.txt): four worker
# processes as four hosts, each in a network namespace of its own, drain
# tasks from one throwaway PostgreSQL server through a SIGKILL, a network
# cut-off and a server restart. run_multihost.sh makes the namespaces and the
# server and removes them afterwards; without root or iproute2 it falls back
# to processes on 127.0.0.1 (and says so). OMNIQ_MULTIHOST_LONG=1 in the
# environment selects the long run (50,000 tasks, three rounds of faults).
find_package(PostgreSQL REQUIRED)

add_executable(omniq_multihost_worker ${CMAKE_CURRENT_LIST_DIR}/multihost_worker_main.cpp)
target_link_libraries(omniq_multihost_worker PRIVATE omniq spdlog::spdlog)
target_include_directories(omniq_multihost_worker PRIVATE ${PROJECT_SOURCE_DIR}/tests)
omniq_set_warnings(omniq_multihost_worker)

add_executable(omniq_multihost_tests ${CMAKE_CURRENT_LIST_DIR}/multihost_test.cpp)
target_link_libraries(omniq_multihost_tests PRIVATE omniq GTest::gtest GTest::gtest_main
  PostgreSQL::PostgreSQL spdlog::spdlog)
target_include_directories(omniq_multihost_tests PRIVATE ${PROJECT_SOURCE_DIR}/src
  ${PROJECT_SOURCE_DIR}/tests ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(omniq_multihost_tests PRIVATE
  OMNIQ_MULTIHOST_WORKER="$<TARGET_FILE:omniq_multihost_worker>")
add_dependencies(omniq_multihost_tests omniq_multihost_worker)
omniq_set_warnings(omniq_multihost_tests)

add_test(NAME multihost.drain_through_faults
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_multihost.sh $<TARGET_FILE:omniq_multihost_tests>
          ${CMAKE_CURRENT_BINARY_DIR}/multihost)
set_tests_properties(multihost.drain_through_faults PROPERTIES
  TIMEOUT 2400 LABELS multihost RUN_SERIAL TRUE)
