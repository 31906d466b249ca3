# Runs `omniq bench <ARGS> --json` and checks that its output is one JSON
# object in which every name in FIELDS is a number (a dotted name reaches into
# a nested object, e.g. baseline.drain_per_s; name[0].x into an array). Checks
# what the report holds, never how fast anything was.
#
#   cmake -DCLI=path/to/omniq "-DARGS=--tasks 200" "-DFIELDS=drain_per_s ..." -P check_bench_json.cmake
#
# In ARGS, @pg_url@ stands for $OMNIQ_TEST_PG_URL (the PostgreSQL test server).
cmake_minimum_required(VERSION 3.25)

separate_arguments(args UNIX_COMMAND "${ARGS}")
# @pg_url@: the PostgreSQL test server's URL (tests/postgres's fixture).
if(DEFINED ENV{OMNIQ_TEST_PG_URL})
  list(TRANSFORM args REPLACE "^@pg_url@$" "$ENV{OMNIQ_TEST_PG_URL}")
endif()
separate_arguments(fields UNIX_COMMAND "${FIELDS}")
execute_process(COMMAND ${CLI} bench ${args} --json --no-progress
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "omniq bench ${ARGS} exited with ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
string(STRIP "${out}" out)
string(JSON type ERROR_VARIABLE json_error TYPE "${out}")
if(json_error OR NOT type STREQUAL "OBJECT")
  message(FATAL_ERROR "omniq bench ${ARGS} did not print one JSON object: ${json_error}\n${out}")
endif()

set(missing "")
foreach(field IN LISTS fields)
  # a.b[2].c -> a b 2 c
  string(REGEX REPLACE "\\[([0-9]+)\\]" ".\\1" path "${field}")
  string(REPLACE "." ";" path "${path}")
  string(JSON t ERROR_VARIABLE e TYPE "${out}" ${path})
  if(e OR NOT t STREQUAL "NUMBER")
    list(APPEND missing "${field} (${t}${e})")
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "omniq bench ${ARGS}: fields missing or not numbers: ${missing}\n${out}")
endif()
foreach(field backend durability mode omniq_version)
  string(JSON t ERROR_VARIABLE e TYPE "${out}" ${field})
  if(e OR NOT t STREQUAL "STRING")
    message(FATAL_ERROR "omniq bench ${ARGS}: field ${field} missing or not a string\n${out}")
  endif()
endforeach()
message(STATUS "omniq bench ${ARGS}: ${out}")
