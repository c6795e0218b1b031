/* The ESP32 family as the image format sees it: esptool's chip names, the
 * image header chip ids (esp_app_format.h) and each chip's memory windows.
 *
 * Two memory tables per chip:
 *  - `mem`: esptool's memory map, in esptool's order, used only to print the
 *    "Memory types" of a segment as `esptool image_info` does;
 *  - `load`: the windows ESP-IDF uses to judge an app image: flash-mapped
 *    (IROM/DROM, the MMU page alignment rule applies) and RAM load targets
 *    (DRAM/IRAM/RTC, a RAM segment must lie wholly inside one of them). */
#ifndef WEBOTA_CHIP_H
#define WEBOTA_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    WEBOTA_CHIP_ESP32,
    WEBOTA_CHIP_ESP32S2,
    WEBOTA_CHIP_ESP32S3,
    WEBOTA_CHIP_ESP32C2,
    WEBOTA_CHIP_ESP32C3,
    WEBOTA_CHIP_ESP32C5,
    WEBOTA_CHIP_ESP32C6,
    WEBOTA_CHIP_ESP32C61,
    WEBOTA_CHIP_ESP32H2,
    WEBOTA_CHIP_ESP32P4,
    WEBOTA_CHIP_ESP32H21, /* id only: no memory table, images are refused as unsupported */
    WEBOTA_CHIP_ESP32H4,  /* id only */
    WEBOTA_CHIP_ESP32S31, /* id only */
    WEBOTA_CHIP__COUNT
} webota_chip_t;

#define WEBOTA_CHIP_ID_INVALID 0xFFFFu

/* Memory type bits (esptool's names, see webota_mem_type_name). */
enum {
    WEBOTA_MEM_DROM = 1u << 0,
    WEBOTA_MEM_IROM = 1u << 1,
    WEBOTA_MEM_DRAM = 1u << 2,
    WEBOTA_MEM_IRAM = 1u << 3,
    WEBOTA_MEM_BYTE_ACCESSIBLE = 1u << 4,
    WEBOTA_MEM_RTC_DRAM = 1u << 5,
    WEBOTA_MEM_RTC_IRAM = 1u << 6,
    WEBOTA_MEM_RTC_DATA = 1u << 7,
    WEBOTA_MEM_EXTRAM_DATA = 1u << 8,
    WEBOTA_MEM_MEM_INTERNAL = 1u << 9,
    WEBOTA_MEM_DIRAM_DRAM = 1u << 10,
    WEBOTA_MEM_DIRAM_IRAM = 1u << 11,
    WEBOTA_MEM_CACHE_APP = 1u << 12,
    WEBOTA_MEM_CACHE_PRO = 1u << 13,
    WEBOTA_MEM_PADDING = 1u << 14, /* load address 0 (esptool's padding segments) */
    WEBOTA_MEM_IROM_MASK = 1u << 15,
    WEBOTA_MEM_DROM_MASK = 1u << 16,
    WEBOTA_MEM_MEM_INTERNAL2 = 1u << 17,
    WEBOTA_MEM__BITS = 18
};

typedef struct webota_mem_region {
    uint32_t start, end; /* [start, end) */
    uint32_t type;       /* one WEBOTA_MEM_* bit */
} webota_mem_region_t;

typedef struct webota_chip_info {
    webota_chip_t chip;
    const char *name;    /* esptool's --chip name: "esp32c3" */
    const char *display; /* "ESP32-C3" */
    uint16_t image_id;   /* esp_image_header_t.chip_id */
    const webota_mem_region_t *mem; /* esptool memory map (display order); NULL for id-only chips */
    uint8_t mem_count;
    const webota_mem_region_t *load; /* ESP-IDF windows: IROM/DROM = mapped, DRAM/IRAM/RTC_* = RAM */
    uint8_t load_count;
    uint32_t mmu_page_default;   /* bytes, 65536 on all chips listed */
    bool mmu_page_configurable;  /* SOC_MMU_PAGE_SIZE_CONFIGURABLE: page from app desc byte 0xD4 */
    bool legacy_min_rev;         /* header byte 14 carries a revision (ESP32: major, C3: minor) */
    const char *const *spi_freq_names; /* 16 entries indexed by the header speed nibble, NULL = unknown */
} webota_chip_info_t;

/* Lookups; NULL when unknown. */
const webota_chip_info_t *webota_chip_by_name(const char *name);
const webota_chip_info_t *webota_chip_by_id(uint16_t image_id);
const webota_chip_info_t *webota_chip_info(webota_chip_t chip);

/* Union of the `load` window types containing the whole range [addr, addr+len);
 * 0 when no single window holds it. */
uint32_t webota_chip_load_types(const webota_chip_info_t *chip, uint32_t addr, uint32_t len);
/* True when addr lies in a flash-mapped (IROM/DROM) window. */
bool webota_chip_is_mapped(const webota_chip_info_t *chip, uint32_t addr);

/* esptool's "Memory types" column for a load address: the names of every
 * `mem` region holding addr, in table order, comma-separated ("BYTE_ACCESSIBLE,
 * DRAM"); "PADDING" for 0; "" when none. Returns out (always NUL-terminated). */
char *webota_chip_mem_names(const webota_chip_info_t *chip, uint32_t addr, char *out, size_t out_size);
const char *webota_mem_type_name(uint32_t type_bit);

/* Header flash fields as esptool prints them: "DIO", "40m", "4MB"; "?" if unknown. */
const char *webota_chip_flash_mode_name(uint8_t mode);
const char *webota_chip_flash_size_name(uint8_t size_code);
const char *webota_chip_flash_freq_name(const webota_chip_info_t *chip, uint8_t speed_code);

#ifdef __cplusplus
}
#endif

#endif
