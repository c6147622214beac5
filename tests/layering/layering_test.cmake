# The ctest layering_check: the check of cmake/check_layers.cmake passes on the real
# tree and fails, naming the file, when a module includes another it does not
# declare, or a third-party header it does not declare.
#   cmake -DROOT=<exporter> -DMANIFEST=<manifest> -DCHECK=<check_layers.cmake>
#         -DWORK=<scratch dir> -P layering_test.cmake
cmake_minimum_required(VERSION 3.20)

function(run_check root out_result out_text)
  execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${root} -DMANIFEST=${MANIFEST}
                          -P ${CHECK}
                  RESULT_VARIABLE result ERROR_VARIABLE text OUTPUT_VARIABLE text)
  set(${out_result} ${result} PARENT_SCOPE)
  set(${out_text} "${text}" PARENT_SCOPE)
endfunction()

run_check(${ROOT} result text)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the real tree fails the layering check:\n${text}")
endif()

# judge/ may use model/ only; metrics/ may not use a database client.
foreach(case "judge/verdict.cc|#include \"source/source.h\"|module judge may not include source/"
             "metrics/metrics.cc|#include <mysql.h>|module metrics may not include mysql.h"
             "model/verdict.cc|#include \"common/clock.h\"|module model may not include common/")
  string(REPLACE "|" ";" fields "${case}")
  list(GET fields 0 file)
  list(GET fields 1 line)
  list(GET fields 2 expected)
  file(REMOVE_RECURSE ${WORK})
  file(COPY ${ROOT}/ DESTINATION ${WORK})
  file(APPEND ${WORK}/${file} "${line}\n")
  run_check(${WORK} result text)
  if(result EQUAL 0)
    message(FATAL_ERROR "${line} in ${file} passed the layering check")
  endif()
  string(FIND "${text}" "${file}: ${line}: ${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected \"${file}: ${line}: ${expected}\" in:\n${text}")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
message(STATUS "layering check: passes the tree, rejects each wrong include")
