# The benchmark program (bench/README.md): built with everything, never run by
# ctest (speed is measured by bench/run.sh under valgrind, not asserted).
add_executable(bench_update ${CMAKE_SOURCE_DIR}/bench/bench_update.c)
target_include_directories(bench_update PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(bench_update PRIVATE webota_sim webota_core)
