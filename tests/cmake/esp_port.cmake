# The portable pieces of the ESP-IDF port, tested on the PC: the captive-portal
# DNS answer (checked against libresolv's parser), and the Kconfig symbols the
# component and the example use (each defined by the component's Kconfig or in
# the list of ESP-IDF symbols checked against ESP-IDF v5.5, docs/esp-idf.md).
set(WEBOTA_ESP_SRC ${CMAKE_SOURCE_DIR}/ports/esp-idf/src)
add_executable(test_esp_dns_msg ${CMAKE_SOURCE_DIR}/tests/esp/test_dns_msg.c
                                ${WEBOTA_ESP_SRC}/webota_dns_msg.c)
target_include_directories(test_esp_dns_msg PRIVATE ${WEBOTA_ESP_SRC})
target_link_libraries(test_esp_dns_msg PRIVATE PkgConfig::CMOCKA resolv)
add_test(NAME esp.dns_msg COMMAND test_esp_dns_msg)
set_tests_properties(esp.dns_msg PROPERTIES TIMEOUT 60)

# The URL prefix rules of the HTTP binding (what reaches the API under
# WEBOTA_URL_PREFIX, what is redirected to "<prefix>/", what is not ours).
add_executable(test_esp_url ${CMAKE_SOURCE_DIR}/tests/esp/test_url.c ${WEBOTA_ESP_SRC}/webota_url.c)
target_include_directories(test_esp_url PRIVATE ${WEBOTA_ESP_SRC})
target_link_libraries(test_esp_url PRIVATE PkgConfig::CMOCKA)
add_test(NAME esp.url COMMAND test_esp_url)
set_tests_properties(esp.url PROPERTIES TIMEOUT 60)

add_test(NAME esp.kconfig_symbols
         COMMAND ${CMAKE_SOURCE_DIR}/tests/esp/check_kconfig.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(esp.kconfig_symbols PROPERTIES TIMEOUT 60)

# The example's partitions.csv gives, byte for byte, the binary table ESP-IDF's
# gen_esp32part.py makes from its own "Factory app, two OTA definitions".
add_test(NAME esp.example_partition_table
         COMMAND sh -c "\"$1\" parttable gen --flash-size 4MB \"$2\" \"$3\" && cmp \"$3\" \"$4\""
                 sh $<TARGET_FILE:webota> ${CMAKE_SOURCE_DIR}/examples/softap_ota/partitions.csv
                 ${CMAKE_CURRENT_BINARY_DIR}/softap_ota_partitions.bin
                 ${CMAKE_SOURCE_DIR}/tests/vectors/parttable/builtin_two_ota.bin)
set_tests_properties(esp.example_partition_table PROPERTIES TIMEOUT 60)

# The source lists shared by the PC, ESP-IDF and cross builds match the files
# that exist, the component compiles the device engine and not the PC tooling,
# and the packed component holds every file it compiles.
add_test(NAME esp.component_sources
         COMMAND ${CMAKE_COMMAND} -DSRC=${CMAKE_SOURCE_DIR}
                 -DOUT=${CMAKE_CURRENT_BINARY_DIR}/packed_component -P
                 ${CMAKE_SOURCE_DIR}/tests/esp/check_sources.cmake)
set_tests_properties(esp.component_sources PROPERTIES TIMEOUT 60)

# The component's build-time tool for CONFIG_WEBOTA_TRUSTED_KEYS gives, for each
# espsecure test key (public or private PEM), the SBv2 key digest espsecure
# digest_sbv2_public_key wrote, and refuses a P-192 key.
add_test(NAME esp.trusted_keys
         COMMAND sh -c "set -e; k=\"$1/tests/vectors/sbv2/keys\"; out=\"$2\"
                  python3 \"$1/ports/esp-idf/tools/sbv2_trusted_keys.py\" \"$out\" \"$k/p256_a.pub.pem\" \"$k/p384.pem\" \"$k/rsa3072.pub.pem\"
                  for n in p256_a p384 rsa3072; do grep -q \"$(cat \"$k/$n.digest.hex\")\" \"$out\"; done
                  grep -q 'webota_esp_trusted_key_count = 3;' \"$out\"
                  if python3 \"$1/ports/esp-idf/tools/sbv2_trusted_keys.py\" \"$out.2\" \"$k/p192.pub.pem\" 2>/dev/null; then exit 1; fi"
                 sh ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/webota_trusted_keys.c)
set_tests_properties(esp.trusted_keys PROPERTIES TIMEOUT 60)
