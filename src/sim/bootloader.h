/* The simulated ESP32 second-stage bootloader: powers the device on once and
 * chooses, verifies and "loads" the boot partition exactly as ESP-IDF's
 * bootloader does (docs/formats.md#bootloader-choice: partition table at table_offset with MD5,
 * otadata selection, rollback rewrites, load order with fallback, image
 * verification, anti-rollback with an emulated eFuse secure version, the
 * initial-contents write of otadata). Its otadata rewrites go to the flash. */
#ifndef WEBOTA_SIM_BOOTLOADER_H
#define WEBOTA_SIM_BOOTLOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "webota/app_desc.h"
#include "webota/chip.h"
#include "webota/err.h"
#include "webota/flash.h"
#include "webota/parttable.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sim_boot_config {
    uint32_t table_offset;         /* 0x8000 usually (0 = 0x8000) */
    bool rollback;                 /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
    bool anti_rollback;            /* CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK */
    uint32_t efuse_secure_version; /* emulated eFuse SECURE_VERSION (a count, 0..32) */
    int chip;                      /* webota_chip_t of the device; -1 = any known chip */
    int chip_rev;                  /* major*100+minor; -1 = not checked */
} sim_boot_config_t;

/* table_offset 0x8000, no rollback, no anti-rollback, eFuse 0, ESP32, revision not checked. */
void sim_boot_config_init(sim_boot_config_t *cfg);

#define SIM_BOOT_LOG_MAX 1024

typedef struct sim_boot_result {
    webota_partition_t part; /* the partition booted */
    int index;               /* OTA slot, -1 factory, -2 test; -3 when nothing booted */
    uint32_t state;          /* otadata state of the booted slot after the rewrites, UNDEFINED if none */
    webota_app_desc_t desc;
    bool marker;           /* the image carries the webota updater marker */
    uint32_t image_length; /* verified length including checksum and SHA-256 */
    uint32_t efuse_secure_version; /* after a possible raise */
    unsigned otadata_writes;       /* otadata sectors rewritten by this boot */
    char log[SIM_BOOT_LOG_MAX];    /* what the bootloader did, line by line, like ESP-IDF's boot log */
} sim_boot_result_t;

/* Powers on once (cfg NULL = sim_boot_config_init defaults). Errors: the partition-table errors (table unreadable),
 * NOT_FOUND when nothing is bootable (the real chip would reset forever),
 * FLASH_* when the flash fails. out->log is filled in every case. */
webota_err_t sim_boot(const webota_flash_t *flash, const sim_boot_config_t *cfg,
                      sim_boot_result_t *out);

#ifdef __cplusplus
}
#endif

#endif
