# Portability proof: the portable core and the crypto port compile for bare-metal
# Cortex-M4 (arm-none-eabi-gcc, newlib-nano) and RV32IMC (riscv64-unknown-elf-gcc,
# picolibc) with -Os -Werror, call nothing beyond string functions and PSA Crypto,
# and their code size per module is printed (ctest -V -R cross).
foreach(target cortex-m4 rv32imc)
  add_test(NAME cross.${target}
           COMMAND ${CMAKE_SOURCE_DIR}/tests/cross/cross_build.sh ${target} ${CMAKE_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/cross/${target})
  set_tests_properties(cross.${target} PROPERTIES TIMEOUT 300)
endforeach()
