/* Whole flash images for the simulated device: a partition table at its
 * offset, app images placed in their partitions, everything else erased
 * (otadata included, so the first boot takes the factory app, or ota_0 when
 * there is none). */
#ifndef WEBOTA_SIM_FLASH_IMAGE_H
#define WEBOTA_SIM_FLASH_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/nor_flash.h"
#include "webota/err.h"
#include "webota/flash.h"
#include "webota/parttable.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sim_flash_app {
    const char *label; /* an app partition of the table */
    const uint8_t *image;
    size_t len;
} sim_flash_app_t;

/* Erases the whole chip, writes the table (webota_pt_build with MD5; the rest
 * of its sector stays 0xFF) at table_offset and programs each app at the start
 * of its partition. The images are placed as given (not checked: see
 * webota_image_check_buffer). Errors, with a sentence in errmsg (may be NULL):
 * ARG (table_offset not sector-aligned or its sector outside the chip, or a
 * label that is not an app partition), NOT_FOUND (no partition with that
 * label), PT_OUT_OF_FLASH (a partition outside the chip), IMG_TOO_BIG (an app
 * larger than its partition), the table builder's errors, FLASH_* errors. */
webota_err_t sim_flash_make(sim_nor_t *n, const webota_parttable_t *pt, uint32_t table_offset,
                            const sim_flash_app_t *apps, unsigned napps, char *errmsg, size_t errcap);

/* Reads and verifies the table at table_offset as the device does
 * (webota_pt_parse with the chip size, MD5 required). *bad_index as there. */
webota_err_t sim_flash_load_table(const webota_flash_t *flash, uint32_t table_offset, webota_parttable_t *pt,
                                  int *bad_index);

#ifdef __cplusplus
}
#endif

#endif
