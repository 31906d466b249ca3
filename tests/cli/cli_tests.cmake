# Extra set-up of omniq_cli_tests (included from tests/CMakeLists.txt): the
# path of the omniq binary and of two plugins, built before the tests.
omniq_cli_plugin(omniq_test_plugin ${CMAKE_CURRENT_SOURCE_DIR}/cli/plugins/test_plugin.cpp)
omniq_cli_plugin(omniq_no_register_plugin
  ${CMAKE_CURRENT_SOURCE_DIR}/cli/plugins/no_register_plugin.cpp)
add_dependencies(omniq_cli_tests omniq_cli omniq_test_plugin omniq_no_register_plugin)
target_compile_definitions(omniq_cli_tests PRIVATE
  OMNIQ_CLI_PATH="$<TARGET_FILE:omniq_cli>"
  OMNIQ_TEST_PLUGIN_PATH="$<TARGET_FILE:omniq_test_plugin>"
  OMNIQ_NO_REGISTER_PLUGIN_PATH="$<TARGET_FILE:omniq_no_register_plugin>")
