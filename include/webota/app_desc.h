/* The ESP-IDF application descriptor (esp_app_desc_t, 256 bytes at image
 * offset 0x20), decoded into NUL-terminated fields. */
#ifndef WEBOTA_APP_DESC_H
#define WEBOTA_APP_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "webota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_APP_DESC_MAGIC 0xABCD5432u
#define WEBOTA_APP_DESC_SIZE 256u
#define WEBOTA_APP_DESC_OFFSET 0x20u /* in the image: 24-byte header + 8-byte segment header */

typedef struct webota_app_desc {
    uint32_t magic_word;
    uint32_t secure_version;
    char version[33];
    char project_name[33];
    char time[17];
    char date[17];
    char idf_ver[33];
    uint8_t app_elf_sha256[32];
    uint16_t min_efuse_blk_rev_full;
    uint16_t max_efuse_blk_rev_full;
    uint8_t mmu_page_size; /* log2; 0 = not set */
} webota_app_desc_t;

/* Decodes 256 raw bytes. Returns WEBOTA_ERR_IMG_APPDESC when the magic is wrong
 * (the fields are still decoded). */
webota_err_t webota_app_desc_decode(const uint8_t raw[WEBOTA_APP_DESC_SIZE], webota_app_desc_t *out);

/* Encodes into 256 raw bytes (reserved bytes zero), as the ESP-IDF build does. */
void webota_app_desc_encode(const webota_app_desc_t *desc, uint8_t raw[WEBOTA_APP_DESC_SIZE]);

/* Compares two app versions ("1.2.3", "v2.0", "1.2.0-rc1"): an optional
 * leading 'v', then dot-separated decimal numbers (missing trailing ones
 * count as 0: "1.2" == "1.2.0"), then optionally '-' and a pre-release tag.
 * A pre-release is older than the same numbers without one ("1.2.0-rc1" <
 * "1.2.0"); two pre-release tags of the same numbers compare by bytes. A
 * tag must not start with a digit ("1.2-3-gabc", git describe's "3 commits
 * after 1.2", is not a pre-release and is not ordered).
 * Result in *cmp: <0 a older, 0 equal, >0 a newer. Returns false (and leaves
 * *cmp 0) when either is not of that form (e.g. a git describe hash):
 * such versions have no order, so a caller must not refuse on them. */
bool webota_version_compare(const char *a, const char *b, int *cmp);

#ifdef __cplusplus
}
#endif

#endif
