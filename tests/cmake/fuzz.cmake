# Fuzz targets: every fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput. With clang
# (the ASan/UBSan build) each is built with libFuzzer and run for a bounded number
# of inputs, seeded from fuzz/seeds/<name>/ when that folder exists (and from the
# folders listed one per line in fuzz/seeds/<name>.dirs, relative to the source).
if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  file(GLOB WEBOTA_FUZZ_TARGETS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.c)
  set(WEBOTA_FUZZ_RUNS 30000 CACHE STRING "inputs per fuzz target in ctest")
  foreach(src ${WEBOTA_FUZZ_TARGETS})
    get_filename_component(name ${src} NAME_WE)
    string(REGEX REPLACE "^fuzz_" "" short ${name})
    add_executable(${name} ${src})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(${name} PRIVATE webota_sim webota_core)
    set(corpus ${CMAKE_CURRENT_BINARY_DIR}/fuzz-corpus-${short})
    file(MAKE_DIRECTORY ${corpus})
    set(seeds "")
    if(EXISTS ${CMAKE_SOURCE_DIR}/fuzz/seeds/${short})
      list(APPEND seeds ${CMAKE_SOURCE_DIR}/fuzz/seeds/${short})
    endif()
    if(EXISTS ${CMAKE_SOURCE_DIR}/fuzz/seeds/${short}.dirs)
      file(STRINGS ${CMAKE_SOURCE_DIR}/fuzz/seeds/${short}.dirs dirs)
      foreach(d ${dirs})
        list(APPEND seeds ${CMAKE_SOURCE_DIR}/${d})
      endforeach()
    endif()
    add_test(NAME fuzz.${short}
             COMMAND ${name} -runs=${WEBOTA_FUZZ_RUNS} -max_total_time=30 -max_len=65536
                     -print_final_stats=1 ${corpus} ${seeds})
    set_tests_properties(fuzz.${short} PROPERTIES TIMEOUT 180)
  endforeach()
endif()
