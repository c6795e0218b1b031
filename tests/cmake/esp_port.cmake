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

add_test(NAME esp.kconfig_symbols
         COMMAND ${CMAKE_SOURCE_DIR}/tests/esp/check_kconfig.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(esp.kconfig_symbols PROPERTIES TIMEOUT 60)
