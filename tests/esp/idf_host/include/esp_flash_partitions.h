/* Host stand-in (tests only) of ESP-IDF v5.5 esp_flash_partitions.h: the
 * otadata states (values as on flash). */
#ifndef IDF_HOST_ESP_FLASH_PARTITIONS_H
#define IDF_HOST_ESP_FLASH_PARTITIONS_H

#include <stdint.h>

typedef enum {
    ESP_OTA_IMG_NEW = 0x0U,
    ESP_OTA_IMG_PENDING_VERIFY = 0x1U,
    ESP_OTA_IMG_VALID = 0x2U,
    ESP_OTA_IMG_INVALID = 0x3U,
    ESP_OTA_IMG_ABORTED = 0x4U,
    ESP_OTA_IMG_UNDEFINED = 0xFFFFFFFFU,
} esp_ota_img_states_t;

#endif
