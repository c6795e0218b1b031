/* Host stand-in (tests only) of esp_mac.h (ESP-IDF v5.5): a fixed station MAC. */
#ifndef IDF_HOST_ESP_MAC_H
#define IDF_HOST_ESP_MAC_H

#include <stdint.h>

#include "esp_err.h"

typedef enum {
    ESP_MAC_WIFI_STA,
    ESP_MAC_WIFI_SOFTAP,
} esp_mac_type_t;

/* 24:0a:c4:00:00:01 for the station (a stand-in value). */
esp_err_t esp_read_mac(uint8_t *mac, esp_mac_type_t type);

#endif
