/* Host stand-in (tests only) of ESP-IDF v5.5 esp_partition.h: the types and
 * the calls the webota binding and the esp_ota_ops stand-in make, over the
 * simulated NOR flash of the host device (idf_host.c). */
#ifndef IDF_HOST_ESP_PARTITION_H
#define IDF_HOST_ESP_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct esp_flash_t esp_flash_t;

typedef enum {
    ESP_PARTITION_TYPE_APP = 0x00,
    ESP_PARTITION_TYPE_DATA = 0x01,
    ESP_PARTITION_TYPE_BOOTLOADER = 0x02,
    ESP_PARTITION_TYPE_PARTITION_TABLE = 0x03,
    ESP_PARTITION_TYPE_ANY = 0xff,
} esp_partition_type_t;

typedef enum {
    ESP_PARTITION_SUBTYPE_APP_FACTORY = 0x00,
    ESP_PARTITION_SUBTYPE_APP_OTA_MIN = 0x10,
    ESP_PARTITION_SUBTYPE_APP_OTA_0 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 0,
    ESP_PARTITION_SUBTYPE_APP_OTA_1 = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 1,
    ESP_PARTITION_SUBTYPE_APP_OTA_MAX = ESP_PARTITION_SUBTYPE_APP_OTA_MIN + 16,
    ESP_PARTITION_SUBTYPE_APP_TEST = 0x20,
    ESP_PARTITION_SUBTYPE_DATA_OTA = 0x00,
    ESP_PARTITION_SUBTYPE_DATA_PHY = 0x01,
    ESP_PARTITION_SUBTYPE_DATA_NVS = 0x02,
    ESP_PARTITION_SUBTYPE_ANY = 0xff,
} esp_partition_subtype_t;

typedef struct {
    esp_flash_t *flash_chip;
    esp_partition_type_t type;
    esp_partition_subtype_t subtype;
    uint32_t address;
    uint32_t size;
    uint32_t erase_size;
    char label[17];
    bool encrypted;
    bool readonly;
} esp_partition_t;

/* The first partition of the table (in table order) matching type, subtype
 * (ESP_PARTITION_TYPE_ANY / SUBTYPE_ANY match all) and label (NULL = any). */
const esp_partition_t *esp_partition_find_first(esp_partition_type_t type, esp_partition_subtype_t subtype,
                                                const char *label);
/* The table's own record equal to *partition (address, size, type, subtype,
 * label), NULL when the table has none. */
const esp_partition_t *esp_partition_verify(const esp_partition_t *partition);
/* Offsets are relative to the partition. ESP_ERR_INVALID_ARG when the offset
 * lies past the end, ESP_ERR_INVALID_SIZE when the range does; erase also
 * needs sector (4 KiB) alignment: size -> INVALID_SIZE, offset -> INVALID_ARG.
 * A flash that fails (the simulated chip lost power) gives ESP_ERR_FLASH_OP_FAIL. */
esp_err_t esp_partition_read(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size);
esp_err_t esp_partition_write(const esp_partition_t *partition, size_t dst_offset, const void *src,
                              size_t size);
esp_err_t esp_partition_erase_range(const esp_partition_t *partition, size_t offset, size_t size);

#ifdef __cplusplus
}
#endif

#endif
