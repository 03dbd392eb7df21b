# Fails the build of a test program when one of its doctest case names holds a ';'. ctest reads a
# name as a list and splits it there: the test it registers matches no case, runs no assertion and
# still passes. Run after each link of a test program (tests/CMakeLists.txt).
#
#     cmake -D TEST_PROGRAM=path -P scripts/check-test-names.cmake
execute_process(COMMAND ${TEST_PROGRAM} --list-test-cases --no-version=true
                OUTPUT_VARIABLE listing RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TEST_PROGRAM} --list-test-cases failed (${status})")
endif()
string(REPLACE ";" "<semicolon>" listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(bad "")
foreach(line IN LISTS lines)
  if(line MATCHES "<semicolon>")
    string(REPLACE "<semicolon>" ";" line "${line}")
    string(APPEND bad "\n  ${line}")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "test case names with ';' (ctest would register them as tests that run nothing):${bad}")
endif()
