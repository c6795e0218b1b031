# The fleet proof (tests/fleet/fleet_nginx.sh, docs/fleet.md): Debian's nginx
# serves signed releases on 127.0.0.1 (own free port, temporary config) to
# simulated devices. 100 devices in the normal build; the ASan/UBSan build
# runs 20 (the same phases, a fifth of the threads and flash files).
if(WEBOTA_SANITIZE)
  set(fleet_devices 20)
else()
  set(fleet_devices 100)
endif()
add_test(NAME fleet.nginx
         COMMAND ${CMAKE_SOURCE_DIR}/tests/fleet/fleet_nginx.sh $<TARGET_FILE:webota>
                 ${CMAKE_CURRENT_BINARY_DIR}/fleet-nginx ${fleet_devices})
set_tests_properties(fleet.nginx PROPERTIES TIMEOUT 420 RUN_SERIAL TRUE)
