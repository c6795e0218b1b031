/* Chip table. Addresses from ESP-IDF soc.h / bootloader_memory_utils.h (the
 * `load` windows) and esptool's per-target memory maps (the `mem` tables, used
 * only to print segment memory types as `esptool image_info` does). */
#include <string.h>

#include "webota/chip.h"

#define N(a) ((uint8_t)(sizeof(a) / sizeof((a)[0])))
#define R(lo, hi, t) {(lo), (hi), WEBOTA_MEM_##t}

/* ---- ESP32 ---- */
static const webota_mem_region_t esp32_mem[] = {
    R(0x00000000, 0x00010000, PADDING),     R(0x3F400000, 0x3F800000, DROM),
    R(0x3F800000, 0x3FC00000, EXTRAM_DATA), R(0x3FF80000, 0x3FF82000, RTC_DRAM),
    R(0x3FF90000, 0x40000000, BYTE_ACCESSIBLE), R(0x3FFAE000, 0x40000000, DRAM),
    R(0x3FFE0000, 0x3FFFFFFC, DIRAM_DRAM),  R(0x40000000, 0x40070000, IROM),
    R(0x40070000, 0x40078000, CACHE_PRO),   R(0x40078000, 0x40080000, CACHE_APP),
    R(0x40080000, 0x400A0000, IRAM),        R(0x400A0000, 0x400BFFFC, DIRAM_IRAM),
    R(0x400C0000, 0x400C2000, RTC_IRAM),    R(0x400D0000, 0x40400000, IROM),
    R(0x50000000, 0x50002000, RTC_DATA),
};
static const webota_mem_region_t esp32_load[] = {
    R(0x3F400000, 0x3F800000, DROM),     R(0x400D0000, 0x40400000, IROM),
    R(0x3FFAE000, 0x40000000, DRAM),     R(0x40078000, 0x400C0000, IRAM), /* incl. single-core APP cache and DIRAM */
    R(0x400C0000, 0x400C2000, RTC_IRAM), R(0x3FF80000, 0x3FF82000, RTC_DRAM),
    R(0x50000000, 0x50002000, RTC_DATA),
};

/* ---- ESP32-S2 ---- */
static const webota_mem_region_t esp32s2_mem[] = {
    R(0x00000000, 0x00010000, PADDING),     R(0x3F000000, 0x3FF80000, DROM),
    R(0x3F500000, 0x3FF80000, EXTRAM_DATA), R(0x3FF9E000, 0x3FFA0000, RTC_DRAM),
    R(0x3FF9E000, 0x40000000, BYTE_ACCESSIBLE), R(0x3FF9E000, 0x40072000, MEM_INTERNAL),
    R(0x3FFB0000, 0x40000000, DRAM),        R(0x40000000, 0x4001A100, IROM_MASK),
    R(0x40020000, 0x40070000, IRAM),        R(0x40070000, 0x40072000, RTC_IRAM),
    R(0x40080000, 0x40800000, IROM),        R(0x50000000, 0x50002000, RTC_DATA),
};
static const webota_mem_region_t esp32s2_load[] = {
    R(0x3F000000, 0x3FF80000, DROM),     R(0x40080000, 0x40800000, IROM),
    R(0x3FFB0000, 0x40000000, DRAM),     R(0x40020000, 0x40070000, IRAM),
    R(0x40070000, 0x40072000, RTC_IRAM), R(0x3FF9E000, 0x3FFA0000, RTC_DRAM),
    R(0x50000000, 0x50002000, RTC_DATA),
};

/* ---- ESP32-S3 ---- */
static const webota_mem_region_t esp32s3_mem[] = {
    R(0x00000000, 0x00010000, PADDING),     R(0x3C000000, 0x3D000000, DROM),
    R(0x3D000000, 0x3E000000, EXTRAM_DATA), R(0x600FE000, 0x60100000, RTC_DRAM),
    R(0x3FC88000, 0x3FD00000, BYTE_ACCESSIBLE), R(0x3FC88000, 0x403E2000, MEM_INTERNAL),
    R(0x3FC88000, 0x3FD00000, DRAM),        R(0x40000000, 0x4001A100, IROM_MASK),
    R(0x40370000, 0x403E0000, IRAM),        R(0x600FE000, 0x60100000, RTC_IRAM),
    R(0x42000000, 0x42800000, IROM),        R(0x50000000, 0x50002000, RTC_DATA),
};
static const webota_mem_region_t esp32s3_load[] = {
    R(0x3C000000, 0x3E000000, DROM),     R(0x42000000, 0x44000000, IROM),
    R(0x3FC88000, 0x3FD00000, DRAM),     R(0x40370000, 0x403E0000, IRAM),
    R(0x600FE000, 0x60100000, RTC_IRAM), R(0x50000000, 0x50002000, RTC_DATA),
};

/* ---- ESP32-C2 ---- */
static const webota_mem_region_t esp32c2_mem[] = {
    R(0x00000000, 0x00010000, PADDING),   R(0x3C000000, 0x3C400000, DROM),
    R(0x3FCA0000, 0x3FCE0000, DRAM),      R(0x3FC88000, 0x3FD00000, BYTE_ACCESSIBLE),
    R(0x3FF00000, 0x3FF50000, DROM_MASK), R(0x40000000, 0x40090000, IROM_MASK),
    R(0x42000000, 0x42400000, IROM),      R(0x4037C000, 0x403C0000, IRAM),
};
static const webota_mem_region_t esp32c2_load[] = {
    R(0x3C000000, 0x3C400000, DROM), R(0x42000000, 0x42400000, IROM),
    R(0x3FCA0000, 0x3FCE0000, DRAM), R(0x4037C000, 0x403C0000, IRAM),
};

/* ---- ESP32-C3 ---- */
static const webota_mem_region_t esp32c3_mem[] = {
    R(0x00000000, 0x00010000, PADDING),   R(0x3C000000, 0x3C800000, DROM),
    R(0x3FC80000, 0x3FCE0000, DRAM),      R(0x3FC88000, 0x3FD00000, BYTE_ACCESSIBLE),
    R(0x3FF00000, 0x3FF20000, DROM_MASK), R(0x40000000, 0x40060000, IROM_MASK),
    R(0x42000000, 0x42800000, IROM),      R(0x4037C000, 0x403E0000, IRAM),
    R(0x50000000, 0x50002000, RTC_IRAM),  R(0x50000000, 0x50002000, RTC_DRAM),
    R(0x600FE000, 0x60100000, MEM_INTERNAL2),
};
static const webota_mem_region_t esp32c3_load[] = {
    R(0x3C000000, 0x3C800000, DROM), R(0x42000000, 0x42800000, IROM),
    R(0x3FC80000, 0x3FCE0000, DRAM), R(0x4037C000, 0x403E0000, IRAM),
    R(0x50000000, 0x50002000, RTC_DATA),
};

/* ---- ESP32-C6 (instruction and data flash share one window) ---- */
static const webota_mem_region_t esp32c6_mem[] = {
    R(0x00000000, 0x00010000, PADDING),   R(0x42000000, 0x43000000, DROM),
    R(0x40800000, 0x40880000, DRAM),      R(0x40800000, 0x40880000, BYTE_ACCESSIBLE),
    R(0x4004AC00, 0x40050000, DROM_MASK), R(0x40000000, 0x4004AC00, IROM_MASK),
    R(0x42000000, 0x43000000, IROM),      R(0x40800000, 0x40880000, IRAM),
    R(0x50000000, 0x50004000, RTC_IRAM),  R(0x50000000, 0x50004000, RTC_DRAM),
    R(0x600FE000, 0x60100000, MEM_INTERNAL2),
};
static const webota_mem_region_t esp32c6_load[] = {
    R(0x42000000, 0x43000000, IROM), R(0x40800000, 0x40880000, DRAM),
    R(0x50000000, 0x50004000, RTC_DATA),
};

/* ---- ESP32-C5 ---- */
static const webota_mem_region_t esp32c5_mem[] = {
    R(0x00000000, 0x00010000, PADDING),   R(0x42000000, 0x44000000, DROM),
    R(0x40800000, 0x40860000, DRAM),      R(0x40800000, 0x40860000, BYTE_ACCESSIBLE),
    R(0x4003A000, 0x40040000, DROM_MASK), R(0x40000000, 0x4003A000, IROM_MASK),
    R(0x42000000, 0x44000000, IROM),      R(0x40800000, 0x40860000, IRAM),
    R(0x50000000, 0x50004000, RTC_IRAM),  R(0x50000000, 0x50004000, RTC_DRAM),
    R(0x600FE000, 0x60100000, MEM_INTERNAL2),
};
static const webota_mem_region_t esp32c5_load[] = {
    R(0x42000000, 0x44000000, IROM), R(0x40800000, 0x40860000, DRAM),
    R(0x50000000, 0x50004000, RTC_DATA),
};

/* ---- ESP32-C61 ---- */
static const webota_mem_region_t esp32c61_mem[] = {
    R(0x00000000, 0x00010000, PADDING), R(0x42000000, 0x44000000, DROM),
    R(0x40800000, 0x40850000, DRAM),    R(0x40800000, 0x40850000, BYTE_ACCESSIBLE),
    R(0x42000000, 0x44000000, IROM),    R(0x40800000, 0x40850000, IRAM),
};
static const webota_mem_region_t esp32c61_load[] = {
    R(0x42000000, 0x44000000, IROM),
    R(0x40800000, 0x40850000, DRAM),
};

/* ---- ESP32-H2 ---- */
static const webota_mem_region_t esp32h2_mem[] = {
    R(0x00000000, 0x00010000, PADDING),   R(0x42000000, 0x43000000, DROM),
    R(0x40800000, 0x40850000, DRAM),      R(0x40800000, 0x40850000, BYTE_ACCESSIBLE),
    R(0x4001C400, 0x40020000, DROM_MASK), R(0x40000000, 0x4001C400, IROM_MASK),
    R(0x42000000, 0x43000000, IROM),      R(0x40800000, 0x40850000, IRAM),
    R(0x50000000, 0x50001000, RTC_IRAM),  R(0x50000000, 0x50001000, RTC_DRAM),
    R(0x600FE000, 0x60100000, MEM_INTERNAL2),
};
static const webota_mem_region_t esp32h2_load[] = {
    R(0x42000000, 0x43000000, IROM), R(0x40800000, 0x40850000, DRAM),
    R(0x50000000, 0x50001000, RTC_DATA),
};

/* ---- ESP32-P4 ---- */
static const webota_mem_region_t esp32p4_mem[] = {
    R(0x00000000, 0x00010000, PADDING),   R(0x40000000, 0x4C000000, DROM),
    R(0x4FF00000, 0x4FFA0000, DRAM),      R(0x4FF00000, 0x4FFA0000, BYTE_ACCESSIBLE),
    R(0x4FC00000, 0x4FC20000, DROM_MASK), R(0x4FC00000, 0x4FC20000, IROM_MASK),
    R(0x40000000, 0x4C000000, IROM),      R(0x4FF00000, 0x4FFA0000, IRAM),
    R(0x50108000, 0x50110000, RTC_IRAM),  R(0x50108000, 0x50110000, RTC_DRAM),
    R(0x600FE000, 0x60100000, MEM_INTERNAL2),
};
static const webota_mem_region_t esp32p4_load[] = {
    R(0x40000000, 0x44000000, IROM), R(0x4FF00000, 0x4FFC0000, DRAM),
    R(0x30100000, 0x30102000, DRAM), /* TCM */
    R(0x50108000, 0x50110000, RTC_DATA),
};

static const char *const freq_esp32[16] = {[0x0] = "40m", [0x1] = "26m", [0x2] = "20m", [0xF] = "80m"};
static const char *const freq_c2[16] = {[0x0] = "30m", [0x1] = "20m", [0x2] = "15m", [0xF] = "60m"};
static const char *const freq_c6[16] = {[0x0] = "80m", [0x2] = "20m"}; /* esptool maps 40m and 80m to 0 */
static const char *const freq_c5[16] = {[0x0] = "40m", [0x2] = "20m", [0xF] = "80m"};
static const char *const freq_h2[16] = {[0x0] = "24m", [0x1] = "16m", [0x2] = "12m", [0xF] = "48m"};

#define CHIP(e, n, d, id, m, l, cfg, legacy, f)                                                 \
    [WEBOTA_CHIP_##e] = {WEBOTA_CHIP_##e, n, d, id, m, N(m), l, N(l), 0x10000, cfg, legacy, f}
#define CHIP_ID_ONLY(e, n, d, id, cfg)                                                          \
    [WEBOTA_CHIP_##e] = {WEBOTA_CHIP_##e, n, d, id, NULL, 0, NULL, 0, 0x10000, cfg, false, NULL}

static const webota_chip_info_t chips[WEBOTA_CHIP__COUNT] = {
    CHIP(ESP32, "esp32", "ESP32", 0x0000, esp32_mem, esp32_load, false, true, freq_esp32),
    CHIP(ESP32S2, "esp32s2", "ESP32-S2", 0x0002, esp32s2_mem, esp32s2_load, false, false, freq_esp32),
    CHIP(ESP32S3, "esp32s3", "ESP32-S3", 0x0009, esp32s3_mem, esp32s3_load, false, false, freq_esp32),
    CHIP(ESP32C2, "esp32c2", "ESP32-C2", 0x000C, esp32c2_mem, esp32c2_load, true, false, freq_c2),
    CHIP(ESP32C3, "esp32c3", "ESP32-C3", 0x0005, esp32c3_mem, esp32c3_load, false, true, freq_esp32),
    CHIP(ESP32C5, "esp32c5", "ESP32-C5", 0x0017, esp32c5_mem, esp32c5_load, false, false, freq_c5),
    CHIP(ESP32C6, "esp32c6", "ESP32-C6", 0x000D, esp32c6_mem, esp32c6_load, true, false, freq_c6),
    CHIP(ESP32C61, "esp32c61", "ESP32-C61", 0x0014, esp32c61_mem, esp32c61_load, true, false, freq_c5),
    CHIP(ESP32H2, "esp32h2", "ESP32-H2", 0x0010, esp32h2_mem, esp32h2_load, true, false, freq_h2),
    CHIP(ESP32P4, "esp32p4", "ESP32-P4", 0x0012, esp32p4_mem, esp32p4_load, false, false, freq_c5),
    CHIP_ID_ONLY(ESP32H21, "esp32h21", "ESP32-H21", 0x0019, true),
    CHIP_ID_ONLY(ESP32H4, "esp32h4", "ESP32-H4", 0x001C, true),
    CHIP_ID_ONLY(ESP32S31, "esp32s31", "ESP32-S31", 0x0020, true),
};

const webota_chip_info_t *webota_chip_info(webota_chip_t chip)
{
    return (unsigned)chip < WEBOTA_CHIP__COUNT ? &chips[chip] : NULL;
}

const webota_chip_info_t *webota_chip_by_name(const char *name)
{
    for (unsigned i = 0; name != NULL && i < WEBOTA_CHIP__COUNT; i++) {
        if (strcmp(chips[i].name, name) == 0) {
            return &chips[i];
        }
    }
    return NULL;
}

const webota_chip_info_t *webota_chip_by_id(uint16_t image_id)
{
    for (unsigned i = 0; i < WEBOTA_CHIP__COUNT; i++) {
        if (chips[i].image_id == image_id) {
            return &chips[i];
        }
    }
    return NULL;
}

uint32_t webota_chip_load_types(const webota_chip_info_t *chip, uint32_t addr, uint32_t len)
{
    uint32_t types = 0;
    uint64_t end = (uint64_t)addr + len;
    for (unsigned i = 0; chip != NULL && i < chip->load_count; i++) {
        const webota_mem_region_t *r = &chip->load[i];
        if (addr >= r->start && end <= r->end) {
            types |= r->type;
        }
    }
    return types;
}

bool webota_chip_is_mapped(const webota_chip_info_t *chip, uint32_t addr)
{
    for (unsigned i = 0; chip != NULL && i < chip->load_count; i++) {
        const webota_mem_region_t *r = &chip->load[i];
        if ((r->type & (WEBOTA_MEM_IROM | WEBOTA_MEM_DROM)) && addr >= r->start && addr < r->end) {
            return true;
        }
    }
    return false;
}

static const char *const mem_names[WEBOTA_MEM__BITS] = {
    "DROM", "IROM", "DRAM", "IRAM", "BYTE_ACCESSIBLE", "RTC_DRAM", "RTC_IRAM", "RTC_DATA",
    "EXTRAM_DATA", "MEM_INTERNAL", "DIRAM_DRAM", "DIRAM_IRAM", "CACHE_APP", "CACHE_PRO",
    "PADDING", "IROM_MASK", "DROM_MASK", "MEM_INTERNAL2",
};

const char *webota_mem_type_name(uint32_t type_bit)
{
    for (unsigned i = 0; i < WEBOTA_MEM__BITS; i++) {
        if (type_bit == (1u << i)) {
            return mem_names[i];
        }
    }
    return "?";
}

char *webota_chip_mem_names(const webota_chip_info_t *chip, uint32_t addr, char *out, size_t out_size)
{
    size_t n = 0;
    if (out_size == 0) {
        return out;
    }
    out[0] = 0;
    for (unsigned i = 0; chip != NULL && i < chip->mem_count; i++) {
        const webota_mem_region_t *r = &chip->mem[i];
        if (addr < r->start || addr >= r->end) {
            continue;
        }
        const char *name = webota_mem_type_name(r->type);
        size_t len = strlen(name);
        if (n + (n ? 2 : 0) + len + 1 > out_size) {
            break;
        }
        if (n) {
            memcpy(out + n, ", ", 2);
            n += 2;
        }
        memcpy(out + n, name, len + 1);
        n += len;
    }
    return out;
}

const char *webota_chip_flash_mode_name(uint8_t mode)
{
    static const char *const names[] = {"QIO", "QOUT", "DIO", "DOUT", "FAST_READ", "SLOW_READ"};
    return mode < sizeof(names) / sizeof(names[0]) ? names[mode] : "?";
}

const char *webota_chip_flash_size_name(uint8_t size_code)
{
    static const char *const names[] = {"1MB", "2MB", "4MB", "8MB", "16MB", "32MB", "64MB", "128MB"};
    return size_code < sizeof(names) / sizeof(names[0]) ? names[size_code] : "?";
}

const char *webota_chip_flash_freq_name(const webota_chip_info_t *chip, uint8_t speed_code)
{
    if (chip == NULL || chip->spi_freq_names == NULL || speed_code > 15 ||
        chip->spi_freq_names[speed_code] == NULL) {
        return "?";
    }
    return chip->spi_freq_names[speed_code];
}
