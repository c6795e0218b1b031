# The ESP-IDF binding on the PC: every source of ports/esp-idf/src except the
# Wi-Fi/esp_netif bring-up (webota_esp_wifi.c, replaced by a host AP with the
# default address) and the ROM inflater glue (webota_esp_inflate.c), compiled against the host stand-in of the ESP-IDF v5.5
# APIs it calls (tests/esp/idf_host, see its README.md). Test-only: the
# ESP-IDF component never compiles anything under tests/.
set(WEBOTA_IDF_HOST ${CMAKE_SOURCE_DIR}/tests/esp/idf_host)
file(GLOB WEBOTA_ESP_BINDING_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/ports/esp-idf/src/*.c)
list(REMOVE_ITEM WEBOTA_ESP_BINDING_SOURCES ${CMAKE_SOURCE_DIR}/ports/esp-idf/src/webota_esp_wifi.c
     # gzip uploads use the ROM's miniz inflater, which the host does not have:
     # the stand-in's sdkconfig.h leaves CONFIG_WEBOTA_GZIP_UPLOADS off
     ${CMAKE_SOURCE_DIR}/ports/esp-idf/src/webota_esp_inflate.c)
file(GLOB WEBOTA_IDF_HOST_SOURCES CONFIGURE_DEPENDS ${WEBOTA_IDF_HOST}/*.c)
find_package(Threads REQUIRED)
function(webota_esp_host_library name)
  add_library(${name} STATIC ${WEBOTA_ESP_BINDING_SOURCES} ${WEBOTA_IDF_HOST_SOURCES})
  target_include_directories(${name}
    PUBLIC ${WEBOTA_IDF_HOST}/include ${CMAKE_SOURCE_DIR}/ports/esp-idf/include
           ${CMAKE_SOURCE_DIR}/ports/esp-idf/src ${CMAKE_SOURCE_DIR}/src
    PRIVATE ${WEBOTA_IDF_HOST} ${MBEDTLS_INCLUDE_DIR})
  target_link_libraries(${name} PUBLIC webota_sim webota_core webota_web Threads::Threads)
endfunction()
# As the example builds it (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y) ...
webota_esp_host_library(webota_esp_host)
# ... and without rollback (the stand-in's sdkconfig.h leaves it out).
webota_esp_host_library(webota_esp_host_norollback)
target_compile_definitions(webota_esp_host_norollback PUBLIC IDF_HOST_NO_ROLLBACK)

# The integration cases of test_sim_http.c, on the binding.
add_executable(test_esp_binding ${CMAKE_SOURCE_DIR}/tests/esp/test_esp_binding.c
                                ${CMAKE_SOURCE_DIR}/tests/unit/testutil.c)
target_include_directories(test_esp_binding PRIVATE ${CMAKE_SOURCE_DIR}/tests/unit)
target_compile_definitions(test_esp_binding PRIVATE WEBOTA_VECTORS="${WEBOTA_VECTORS}")
target_link_libraries(test_esp_binding PRIVATE webota_esp_host PkgConfig::CMOCKA)
add_test(NAME esp.binding COMMAND test_esp_binding)
set_tests_properties(esp.binding PROPERTIES TIMEOUT 300)

# The power-loss proof of tests/unit/test_powerloss.c through the binding's
# slot writer and the esp_ota_ops stand-in.
add_executable(test_esp_powerloss ${CMAKE_SOURCE_DIR}/tests/esp/test_esp_powerloss.c
                                  ${CMAKE_SOURCE_DIR}/tests/unit/testutil.c)
target_include_directories(test_esp_powerloss PRIVATE ${CMAKE_SOURCE_DIR}/tests/unit)
target_compile_definitions(test_esp_powerloss PRIVATE WEBOTA_VECTORS="${WEBOTA_VECTORS}")
target_link_libraries(test_esp_powerloss PRIVATE webota_esp_host PkgConfig::CMOCKA)
add_test(NAME esp.powerloss COMMAND test_esp_powerloss)
set_tests_properties(esp.powerloss PROPERTIES TIMEOUT 600)

# The seam conformance suite runs the binding's slot writer as a second
# implementation (tests/esp/conformance_esp.h): in unit.test_slot_conformance
# with rollback, here built without it for the cases without rollback.
target_compile_definitions(test_slot_conformance PRIVATE WEBOTA_CONFORMANCE_ESP)
target_include_directories(test_slot_conformance PRIVATE ${CMAKE_SOURCE_DIR}/tests/esp)
target_link_libraries(test_slot_conformance PRIVATE webota_esp_host)
add_executable(test_esp_slot_conformance_norollback ${CMAKE_SOURCE_DIR}/tests/unit/test_slot_conformance.c
                                                    ${CMAKE_SOURCE_DIR}/tests/unit/testutil.c)
target_compile_definitions(test_esp_slot_conformance_norollback
                           PRIVATE WEBOTA_CONFORMANCE_ESP WEBOTA_VECTORS="${WEBOTA_VECTORS}")
target_include_directories(test_esp_slot_conformance_norollback
                           PRIVATE ${CMAKE_SOURCE_DIR}/tests/esp ${CMAKE_SOURCE_DIR}/tests/unit)
target_link_libraries(test_esp_slot_conformance_norollback PRIVATE webota_esp_host_norollback PkgConfig::CMOCKA)
add_test(NAME esp.slot_conformance_norollback COMMAND test_esp_slot_conformance_norollback)
set_tests_properties(esp.slot_conformance_norollback PROPERTIES TIMEOUT 300)

# The stand-in's sdkconfig.h holds the component's Kconfig defaults.
add_test(NAME esp.host_sdkconfig
         COMMAND ${CMAKE_SOURCE_DIR}/tests/esp/check_host_sdkconfig.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(esp.host_sdkconfig PROPERTIES TIMEOUT 60)

# The stand-in itself against ESP-IDF's documented behaviour.
add_executable(test_idf_host ${CMAKE_SOURCE_DIR}/tests/esp/test_idf_host.c)
target_link_libraries(test_idf_host PRIVATE webota_esp_host PkgConfig::CMOCKA)
add_test(NAME esp.idf_host COMMAND test_idf_host)
set_tests_properties(esp.idf_host PROPERTIES TIMEOUT 60)
