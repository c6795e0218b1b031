/* Host stand-in (tests only) of the sdkconfig.h an ESP-IDF v5.5 build
 * generates: the target, esp_http_server's defaults and the component's
 * Kconfig defaults (ports/esp-idf/Kconfig), which is what a project gets
 * without menuconfig changes, with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE as
 * the example sets it. The host device's bootloader and app_update stand-in
 * take the rollback setting at run time instead (idf_host_config_t.rollback),
 * so that one test program covers both; the binding's seam reports this
 * file's (rollback_enabled), which gates only the PENDING_VERIFY refusal, a
 * state that never arises without rollback. */
#ifndef IDF_HOST_SDKCONFIG_H
#define IDF_HOST_SDKCONFIG_H

#define CONFIG_IDF_TARGET "esp32"
#define CONFIG_IDF_TARGET_ESP32 1
#define CONFIG_PARTITION_TABLE_OFFSET 0x8000
#ifndef IDF_HOST_NO_ROLLBACK /* the library built as without rollback */
#define CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE 1
#endif
#define CONFIG_HTTPD_MAX_REQ_HDR_LEN 1024
#define CONFIG_HTTPD_MAX_URI_LEN 512
#define CONFIG_LWIP_MAX_SOCKETS 10
#define CONFIG_LWIP_IPV6 1

#define CONFIG_WEBOTA_START_WIFI 1
#define CONFIG_WEBOTA_AP_SSID "ESP32 OTA Update"
#define CONFIG_WEBOTA_AP_PASSWORD ""
#define CONFIG_WEBOTA_AP_CHANNEL 1
#define CONFIG_WEBOTA_AP_MAX_CLIENTS 4
#define CONFIG_WEBOTA_CAPTIVE_PORTAL 1
/* CONFIG_WEBOTA_GZIP_UPLOADS (default y) is off here: its inflater is the
 * ROM's miniz (webota_esp_inflate.c), which the host does not have. */
#define CONFIG_WEBOTA_STA_SSID ""
#define CONFIG_WEBOTA_STA_PASSWORD ""
#define CONFIG_WEBOTA_CONFIRM_FIRST_REQUEST 1
#define CONFIG_WEBOTA_HTTP_PORT 80
#define CONFIG_WEBOTA_URL_PREFIX ""
#define CONFIG_WEBOTA_AUTH_VERIFIER ""
#define CONFIG_WEBOTA_HOST_NAMES ""
#define CONFIG_WEBOTA_HTTP_MAX_PER_CLIENT 4
#define CONFIG_WEBOTA_REQUIRE_MARKER 1
#define CONFIG_WEBOTA_HTTPD_STACK_SIZE 8192
#define CONFIG_WEBOTA_UPLOAD_BUFFER_SIZE 4096
#define CONFIG_WEBOTA_RECV_RETRIES 5
#define CONFIG_WEBOTA_REBOOT_DELAY_MS 1000

#endif
