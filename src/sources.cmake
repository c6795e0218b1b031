# The portable sources (src/core, src/crypto) listed once, by who needs them.
# Every build takes its files from here: the PC build (CMakeLists.txt) all of
# them, the ESP-IDF component (ports/esp-idf/CMakeLists.txt) the engine and the
# PSA Crypto port only, the bare-metal cross build (tests/cross/cross_build.sh,
# through `cmake -P` below) all of them, checking that each group needs nothing
# from a later one. A .c file in src/core or src/crypto that is in no list stops
# the PC build's configure step (CMakeLists.txt); tests/cmake/sources.cmake
# checks the lists and the packed component.
#
# Paths are relative to this folder (src/).

# What every device runs: the HTTP API without a transport, the update session,
# the streaming image checker, the signature verifier (with the CRC-32 its
# blocks carry). The ESP-IDF component compiles exactly this
# (its slot writer is esp_ota_ops, so the flash group is not needed there).
set(WEBOTA_ENGINE_SOURCES
  core/api.c
  core/api_auth.c
  core/api_host.c
  core/api_html.c
  core/api_limits.c
  core/api_signature.c
  core/api_respond.c
  core/api_status.c
  core/api_resume.c
  core/app_desc.c
  core/chip.c
  core/confirm.c
  core/crc32.c
  core/err.c
  core/gunzip.c
  core/image.c
  core/json.c
  core/multipart.c
  core/pull.c
  core/release.c
  core/sigblock.c
  core/slot.c
  core/textbuf.c
  core/update.c)

# A device that owns its raw NOR flash (a bare-metal port, the simulator): the
# binary partition table, otadata and the slot writer over webota_flash_t.
set(WEBOTA_FLASH_SOURCES
  core/otadata.c
  core/parttable.c
  core/slot_flash.c)

# PC tooling, never on a device: gen_esp32part's CSV both ways, the built-in
# layouts (written as CSV) and the deterministic image maker (CLI, simulator,
# tests). Portable all the same: the cross build compiles it too.
set(WEBOTA_TOOL_SOURCES
  core/image_make.c
  core/parttable_builtin.c
  core/parttable_csv.c
  core/parttable_csv_decode.c
  core/parttable_csv_emit.c
  core/parttable_csv_lines.c
  core/parttable_csv_value.c
  core/parttable_rules.c)

# The crypto seam on PSA Crypto (mbedTLS on the PC, ESP-IDF's mbedTLS on the device).
set(WEBOTA_CRYPTO_PSA_SOURCES
  crypto/crypto_mac.c
  crypto/crypto_psa.c)

set(WEBOTA_SOURCE_GROUPS ENGINE FLASH TOOL CRYPTO_PSA)

# `cmake -P src/sources.cmake` prints one line per group, "GROUP file file ...",
# for shell scripts (tests/cross/cross_build.sh).
if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  foreach(group ${WEBOTA_SOURCE_GROUPS})
    string(REPLACE ";" " " files "${WEBOTA_${group}_SOURCES}")
    execute_process(COMMAND ${CMAKE_COMMAND} -E echo "${group} ${files}")
  endforeach()
endif()
