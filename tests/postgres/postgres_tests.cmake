# The PostgreSQL backend's tests (include()d from tests/CMakeLists.txt).
#
# A CTest fixture starts a throwaway PostgreSQL 15 server
# (scripts/pg-test-server.sh) before the tests and stops it after them, also
# when they fail. The tests run in one process through the script, which
# hands them the server's URL in OMNIQ_TEST_PG_URL (and the means to stop
# and restart it, for the connection-loss tests). A machine where the server
# cannot start fails them with the script's reason; nothing is skipped.
find_package(PostgreSQL REQUIRED)

set(omniq_pg_script ${PROJECT_SOURCE_DIR}/scripts/pg-test-server.sh)
set(omniq_pg_dir ${CMAKE_CURRENT_BINARY_DIR}/pg-test-server)

file(GLOB omniq_pg_test_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*_test.cpp)
# The backend-independent suites run here on PostgreSQL (OMNIQ_TEST_POSTGRES
# makes tests/support/backends.hpp name it alone): the storage conformance
# suite unchanged, the engine's lifecycle and control tests, and the
# regressions that concern every backend.
file(GLOB omniq_pg_shared_sources CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/tests/storage/conformance_*_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/storage/multiprocess_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/engine/lifecycle_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/engine/control_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/engine/compat_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/engine/queues_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/regressions/cancel_request_kept_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/regressions/lost_worker_policy_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/regressions/free_slot_claims_test.cpp)
add_executable(omniq_postgres_tests ${omniq_pg_test_sources} ${omniq_pg_shared_sources})
target_compile_definitions(omniq_postgres_tests PRIVATE OMNIQ_TEST_POSTGRES)
target_link_libraries(omniq_postgres_tests PRIVATE omniq GTest::gtest GTest::gtest_main
  GTest::gmock PostgreSQL::PostgreSQL spdlog::spdlog)
target_include_directories(omniq_postgres_tests PRIVATE ${PROJECT_SOURCE_DIR}/src
  ${PROJECT_SOURCE_DIR}/tests ${CMAKE_CURRENT_LIST_DIR})
if(COMMAND omniq_set_warnings)
  omniq_set_warnings(omniq_postgres_tests)
endif()

add_test(NAME postgres.server_start COMMAND ${omniq_pg_script} start ${omniq_pg_dir})
set_tests_properties(postgres.server_start PROPERTIES
  FIXTURES_SETUP omniq_postgres_server TIMEOUT 120 RESOURCE_LOCK omniq_postgres_server)

add_test(NAME postgres.tests
  COMMAND ${omniq_pg_script} run ${omniq_pg_dir} -- $<TARGET_FILE:omniq_postgres_tests>)
set_tests_properties(postgres.tests PROPERTIES
  FIXTURES_REQUIRED omniq_postgres_server TIMEOUT 900 RESOURCE_LOCK omniq_postgres_server)

add_test(NAME postgres.server_stop COMMAND ${omniq_pg_script} stop ${omniq_pg_dir})
set_tests_properties(postgres.server_stop PROPERTIES
  FIXTURES_CLEANUP omniq_postgres_server TIMEOUT 120 RESOURCE_LOCK omniq_postgres_server)
