# The layering check (exporter/CMakeLists.txt runs it before every build; the ctest
# layering_check proves it fails on a wrong include).
#
#   cmake -DROOT=<exporter dir> -DMANIFEST=<file> -P check_layers.cmake
#
# MANIFEST has one line per module: name|folder or file|dep,dep|header-prefix,...
# A file of a module may include, with "", only headers of its own module and of the
# modules it declares; with <>, a third-party header named in THIRD_PARTY below only
# when its module declares that prefix. Standard and system headers are free.
# Every problem is listed, then the check fails.

cmake_minimum_required(VERSION 3.20)

set(THIRD_PARTY spdlog/ mysql.h mysqld_error.h mariadb/ pqxx/ libpq-fe.h yaml-cpp/
    CivetServer.h civetweb.h openssl/ crypt.h prometheus/ curl/ nlohmann/ CLI/
    gtest/ gmock/ zlib.h)

if(NOT ROOT OR NOT MANIFEST)
  message(FATAL_ERROR "usage: cmake -DROOT=dir -DMANIFEST=file -P check_layers.cmake")
endif()
file(STRINGS ${MANIFEST} lines)
set(modules "")
foreach(line ${lines})
  string(REPLACE "|" ";" fields "${line}")
  list(GET fields 0 name)
  list(GET fields 1 where)
  list(LENGTH fields count)
  set(deps "")
  set(headers "")
  if(count GREATER 2)
    list(GET fields 2 deps)
  endif()
  if(count GREATER 3)
    list(GET fields 3 headers)
  endif()
  string(REPLACE "," ";" deps "${deps}")
  string(REPLACE "," ";" headers "${headers}")
  list(APPEND modules ${name})
  set(where_${name} ${where})
  set(deps_${name} ${deps})
  set(headers_${name} ${headers})
endforeach()

set(problems "")
set(folders_seen "")
foreach(module ${modules})
  set(where ${where_${module}})
  if(IS_DIRECTORY ${ROOT}/${where})
    file(GLOB files RELATIVE ${ROOT} ${ROOT}/${where}/*.h ${ROOT}/${where}/*.cc
         ${ROOT}/${where}/*.c)
    list(APPEND folders_seen ${where})
  else()
    set(files ${where})
  endif()
  set(allowed ${module} ${deps_${module}})
  foreach(file ${files})
    file(STRINGS ${ROOT}/${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(include ${includes})
      if(include MATCHES "\"([A-Za-z0-9_]+)/[^\"]*\"")
        set(target_module ${CMAKE_MATCH_1})
        if(NOT target_module IN_LIST allowed)
          list(APPEND problems
               "${file}: ${include}: module ${module} may not include ${target_module}/ (declare it in DEPS of msx_module(${module}) if the layering allows it)")
        endif()
      elseif(include MATCHES "<([^>]+)>")
        set(header ${CMAKE_MATCH_1})
        foreach(prefix ${THIRD_PARTY})
          string(FIND "${header}" "${prefix}" at)
          if(at EQUAL 0)
            if(NOT prefix IN_LIST headers_${module})
              list(APPEND problems
                   "${file}: ${include}: module ${module} may not include ${prefix} (only the modules that declare it in HEADERS)")
            endif()
          endif()
        endforeach()
      endif()
    endforeach()
  endforeach()
endforeach()

# A folder no module owns would escape the check.
file(GLOB entries RELATIVE ${ROOT} ${ROOT}/*)
foreach(entry ${entries})
  if(IS_DIRECTORY ${ROOT}/${entry} AND NOT entry IN_LIST folders_seen)
    list(APPEND problems "${entry}/: no module owns this folder")
  endif()
endforeach()

if(problems)
  list(LENGTH problems n)
  string(REPLACE ";" "\n  " text "${problems}")
  message(FATAL_ERROR "layering check: ${n} problem(s):\n  ${text}")
endif()
