# The ESP-IDF binding's sources (ports/esp-idf/src), listed once: the
# component (CMakeLists.txt here) compiles them with the portable engine of
# src/sources.cmake; tests/cmake/sources.cmake checks that every file of src/
# is listed. Paths are relative to this folder.
set(WEBOTA_ESP_SOURCES
  src/webota_dns_msg.c     # captive-portal DNS answers (also tested on the PC)
  src/webota_esp.c         # start/stop, the core's confirm policy, reboot
  src/webota_esp_dns.c     # the captive-portal DNS task (lwip sockets)
  src/webota_esp_http.c    # esp_http_server requests to webota_api calls
  src/webota_esp_inflate.c # compressed uploads: the ROM's miniz tinfl behind the inflater seam
  src/webota_esp_slot.c    # the slot seam over esp_ota_ops
  src/webota_esp_wifi.c    # SoftAP (and station) bring-up: esp_wifi, esp_netif
  src/webota_url.c)        # URL prefix rules (also tested on the PC)
