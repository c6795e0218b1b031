/* The slot seam and the rules applied over it.
 *
 * webota_slot_ops_t is MECHANISM only, the shape of MCUboot's flash_area_*
 * and of ESP-IDF's esp_ota_ops: what a platform must be able to do with its
 * OTA slots. Two implementations: src/core/slot_flash.c (any raw NOR flash
 * reached through webota_flash_t; the simulator and bare-metal devices) and
 * ports/esp-idf/src/webota_esp_slot.c (esp_ota_ops). Every implementation
 * passes the same conformance suite (tests/unit/test_slot_conformance.c).
 *
 * webota_slot_t (src/core/slot.c) holds every RULE, once: one open slot at a
 * time (a second begin is refused with UPD_BUSY, the open one is left alone),
 * never the running slot, the announced size against the slot, the
 * PENDING_VERIFY refusal (only with rollback enabled, as esp_ota_begin does),
 * finish before activate, what confirming and rolling back require. The
 * update session (update.h), the HTTP API (api.h) and the confirm policy
 * (confirm.h) use the seam only through it. */
#ifndef WEBOTA_SLOT_H
#define WEBOTA_SLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/app_desc.h"
#include "webota/err.h"
#include "webota/ota_state.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct webota_slot_info {
    char label[17];
    uint32_t offset; /* flash address */
    uint32_t size;
    int index;      /* OTA slot number 0..15; -1 factory; -2 test */
    uint32_t state; /* WEBOTA_OTA_STATE_*; UNDEFINED when otadata has no entry for it */
} webota_slot_info_t;

/* The seam. Contracts (checked by the conformance suite for every
 * implementation); no function applies a policy rule beyond what its
 * platform itself enforces. */
typedef struct webota_slot_ops {
    void *ctx;
    /* CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE of the platform: the bootloader
     * turns NEW into PENDING_VERIFY and rolls back an unconfirmed firmware. */
    bool rollback_enabled;
    /* The partition the running firmware was booted from, with its otadata
     * state. NOT_FOUND when unknown. No side effects. */
    webota_err_t (*running)(void *ctx, webota_slot_info_t *out);
    /* The slot the next update goes to (esp_ota_get_next_update_partition):
     * UPD_NO_SLOT when there is none. No side effects. */
    webota_err_t (*next)(void *ctx, webota_slot_info_t *out);
    /* Opens `next` for sequential writing (esp_ota_begin). Erases at most the
     * slot's first 64 KiB block (never the whole slot up front); with rollback
     * enabled it invalidates the inactive otadata entry that points elsewhere
     * than the running slot (esp_ota_invalidate_inactive_ota_data_slot). STATE
     * when a slot is already open (that one stays open). */
    webota_err_t (*open)(void *ctx, uint32_t image_size /* 0 = unknown */);
    /* Appends len bytes at the write pointer. Erase-ahead is the port's
     * mechanism: a 64 KiB block (a 4 KiB sector at the slot's unaligned
     * edges) is erased only when the write pointer enters it, so the slot's
     * bytes past align_up(written, 64 KiB) are never touched. The first byte
     * must be 0xE9 (IMG_MAGIC). IMG_TOO_BIG past the slot end, STATE when not
     * open, FLASH_* on flash errors. */
    webota_err_t (*write)(void *ctx, const void *data, size_t len);
    /* Reads back len bytes at `offset` of the slot being (or just) written:
     * valid from open until the next open. STATE before any open, IMG_TOO_BIG
     * past the slot end. */
    webota_err_t (*read)(void *ctx, uint32_t offset, void *buf, size_t len);
    /* Closes the slot (always, whatever the verdict, like esp_ota_end) and
     * proves from flash that it holds the bytes written (FLASH_VERIFY
     * otherwise). The update session has judged the image while it streamed;
     * an implementation may judge it again here (esp_ota_end does, with the
     * hardware SHA: IMG_* / FLASH_VERIFY), the NOR-flash writer does not.
     * UPD_EMPTY when nothing was written, STATE when not open. */
    webota_err_t (*finish)(void *ctx);
    /* Abandons an open slot; otadata and the running firmware untouched.
     * No-op when nothing is open. */
    void (*abort)(void *ctx);
    /* Makes the finished slot the boot slot (esp_ota_set_boot_partition):
     * otadata entry NEW with rollback enabled, else UNDEFINED. STATE without
     * a successful finish since the last open. With anti-rollback a
     * descriptor below the eFuse's secure version is refused
     * (UPD_SECURE_VERSION) and the slot erased, as ESP-IDF does. */
    webota_err_t (*activate)(void *ctx);
    /* esp_ota_mark_app_valid_cancel_rollback: the active otadata entry
     * becomes VALID (no-op when it is). UPD_NOT_PENDING when the running
     * firmware has no active entry (factory app, no otadata partition). */
    webota_err_t (*mark_valid)(void *ctx);
    /* esp_ota_mark_app_invalid_rollback (without the reboot): the active
     * entry becomes INVALID so that the next boot goes back. */
    webota_err_t (*mark_invalid)(void *ctx);
    /* esp_ota_check_rollback_is_possible: another slot (or the factory app)
     * holds an image that verifies. Called on every status request: an
     * implementation that verifies images keeps each slot's verdict until it
     * writes that slot. */
    bool (*rollback_possible)(void *ctx);
    /* Descriptor of the running firmware. */
    webota_err_t (*running_desc)(void *ctx, webota_app_desc_t *out);
    /* Restarts the chip now (esp_restart); does not return on a device. May
     * be NULL when the platform reboots by other means (the simulator). */
    void (*restart)(void *ctx);
    /* The device's security version when its bootloader enforces
     * anti-rollback (CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK: the eFuse
     * SECURE_VERSION, esp_efuse_read_secure_version): an image whose
     * secure_version is lower would never boot. UNSUPPORTED when the platform
     * has no anti-rollback. May be NULL (= UNSUPPORTED). */
    webota_err_t (*security_version)(void *ctx, uint32_t *out);
} webota_slot_ops_t;

/* The rules over one seam (fields private to src/core/slot.c). Caller-owned;
 * zero it or use webota_slot_init. */
typedef struct webota_slot {
    const webota_slot_ops_t *ops;
    bool open;     /* opened by webota_slot_begin, not yet finished/aborted */
    bool finished; /* finish succeeded, activate not yet called */
    webota_slot_info_t target;
} webota_slot_t;

/* ARG when ops or one of its required functions (all but restart) is NULL. */
webota_err_t webota_slot_init(webota_slot_t *s, const webota_slot_ops_t *ops);

webota_err_t webota_slot_running(const webota_slot_t *s, webota_slot_info_t *out);
webota_err_t webota_slot_next(const webota_slot_t *s, webota_slot_info_t *out);
webota_err_t webota_slot_running_desc(const webota_slot_t *s, webota_app_desc_t *out);
bool webota_slot_rollback_possible(const webota_slot_t *s);
/* ops->security_version, UNSUPPORTED when the platform has none. */
webota_err_t webota_slot_security_version(const webota_slot_t *s, uint32_t *out);
bool webota_slot_rollback_enabled(const webota_slot_t *s);
/* True while a session holds the slot open. */
bool webota_slot_busy(const webota_slot_t *s);

/* Opens the next slot for an image of image_size bytes (0 = unknown).
 * Refuses, in this order: a slot already open (UPD_BUSY; it stays open), no
 * next slot (UPD_NO_SLOT), the running slot (UPD_RUNNING_SLOT), a size larger
 * than the slot (IMG_TOO_BIG), with rollback enabled a running firmware in
 * PENDING_VERIFY (UPD_PENDING_VERIFY). target (may be NULL) gets the slot. */
webota_err_t webota_slot_begin(webota_slot_t *s, uint32_t image_size, webota_slot_info_t *target);
/* The refusals of webota_slot_begin, judged without opening anything (the
 * HTTP API answers them from the request's headers, before any body). */
webota_err_t webota_slot_check(const webota_slot_t *s, uint32_t image_size);
webota_err_t webota_slot_write(webota_slot_t *s, const void *data, size_t len);
webota_err_t webota_slot_finish(webota_slot_t *s);
void webota_slot_abort(webota_slot_t *s);
webota_err_t webota_slot_activate(webota_slot_t *s);
/* Confirms the running firmware: nothing to do when it is VALID, else
 * mark_valid (UPD_NOT_PENDING when it has no active otadata entry: factory
 * app, no otadata). */
webota_err_t webota_slot_confirm(webota_slot_t *s);
/* Marks the running firmware INVALID so that the next boot rolls back:
 * UPD_ROLLBACK_IMPOSSIBLE unless rollback_possible. The caller reboots. */
webota_err_t webota_slot_rollback(webota_slot_t *s);
/* ops->restart when there is one. */
void webota_slot_restart(webota_slot_t *s);

#ifdef __cplusplus
}
#endif

#endif
