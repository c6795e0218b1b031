/* Host stand-in (tests only) of ESP-IDF's esp_idf_version.h: the binding is
 * compiled as for ESP-IDF v5.5.5 (its v5.5 branches: esp_ota_mark_app_invalid_rollback
 * without reboot). */
#ifndef IDF_HOST_ESP_IDF_VERSION_H
#define IDF_HOST_ESP_IDF_VERSION_H

#define ESP_IDF_VERSION_MAJOR 5
#define ESP_IDF_VERSION_MINOR 5
#define ESP_IDF_VERSION_PATCH 5
#define ESP_IDF_VERSION_VAL(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define ESP_IDF_VERSION \
    ESP_IDF_VERSION_VAL(ESP_IDF_VERSION_MAJOR, ESP_IDF_VERSION_MINOR, ESP_IDF_VERSION_PATCH)

#endif
