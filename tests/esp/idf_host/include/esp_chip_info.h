/* Host stand-in (tests only) of ESP-IDF v5.5 esp_chip_info.h. */
#ifndef IDF_HOST_ESP_CHIP_INFO_H
#define IDF_HOST_ESP_CHIP_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "sdkconfig.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CHIP_ESP32 = 1,
    CHIP_ESP32S2 = 2,
    CHIP_ESP32C3 = 5,
    CHIP_ESP32S3 = 9,
    CHIP_ESP32C2 = 12,
    CHIP_ESP32C6 = 13,
    CHIP_ESP32H2 = 16,
} esp_chip_model_t;

#define CHIP_FEATURE_WIFI_BGN (1u << 1)
#define CHIP_FEATURE_BLE (1u << 4)

typedef struct {
    esp_chip_model_t model;
    uint32_t features;
    uint16_t revision; /* major * 100 + minor (ESP-IDF v5 and later) */
    uint8_t cores;
} esp_chip_info_t;

/* The simulated chip: CONFIG_IDF_TARGET's model, the revision the host device
 * was configured with (idf_host_config_t.chip_revision). */
void esp_chip_info(esp_chip_info_t *out_info);

#ifdef __cplusplus
}
#endif

#endif
