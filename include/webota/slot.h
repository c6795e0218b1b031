/* The slot-writer seam: how an update session reaches the OTA machinery of a
 * platform. The simulator implements it over a flash file and otadata.c
 * (src/sim/), the ESP-IDF port over esp_ota_ops (ports/esp-idf/). */
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

typedef struct webota_slot_ops {
    void *ctx;
    /* The partition the running firmware was booted from, with its state. */
    webota_err_t (*running)(void *ctx, webota_slot_info_t *out);
    /* The slot the next update goes to (esp_ota_get_next_update_partition); no side effects. */
    webota_err_t (*next)(void *ctx, webota_slot_info_t *out);
    /* Opens the next slot for sequential writing. Refuses the running slot
     * (UPD_RUNNING_SLOT) and a running firmware in PENDING_VERIFY (UPD_PENDING_VERIFY).
     * Erases nothing up front: write() erases just ahead of its write pointer. */
    webota_err_t (*begin)(void *ctx, uint32_t image_size /* 0 = unknown */);
    webota_err_t (*write)(void *ctx, const void *data, size_t len);
    /* All bytes written: verify the whole image again from flash. */
    webota_err_t (*finish)(void *ctx);
    /* Abandons an open slot (begin without finish/activate); otadata untouched. */
    void (*abort)(void *ctx);
    /* Makes the finished slot the boot slot (esp_ota_set_boot_partition). */
    webota_err_t (*activate)(void *ctx);
    /* Marks the running firmware VALID (cancels rollback). */
    webota_err_t (*confirm)(void *ctx);
    /* Marks the running firmware INVALID so that the next boot rolls back; the
     * caller reboots afterwards. UPD_ROLLBACK_IMPOSSIBLE when nothing to go back to. */
    webota_err_t (*rollback)(void *ctx);
    bool (*rollback_possible)(void *ctx);
    /* Descriptor of the running firmware. */
    webota_err_t (*running_desc)(void *ctx, webota_app_desc_t *out);
} webota_slot_ops_t;

#ifdef __cplusplus
}
#endif

#endif
