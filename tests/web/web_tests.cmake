# The tests of omniq::web (included from tests/CMakeLists.txt when the
# omniq_web target exists):
#
# - omniq_web_tests: GoogleTest unit tests of the pieces that need no server.
# - web.*: Node.js scripts run against the real `omniq` binary, each as
#     node tests/web/<name>.test.mjs <omniq binary> <scratch dir in the build tree>
#   on a SQLite store it seeds with the command line; screenshots go to
#   <scratch dir>/screenshots. The browser tests (dashboard, xss) need Debian's
#   Chromium (/usr/bin/chromium) and playwright-core (`npm ci` in tests/web,
#   which scripts/install-deps.sh runs); without them they fail and say why.
add_executable(omniq_web_tests ${CMAKE_CURRENT_SOURCE_DIR}/web/web_views_test.cpp)
target_link_libraries(omniq_web_tests PRIVATE omniq_web GTest::gtest GTest::gtest_main)
target_include_directories(omniq_web_tests PRIVATE ${PROJECT_SOURCE_DIR}/src)
omniq_set_warnings(omniq_web_tests)
gtest_discover_tests(omniq_web_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 60)

find_program(OMNIQ_NODE node)
if(NOT TARGET omniq_cli OR NOT OMNIQ_NODE)
  message(STATUS "node or the omniq command line missing: the web.* tests are not registered")
  return()
endif()
foreach(name dashboard xss api metrics)
  add_test(NAME web.${name}
    COMMAND ${OMNIQ_NODE} ${CMAKE_CURRENT_SOURCE_DIR}/web/${name}.test.mjs
            $<TARGET_FILE:omniq_cli> ${CMAKE_CURRENT_BINARY_DIR}/web/${name}
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/web)
  set_tests_properties(web.${name} PROPERTIES TIMEOUT 300 LABELS web)
endforeach()
# Each browser test starts a Chromium: not two at once on a small machine.
set_tests_properties(web.dashboard web.xss PROPERTIES RESOURCE_LOCK chromium)
