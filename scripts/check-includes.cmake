# Fails when a module includes a header it may not use. Run by the build before a module compiles
# (feedd_module in CMakeLists.txt), and by tests/boundaries on copies with a wrong include.
#
#   cmake -D RULES=<build>/src/<module>/include-rules.cmake [-D ROOT=<tree>] [-D STAMP=<file>]
#         -P scripts/check-includes.cmake
#
# RULES (written by feedd_module) sets MODULE, PUBLIC_DEPS and DEPS: what src/<module>/CMakeLists.txt
# links, which is the module's allowed-dependency table. ROOT (default: this repository) holds
# src/<module>/ (private sources and headers) and include/feedd/<module>/ (public headers).
#
# The rules, one line of output per break:
#  - "feedd/<m>/..." only when the module links feedd_<m> (PUBLIC for a public header);
#  - a private header "<m>/..." only from module <m> itself; no "../" between folders;
#  - a library's headers only when the module links that library, and never in a public header
#    (library types stay out of the API; src/<module>/*.hpp may hold them).
# A header the table below does not name (the standard library, POSIX, glibc) is not checked.
cmake_minimum_required(VERSION 3.25)

# Header (regex on the include path) -> the CMake target that provides it.
set(library_headers
    "^curl/" CURL::libcurl
    "^libpsl\\.h$" PkgConfig::PSL
    "^boost/" Boost::boost
    "^pugixml\\.hpp$" pugixml::pugixml
    "^SQLiteCpp/" SQLiteCpp
    "^sqlite3\\.h$" SQLite::SQLite3
    "^sqlite3ext\\.h$" SQLite::SQLite3
    "^zstd\\.h$" PkgConfig::ZSTD
    "^xxhash\\.h$" PkgConfig::XXHASH
    "^libdeflate\\.h$" PkgConfig::DEFLATE
    "^brotli/decode\\.h$" PkgConfig::BROTLIDEC
    "^libpq-fe\\.h$" PkgConfig::PQ
    "^toml\\+\\+/" tomlplusplus::tomlplusplus
    "^nlohmann/" nlohmann_json::nlohmann_json
    "^uriparser/" uriparser::uriparser
    "^gumbo\\.h$" PkgConfig::GUMBO
    "^systemd/" PkgConfig::SYSTEMD
    "^CLI/" CLI11::CLI11
    "^openssl/" OpenSSL::Crypto
    # Linked by no module: only the tests' HTTP server uses it.
    "^zlib\\.h$" ZLIB::ZLIB
    "^doctest/" doctest::doctest)

if(NOT DEFINED RULES)
  message(FATAL_ERROR "check-includes: pass -D RULES=<build>/src/<module>/include-rules.cmake")
endif()
include(${RULES})
if(NOT DEFINED ROOT)
  get_filename_component(ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
endif()

set(rules_file "src/${MODULE}/CMakeLists.txt")
set(broken 0)
macro(report file line text)
  file(RELATIVE_PATH where "${ROOT}" "${file}")
  message(NOTICE "${where}:${line}: ${text}")
  math(EXPR broken "${broken} + 1")
endmacro()

function(library_of path out)
  set(${out} "" PARENT_SCOPE)
  set(rest ${library_headers})
  while(rest)
    list(POP_FRONT rest pattern target)
    if(path MATCHES "${pattern}")
      set(${out} ${target} PARENT_SCOPE)
      return()
    endif()
  endwhile()
endfunction()

file(GLOB_RECURSE private_files "${ROOT}/src/${MODULE}/*.cpp" "${ROOT}/src/${MODULE}/*.hpp"
     "${ROOT}/src/${MODULE}/*.h" "${ROOT}/src/${MODULE}/*.inc")
file(GLOB_RECURSE public_files "${ROOT}/include/feedd/${MODULE}/*")

foreach(file IN LISTS private_files public_files)
  if(file IN_LIST public_files)
    set(public TRUE)
  else()
    set(public FALSE)
  endif()
  file(STRINGS "${file}" lines)
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]*([<\"])([^>\"]+)[>\"]")
      continue()
    endif()
    set(quoted "${CMAKE_MATCH_1}")
    set(path "${CMAKE_MATCH_2}")
    set(shown "#include ${quoted}${path}")
    if(quoted STREQUAL "\"")
      string(APPEND shown "\"")
    else()
      string(APPEND shown ">")
    endif()

    if(path MATCHES "^feedd/([^/]+)/")
      set(other "${CMAKE_MATCH_1}")
      if(other STREQUAL MODULE)
        continue()
      endif()
      if(public AND NOT feedd_${other} IN_LIST PUBLIC_DEPS)
        report("${file}" ${number}
               "${shown}: a public header of ${MODULE} may name only modules it links PUBLIC (${rules_file})")
      elseif(NOT feedd_${other} IN_LIST PUBLIC_DEPS AND NOT feedd_${other} IN_LIST DEPS)
        report("${file}" ${number} "${shown}: ${MODULE} does not link feedd_${other} (${rules_file})")
      endif()
      continue()
    endif()

    if(path MATCHES "(^|/)\\.\\./")
      report("${file}" ${number} "${shown}: no '../' includes; a module includes only its own folder")
      continue()
    endif()

    if(quoted STREQUAL "\"" AND path MATCHES "^([^/]+)/")
      set(owner "${CMAKE_MATCH_1}")
      if(public)
        report("${file}" ${number} "${shown}: a public header may not include private headers")
      elseif(NOT owner STREQUAL MODULE)
        report("${file}" ${number}
               "${shown}: a private header of ${owner}; only ${owner} includes it (use its public header)")
      endif()
      continue()
    endif()

    library_of("${path}" library)
    if(library)
      if(public)
        report("${file}" ${number}
               "${shown}: public headers carry no library types (${library}); keep it in src/${MODULE}")
      elseif(NOT library IN_LIST DEPS)
        report("${file}" ${number} "${shown}: ${MODULE} does not link ${library} (${rules_file})")
      endif()
    endif()
  endforeach()
endforeach()

if(broken GREATER 0)
  message(FATAL_ERROR "module ${MODULE}: ${broken} include(s) it may not use")
endif()
if(DEFINED STAMP)
  file(TOUCH "${STAMP}")
endif()
