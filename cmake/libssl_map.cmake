# Writes the version script of the drop-in libssl.so.3: every name of
# OpenSSL 3.0's libssl ABI (NAMES, one per line) that the C interface's
# objects define, in OpenSSL's version node OPENSSL_3.0.0; everything else
# (rapidtls's C++ internals, the static C++ runtime) is local.
# Usage: cmake -DNM=nm -DNAMES=libssl.names -DOUT=libssl.map -DOBJECTS="a.o|b.o" -P libssl_map.cmake
cmake_policy(VERSION 3.25)
file(STRINGS "${NAMES}" abi)
string(REPLACE "|" ";" OBJECTS "${OBJECTS}")
execute_process(COMMAND "${NM}" -g --defined-only ${OBJECTS}
                OUTPUT_VARIABLE nm_out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "libssl_map: ${NM} failed (${rc})")
endif()
string(REGEX MATCHALL "[0-9a-f]+ [TW] [A-Za-z0-9_]+" defs "${nm_out}")
set(defined "")
foreach(d ${defs})
  string(REGEX REPLACE "^[0-9a-f]+ [TW] " "" name "${d}")
  list(APPEND defined "${name}")
endforeach()
set(out "OPENSSL_3.0.0 {\n  global:\n")
set(count 0)
foreach(name ${abi})
  if(name IN_LIST defined)
    string(APPEND out "    ${name};\n")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
string(APPEND out "  local:\n    *;\n};\n")
# Rewritten only when it changes, so that an unchanged list relinks nothing.
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL out)
  file(WRITE "${OUT}" "${out}")
endif()
