/* The slot writer (webota/slot.h) over a raw NOR flash: partition table +
 * otadata + app slots, the way ESP-IDF's esp_ota_ops drive them
 * (docs/formats.md#esp_ota_ops-behaviour, docs/formats.md#set-boot-partition).
 * Used by the simulator and by any bare-metal device that reaches its flash
 * through a webota_flash_t.
 *
 * Mechanism only: the rules (busy, running slot, PENDING_VERIFY, ...) are the
 * core's (webota/slot.h, webota_slot_t).
 *
 *  - open: the next update slot (esp_ota_get_next_update_partition from the
 *    running partition); with rollback erases the inactive otadata sector
 *    (esp_ota_invalidate_inactive_ota_data_slot). Erases no app sector.
 *  - write: sequential erase-ahead: when the write pointer enters unerased
 *    space, a 64 KiB block if it starts there and lies wholly in the slot, else
 *    a 4 KiB sector (the slot's edges); programs, reads back and compares
 *    (FLASH_VERIFY on a difference): the proof that the slot holds the bytes.
 *  - finish: closes the slot. The image is not read or hashed again: the
 *    update session judged it as it streamed, the page compares proved the
 *    flash, and the bootloader verifies the image at boot.
 *  - activate: esp_ota_set_boot_partition of IDF v6.0 without its second image
 *    verification (anti-rollback reads the descriptor; erase the target otadata
 *    sector, then program the 32-byte entry; NEW with rollback, else UNDEFINED).
 *  - mark_valid / mark_invalid / running / rollback_possible / running_desc as
 *    the esp_ota_* calls; rollback_possible verifies the other slots from flash
 *    once and remembers each verdict until that slot is written.
 *
 * Each otadata entry is programmed in two steps, bytes 4..31 then the seq
 * word, so that a torn write can never leave a CRC-valid entry with a partial
 * state (the bytes on flash are the same as ESP-IDF's single write).
 *
 * No allocation: webota_slot_flash_t is caller-owned (about 7 KiB: the parsed
 * partition table, and a work area for the table bytes or the image checker).
 * It holds pointers into itself: do not move it after init. */
#ifndef WEBOTA_SLOT_FLASH_H
#define WEBOTA_SLOT_FLASH_H

#include <stdbool.h>
#include <stdint.h>

#include "webota/err.h"
#include "webota/flash.h"
#include "webota/image.h"
#include "webota/parttable.h"
#include "webota/slot.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct webota_slot_flash_config {
    const webota_flash_t *flash;   /* must outlive the slot writer */
    uint32_t table_offset;         /* 0 = 0x8000 */
    bool rollback;                 /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
    bool anti_rollback;            /* CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK */
    uint32_t efuse_secure_version; /* with anti_rollback */
    int chip;                      /* webota_chip_t of the device (0 = ESP32), -1 = ESP32 */
    bool check_chip_rev;           /* check images against chip_rev (false = not checked) */
    int chip_rev;                  /* major*100+minor, with check_chip_rev */
    uint32_t running_offset;       /* flash address of the booted partition */
} webota_slot_flash_config_t;

/* flash and running_offset as given, the rest zeroed: table 0x8000 (0), no
 * rollback, no anti-rollback, ESP32, revision not checked (a zeroed config
 * with flash and running_offset set is the same). */
void webota_slot_flash_config_init(webota_slot_flash_config_t *cfg, const webota_flash_t *flash,
                                   uint32_t running_offset);

#define WEBOTA_SLOT_FLASH_BUF_SIZE 256u /* read-back / verify buffer */

/* What a from-flash verification of an app partition found, kept until the
 * partition is written again (so that status requests never hash images). */
typedef struct webota_slot_flash_verdict {
    bool known;              /* verified since init / since the last write */
    bool ok;                 /* the image verifies */
    uint32_t secure_version; /* its descriptor's, when ok */
} webota_slot_flash_verdict_t;

/* Fields are private to slot_flash.c. */
typedef struct webota_slot_flash {
    webota_slot_flash_config_t cfg;
    webota_parttable_t pt;
    const webota_partition_t *running; /* NULL if running_offset is in no app partition */
    const webota_partition_t *target;  /* slot opened by begin */
    bool open, finished;
    uint32_t written;   /* bytes written to target */
    uint32_t erased_to; /* target bytes [0, erased_to) are erased for this session */
    uint32_t image_len; /* bytes of the image the last finish closed */
    webota_slot_flash_verdict_t verdict[WEBOTA_PT_MAX_ENTRIES]; /* by partition index */
    uint8_t buf[WEBOTA_SLOT_FLASH_BUF_SIZE];
    union {
        uint8_t table[WEBOTA_PT_MAX_LEN];  /* during init */
        struct {
            webota_image_checker_t checker;
            webota_app_desc_t desc;
        } verify;                         /* while verifying an image from flash */
    } work;
} webota_slot_flash_t;

/* Reads and verifies the partition table as the bootloader does (its MD5 is
 * checked when present) and finds the running partition. Errors: ARG, FLASH_*, the PT_*
 * errors of webota_pt_parse. */
webota_err_t webota_slot_flash_init(webota_slot_flash_t *s, const webota_slot_flash_config_t *cfg);
/* Fills ops with this writer's functions; ops->ctx = s. */
void webota_slot_flash_ops(webota_slot_flash_t *s, webota_slot_ops_t *ops);

/* The otadata state recorded for an app partition (esp_ota_get_state_partition):
 * UNDEFINED when no CRC-valid entry maps to it. */
uint32_t webota_slot_flash_state_of(webota_slot_flash_t *s, const webota_partition_t *p);
/* Bytes the last finish proved on flash (0 before). */
uint32_t webota_slot_flash_image_length(const webota_slot_flash_t *s);

#ifdef __cplusplus
}
#endif

#endif
