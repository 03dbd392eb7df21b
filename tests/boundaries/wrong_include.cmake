# One case of tests/boundaries: copies module MODULE of SOURCE to WORK, adds INCLUDE to FILE (none
# when FILE is empty), runs the include check with the module's rules, and expects it to fail with
# a line naming FILE, INCLUDE and EXPECTED (or to pass when FILE is empty).
cmake_minimum_required(VERSION 3.25)
string(MAKE_C_IDENTIFIER "${MODULE}-${FILE}-${INCLUDE}" case)
set(root ${WORK}/${case})
file(REMOVE_RECURSE ${root})
file(COPY ${SOURCE}/src/${MODULE} DESTINATION ${root}/src)
if(EXISTS ${SOURCE}/include/feedd/${MODULE})
  file(COPY ${SOURCE}/include/feedd/${MODULE} DESTINATION ${root}/include/feedd)
endif()
if(FILE)
  file(READ ${root}/${FILE} text)
  # After the first include, where a reviewer would not notice it.
  string(FIND "${text}" "\n" end)
  math(EXPR end "${end} + 1")
  string(SUBSTRING "${text}" 0 ${end} head)
  string(SUBSTRING "${text}" ${end} -1 tail)
  file(WRITE ${root}/${FILE} "${head}${INCLUDE}\n${tail}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -D RULES=${RULES} -D ROOT=${root}
                        -P ${SOURCE}/scripts/check-includes.cmake
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${err}")
if(NOT FILE)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "the include check fails on module ${MODULE} as it is")
  endif()
  return()
endif()
if(status EQUAL 0)
  message(FATAL_ERROR "the include check passed ${FILE} with ${INCLUDE}")
endif()
# The line of the break: file and line number, the include, the rule.
string(FIND "${err}" "${FILE}:2: ${INCLUDE}: " at_file)
string(FIND "${err}" "${EXPECTED}" at_rule)
if(at_file EQUAL -1 OR at_rule EQUAL -1)
  message(FATAL_ERROR "the include check failed without the line '${FILE}:2: ${INCLUDE}: ...${EXPECTED}...'")
endif()
