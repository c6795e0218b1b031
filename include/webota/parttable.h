/* ESP-IDF partition tables: parse and verify the 0xC00-byte binary the
 * bootloader reads, build it byte for byte as gen_esp32part.py v1.5 does, convert
 * the CSV format in both directions, look partitions up (OTA slots, otadata,
 * the next update slot), and the stock ESP-IDF layouts by name.
 *
 * No allocation: webota_parttable_t is caller-owned (about 3.4 KiB). */
#ifndef WEBOTA_PARTTABLE_H
#define WEBOTA_PARTTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_PT_OFFSET_DEFAULT 0x8000u
#define WEBOTA_PT_MAX_LEN 0xC00u /* table bytes; the sector is 0x1000 */
#define WEBOTA_PT_ENTRY_LEN 32u
#define WEBOTA_PT_MAX_ENTRIES 95 /* 94 when the table carries an MD5 entry */
#define WEBOTA_PT_LABEL_MAX 16   /* bytes stored; a 16-byte label has no NUL */

#define WEBOTA_PT_TYPE_APP 0x00
#define WEBOTA_PT_TYPE_DATA 0x01
#define WEBOTA_PT_TYPE_BOOTLOADER 0x02
#define WEBOTA_PT_TYPE_PARTITION_TABLE 0x03

#define WEBOTA_PT_SUBTYPE_APP_FACTORY 0x00
#define WEBOTA_PT_SUBTYPE_APP_OTA_MIN 0x10
#define WEBOTA_PT_SUBTYPE_APP_OTA_MAX 0x20 /* exclusive */
#define WEBOTA_PT_SUBTYPE_APP_TEST 0x20
#define WEBOTA_PT_SUBTYPE_APP_TEE_0 0x30
#define WEBOTA_PT_SUBTYPE_APP_TEE_1 0x31

#define WEBOTA_PT_SUBTYPE_DATA_OTA 0x00
#define WEBOTA_PT_SUBTYPE_DATA_PHY 0x01
#define WEBOTA_PT_SUBTYPE_DATA_NVS 0x02
#define WEBOTA_PT_SUBTYPE_DATA_COREDUMP 0x03
#define WEBOTA_PT_SUBTYPE_DATA_NVS_KEYS 0x04
#define WEBOTA_PT_SUBTYPE_DATA_EFUSE 0x05
#define WEBOTA_PT_SUBTYPE_DATA_UNDEFINED 0x06
#define WEBOTA_PT_SUBTYPE_DATA_ESPHTTPD 0x80
#define WEBOTA_PT_SUBTYPE_DATA_FAT 0x81
#define WEBOTA_PT_SUBTYPE_DATA_SPIFFS 0x82
#define WEBOTA_PT_SUBTYPE_DATA_LITTLEFS 0x83
#define WEBOTA_PT_SUBTYPE_DATA_TEE_OTA 0x90

#define WEBOTA_PT_SUBTYPE_BOOTLOADER_PRIMARY 0x00
#define WEBOTA_PT_SUBTYPE_BOOTLOADER_OTA 0x01
#define WEBOTA_PT_SUBTYPE_BOOTLOADER_RECOVERY 0x02
#define WEBOTA_PT_SUBTYPE_PARTITION_TABLE_PRIMARY 0x00
#define WEBOTA_PT_SUBTYPE_PARTITION_TABLE_OTA 0x01

#define WEBOTA_PT_FLAG_ENCRYPTED 1u
#define WEBOTA_PT_FLAG_READONLY 2u

typedef struct webota_partition {
    uint8_t type, subtype;
    uint32_t offset, size;
    char label[17]; /* always NUL-terminated here */
    uint32_t flags;
} webota_partition_t;

typedef struct webota_parttable {
    webota_partition_t part[WEBOTA_PT_MAX_ENTRIES];
    unsigned count;
    bool has_md5;
} webota_parttable_t;

/* Binary table (len >= 32; bytes past 0xC00 are ignored). Verifies as the
 * bootloader's esp_partition_table_verify (magics, MD5, end marker, no
 * second MD5, non-empty, every partition inside flash_size unless it is 0) and,
 * when require_md5, as the app with CONFIG_PARTITION_TABLE_MD5 (a missing MD5
 * entry is an error). *bad_index (may be NULL) is the 32-byte slot index of
 * the failure, or -1. Errors: PT_TRUNCATED, PT_BAD_MAGIC, PT_NO_END, PT_EMPTY,
 * PT_MD5_MISMATCH, PT_MD5_DUPLICATE, PT_MD5_MISSING, PT_OUT_OF_FLASH. */
webota_err_t webota_pt_parse(webota_parttable_t *pt, const uint8_t *table, size_t len,
                             uint32_t flash_size, bool require_md5, int *bad_index);

/* Exactly gen_esp32part's 0xC00 bytes: entries, optional MD5 entry, 0xFF filler.
 * Errors: ARG, CSV_TOO_MANY (94 entries with MD5, 95 without). */
webota_err_t webota_pt_build(const webota_parttable_t *pt, bool md5, uint8_t out[WEBOTA_PT_MAX_LEN]);

/* Look-ups; NULL when absent. */
const webota_partition_t *webota_pt_find_label(const webota_parttable_t *pt, const char *label);
const webota_partition_t *webota_pt_find(const webota_parttable_t *pt, uint8_t type,
                                         uint8_t subtype); /* first match */
/* The app partition whose [offset, offset+size) contains flash_addr. */
const webota_partition_t *webota_pt_find_addr(const webota_parttable_t *pt, uint32_t flash_addr);
/* The last data/ota entry wins, as in the bootloader. */
const webota_partition_t *webota_pt_otadata(const webota_parttable_t *pt);
const webota_partition_t *webota_pt_factory(const webota_parttable_t *pt);
const webota_partition_t *webota_pt_test(const webota_parttable_t *pt);
/* app/ota_<index> (first one with that subtype), or NULL. */
const webota_partition_t *webota_pt_ota_slot(const webota_parttable_t *pt, unsigned index);
/* Fills slots[] with the OTA app partitions in subtype order, gaps skipped;
 * returns how many. */
unsigned webota_pt_ota_slots(const webota_parttable_t *pt, const webota_partition_t *slots[16]);
/* The bootloader's slot count: app partitions with subtype 0x10..0x1F. */
unsigned webota_pt_app_count_boot(const webota_parttable_t *pt);
/* esp_ota_get_app_partition_count: consecutive ota_0, ota_1, ... present. */
unsigned webota_pt_app_count_app(const webota_parttable_t *pt);
/* esp_ota_get_next_update_partition(running): the first OTA slot after running
 * in subtype order, wrapping; the first slot when running is not an OTA slot
 * (factory, test, NULL) or the last one; NULL when the table has no OTA slot. */
const webota_partition_t *webota_pt_next_update(const webota_parttable_t *pt,
                                                const webota_partition_t *running);
/* 0..15 for app/ota_N, -1 factory, -2 test, -3 anything else (or NULL). */
int webota_pt_slot_index(const webota_partition_t *p);

/* ESP-IDF's stock layouts with the table at 0x8000: "singleapp",
 * "two-ota", "two-ota-large". NOT_FOUND for other names. */
webota_err_t webota_pt_builtin(const char *name, webota_parttable_t *pt);
/* The CSV text of a stock layout ("two-ota" -> partitions_two_ota.csv), or NULL. */
const char *webota_pt_builtin_csv(const char *name);

/* gen_esp32part keyword for a type / subtype, NULL when there is none. */
const char *webota_pt_type_name(uint8_t type);
const char *webota_pt_subtype_name(uint8_t type, uint8_t subtype);

/* CSV -> table with every gen_esp32part v1.5 rule (docs/formats.md#csv-format,
 * docs/formats.md#build-time-rules). */
typedef struct {
    uint32_t table_offset; /* 0x8000 usually */
    uint32_t flash_size;   /* 0 = not checked */
    bool md5;              /* counts the MD5 entry against the entry limit */
    int secure;            /* 0, 1 or 2 (--secure v1|v2): app size alignment */
    /* --primary-bootloader-offset / --recovery-bootloader-offset: needed only
     * by CSV lines of type "bootloader" */
    bool has_primary_bootloader, has_recovery_bootloader;
    uint32_t primary_bootloader_offset, recovery_bootloader_offset;
    /* $VAR expansion; NULL getenv (or a NULL answer) means "unknown variable". */
    const char *(*getenv)(void *ctx, const char *name);
    void *env_ctx;
} webota_pt_csv_opts_t;

/* The defaults of gen_esp32part: offset 0x8000, MD5 on, no flash size, no
 * secure boot, no environment. */
void webota_pt_csv_opts_init(webota_pt_csv_opts_t *opts);

typedef struct {
    webota_err_t err;
    unsigned line; /* 1-based CSV line, 0 when the error is not about one line */
    char message[200];
} webota_pt_csv_error_t;

/* Parses and verifies CSV text; on error fills *err (may be NULL) with a
 * message naming the CSV line and partition. The entries stay in CSV order,
 * as gen_esp32part writes them. */
webota_err_t webota_pt_from_csv(webota_parttable_t *pt, const char *csv, size_t len,
                                const webota_pt_csv_opts_t *opts, webota_pt_csv_error_t *err);

/* gen_esp32part's binary -> CSV text (header comments, hex offsets, K/M
 * sizes). *len (may be NULL) gets the length without the NUL. NO_SPACE when
 * cap is too small (about 80 bytes per entry is enough). */
webota_err_t webota_pt_to_csv(const webota_parttable_t *pt, char *out, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
