/* The slot seam (webota/slot.h) over ESP-IDF's esp_ota_ops, mechanism only
 * (the rules are the core's, src/core/slot.c): the slot is erased just ahead
 * of the data in 64 KiB blocks (erasing a whole 1 MiB+ slot up front trips
 * the task watchdog; sector by sector costs three times the flash time), and
 * abort closes it with esp_ota_abort, leaving otadata and the running
 * firmware untouched. */
#include <inttypes.h>
#include <string.h>

#include "esp_app_desc.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_system.h"
#include "sdkconfig.h"
#ifdef CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK
#include "esp_efuse.h"
#endif

#include "webota/app_desc.h"
#include "webota/flash.h"
#include "webota/ota_state.h"
#include "webota_esp_internal.h"

static const char *TAG = WEBOTA_ESP_TAG;

_Static_assert(sizeof(esp_app_desc_t) == WEBOTA_APP_DESC_SIZE,
               "esp_app_desc_t is the 256-byte descriptor of the image format");
_Static_assert((uint32_t)ESP_OTA_IMG_PENDING_VERIFY == WEBOTA_OTA_STATE_PENDING_VERIFY &&
                   (uint32_t)ESP_OTA_IMG_VALID == WEBOTA_OTA_STATE_VALID &&
                   (uint32_t)ESP_OTA_IMG_UNDEFINED == WEBOTA_OTA_STATE_UNDEFINED,
               "esp_ota_img_states_t values are the otadata states");

/* esp_ota_mark_app_invalid_rollback() (no reboot) exists since v5.5. */
#define WEBOTA_HAVE_INVALID_NO_REBOOT (ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 5, 0))

static int slot_index(const esp_partition_t *p)
{
    if (p->subtype >= ESP_PARTITION_SUBTYPE_APP_OTA_MIN && p->subtype < ESP_PARTITION_SUBTYPE_APP_OTA_MAX) {
        return (int)p->subtype - (int)ESP_PARTITION_SUBTYPE_APP_OTA_MIN;
    }
    return p->subtype == ESP_PARTITION_SUBTYPE_APP_TEST ? -2 : -1;
}

static void fill_info(const esp_partition_t *p, webota_slot_info_t *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(out->label) - 1 && p->label[i] != 0; i++) {
        out->label[i] = p->label[i];
    }
    out->offset = p->address;
    out->size = p->size;
    out->index = slot_index(p);
    esp_ota_img_states_t st;
    out->state = esp_ota_get_state_partition(p, &st) == ESP_OK ? (uint32_t)st : WEBOTA_OTA_STATE_UNDEFINED;
}

esp_ota_img_states_t webota_esp_running_state(void)
{
    const esp_partition_t *run = esp_ota_get_running_partition();
    esp_ota_img_states_t st;
    if (run == NULL || esp_ota_get_state_partition(run, &st) != ESP_OK) {
        return ESP_OTA_IMG_UNDEFINED;
    }
    return st;
}

/* Errors that can come from any esp_ota_* call (flash driver, memory). */
static webota_err_t common_err(esp_err_t e)
{
    switch (e) {
    case ESP_OK:
        return WEBOTA_OK;
    case ESP_ERR_NO_MEM:
        return WEBOTA_ERR_NO_SPACE;
    case ESP_ERR_INVALID_SIZE:
        return WEBOTA_ERR_IMG_TOO_BIG;
    case ESP_ERR_NOT_FOUND:
        return WEBOTA_ERR_NOT_FOUND;
    case ESP_ERR_OTA_PARTITION_CONFLICT:
        return WEBOTA_ERR_UPD_RUNNING_SLOT;
    case ESP_ERR_OTA_ROLLBACK_INVALID_STATE:
        return WEBOTA_ERR_UPD_PENDING_VERIFY;
    case ESP_ERR_OTA_VALIDATE_FAILED:
        /* The image passed webota's own checks while streaming, so ESP-IDF's
         * verification of the slot from flash failing means the flash content
         * differs (or, with Secure Boot, the signature did not verify). */
        return WEBOTA_ERR_FLASH_VERIFY;
    case ESP_ERR_OTA_SMALL_SEC_VER:
        return WEBOTA_ERR_UPD_SECURE_VERSION;
    case ESP_ERR_OTA_ROLLBACK_FAILED:
        return WEBOTA_ERR_UPD_ROLLBACK_IMPOSSIBLE;
    default:
        return WEBOTA_ERR_IO;
    }
}

static webota_err_t op_running(void *ctx, webota_slot_info_t *out)
{
    (void)ctx;
    const esp_partition_t *run = esp_ota_get_running_partition();
    if (run == NULL) {
        return WEBOTA_ERR_NOT_FOUND;
    }
    fill_info(run, out);
    return WEBOTA_OK;
}

static webota_err_t op_next(void *ctx, webota_slot_info_t *out)
{
    (void)ctx;
    const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
    if (next == NULL) {
        return WEBOTA_ERR_UPD_NO_SLOT;
    }
    fill_info(next, out);
    return WEBOTA_OK;
}

static void op_abort(void *ctx)
{
    webota_esp_slot_t *s = ctx;
    if (s->open) {
        esp_err_t e = esp_ota_abort(s->handle);
        if (e != ESP_OK) {
            ESP_LOGW(TAG, "esp_ota_abort: %s", esp_err_to_name(e));
        }
    }
    s->open = false;
    s->finished = false;
}

/* The erase unit at slot offset `at`: a 64 KiB block when it starts there and
 * lies wholly in the slot (esp_partition_erase_range then lets the flash
 * driver use the block erase command, about three times as fast as its 16
 * sectors), else one 4 KiB sector (the slot's unaligned edges). */
static uint32_t erase_unit(const esp_partition_t *p, uint32_t at)
{
    return ((p->address + at) % WEBOTA_BLOCK_SIZE == 0 && p->size - at >= WEBOTA_BLOCK_SIZE)
               ? WEBOTA_BLOCK_SIZE
               : WEBOTA_SECTOR_SIZE;
}

/* esp_ota_begin (which itself refuses the running slot, and with rollback a
 * PENDING_VERIFY running app: the core checked both first, slot.c). Its
 * image_size is the first erase unit: esp_ota_begin erases just that, and
 * esp_ota_write then erases nothing itself, so that this port erases ahead in
 * blocks (op_write). Never the whole slot up front: that blocks the HTTP
 * task for seconds. */
static webota_err_t op_open(void *ctx, uint32_t image_size)
{
    webota_esp_slot_t *s = ctx;
    if (s->open) {
        return WEBOTA_ERR_STATE;
    }
    const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
    if (next == NULL) {
        return WEBOTA_ERR_UPD_NO_SLOT;
    }
    if (image_size > next->size) {
        return WEBOTA_ERR_IMG_TOO_BIG;
    }
    s->rb_known = false; /* the slot is about to change */
    uint32_t first = erase_unit(next, 0);
    esp_err_t e = esp_ota_begin(next, first, &s->handle);
    if (e != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_begin(%s): %s", next->label, esp_err_to_name(e));
        return common_err(e);
    }
    s->open = true;
    s->finished = false;
    s->target = next;
    s->written = 0;
    s->erased_to = first;
    ESP_LOGI(TAG, "writing %s at 0x%08" PRIx32 " (%" PRIu32 " bytes)", next->label, next->address,
             next->size);
    return WEBOTA_OK;
}

/* Erase-ahead in blocks (see erase_unit), then esp_ota_write, which checks
 * the first byte (0xE9). */
static webota_err_t op_write(void *ctx, const void *data, size_t len)
{
    webota_esp_slot_t *s = ctx;
    if (!s->open) {
        return WEBOTA_ERR_STATE;
    }
    if (len == 0) {
        return WEBOTA_OK;
    }
    if (data == NULL) {
        return WEBOTA_ERR_ARG;
    }
    if (len > s->target->size - s->written) {
        return WEBOTA_ERR_IMG_TOO_BIG;
    }
    const uint8_t *d = data;
    while (len > 0) {
        if (s->written == s->erased_to) {
            uint32_t n = erase_unit(s->target, s->erased_to);
            esp_err_t e = esp_partition_erase_range(s->target, s->erased_to, n);
            if (e != ESP_OK) {
                ESP_LOGE(TAG, "esp_partition_erase_range: %s", esp_err_to_name(e));
                return common_err(e);
            }
            s->erased_to += n;
        }
        size_t n = s->erased_to - s->written;
        if (n > len) {
            n = len;
        }
        esp_err_t e = esp_ota_write(s->handle, d, n);
        if (e != ESP_OK) {
            ESP_LOGE(TAG, "esp_ota_write: %s", esp_err_to_name(e));
            /* the first byte is what esp_ota_write validates */
            return e == ESP_ERR_OTA_VALIDATE_FAILED ? WEBOTA_ERR_IMG_MAGIC : common_err(e);
        }
        s->written += (uint32_t)n;
        d += n;
        len -= n;
    }
    return WEBOTA_OK;
}

static webota_err_t op_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    webota_esp_slot_t *s = ctx;
    if (s->target == NULL) {
        return WEBOTA_ERR_STATE;
    }
    if (buf == NULL && len > 0) {
        return WEBOTA_ERR_ARG;
    }
    if (offset > s->target->size || len > s->target->size - offset) {
        return WEBOTA_ERR_IMG_TOO_BIG;
    }
    if (len == 0) {
        return WEBOTA_OK;
    }
    esp_err_t e = esp_partition_read(s->target, offset, buf, len);
    return e == ESP_OK ? WEBOTA_OK : common_err(e);
}

/* esp_ota_end: closes the handle whatever the result and verifies the image
 * from flash (esp_image_verify). */
static webota_err_t op_finish(void *ctx)
{
    webota_esp_slot_t *s = ctx;
    if (!s->open) {
        return WEBOTA_ERR_STATE;
    }
    s->open = false;
    if (s->written == 0) {
        (void)esp_ota_abort(s->handle);
        return WEBOTA_ERR_UPD_EMPTY;
    }
    esp_err_t e = esp_ota_end(s->handle);
    if (e != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_end: %s", esp_err_to_name(e));
        return common_err(e);
    }
    s->finished = true;
    return WEBOTA_OK;
}

static webota_err_t op_activate(void *ctx)
{
    webota_esp_slot_t *s = ctx;
    if (!s->finished || s->target == NULL) {
        return WEBOTA_ERR_STATE;
    }
    s->finished = false;
    s->rb_known = false;
    esp_err_t e = esp_ota_set_boot_partition(s->target);
    if (e != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_set_boot_partition(%s): %s", s->target->label, esp_err_to_name(e));
        return e == ESP_ERR_NOT_FOUND ? WEBOTA_ERR_OTA_NO_OTADATA : common_err(e);
    }
    ESP_LOGI(TAG, "next boot: %s", s->target->label);
    return WEBOTA_OK;
}

static webota_err_t op_mark_valid(void *ctx)
{
    webota_esp_slot_t *s = ctx;
    s->rb_known = false;
    esp_err_t e = esp_ota_mark_app_valid_cancel_rollback(); /* no-op when already VALID */
    if (e == ESP_FAIL || e == ESP_ERR_NOT_FOUND) {
        return WEBOTA_ERR_UPD_NOT_PENDING; /* factory app, or no otadata partition */
    }
    if (e == ESP_OK) {
        ESP_LOGI(TAG, "running firmware confirmed: rollback cancelled");
    }
    return common_err(e);
}

/* esp_ota_check_rollback_is_possible verifies the other slot's image (a
 * SHA-256 over it) on every call; GET /api/status asks each time, so the
 * answer is kept until this port writes the flash (open, activate, marks). */
static bool op_rollback_possible(void *ctx)
{
    webota_esp_slot_t *s = ctx;
    if (!s->rb_known) {
        s->rb_possible = esp_ota_check_rollback_is_possible();
        s->rb_known = true;
    }
    return s->rb_possible;
}

static webota_err_t op_mark_invalid(void *ctx)
{
    webota_esp_slot_t *s = ctx;
    s->rb_known = false;
#if WEBOTA_HAVE_INVALID_NO_REBOOT
    esp_err_t e = esp_ota_mark_app_invalid_rollback();
    if (e != ESP_OK) {
        ESP_LOGE(TAG, "esp_ota_mark_app_invalid_rollback: %s", esp_err_to_name(e));
        return e == ESP_FAIL ? WEBOTA_ERR_UPD_ROLLBACK_IMPOSSIBLE : common_err(e);
    }
    ESP_LOGW(TAG, "running firmware marked invalid: the next boot rolls back");
#else
    /* Only the rebooting variant exists: it runs from the restart, after the
     * answer has been sent. */
    s->rollback_at_reboot = true;
#endif
    return WEBOTA_OK;
}

static webota_err_t op_running_desc(void *ctx, webota_app_desc_t *out)
{
    (void)ctx;
    const esp_app_desc_t *d = esp_app_get_description();
    uint8_t raw[WEBOTA_APP_DESC_SIZE];
    memcpy(raw, d, sizeof(raw));
    return webota_app_desc_decode(raw, out);
}

#ifdef CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK
/* The eFuse SECURE_VERSION the bootloader compares every app against: the
 * update policy refuses an image below it before anything is erased. */
static webota_err_t op_security_version(void *ctx, uint32_t *out)
{
    (void)ctx;
    *out = esp_efuse_read_secure_version();
    return WEBOTA_OK;
}
#endif

/* esp_restart; under IDF < 5.5 after an accepted rollback request
 * esp_ota_mark_app_invalid_rollback_and_reboot. */
static void op_restart(void *ctx)
{
    webota_esp_slot_t *s = ctx;
#if !WEBOTA_HAVE_INVALID_NO_REBOOT
    if (s->rollback_at_reboot) {
        esp_err_t e = esp_ota_mark_app_invalid_rollback_and_reboot(); /* returns only on failure */
        ESP_LOGE(TAG, "rollback failed (%s): restarting the same firmware", esp_err_to_name(e));
    }
#else
    (void)s;
#endif
    esp_restart();
}

void webota_esp_slot_init(webota_esp_slot_t *s, webota_slot_ops_t *ops)
{
    memset(s, 0, sizeof(*s));
    memset(ops, 0, sizeof(*ops));
    ops->ctx = s;
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    ops->rollback_enabled = true;
#endif
    ops->running = op_running;
    ops->next = op_next;
    ops->open = op_open;
    ops->write = op_write;
    ops->read = op_read;
    ops->finish = op_finish;
    ops->abort = op_abort;
    ops->activate = op_activate;
    ops->mark_valid = op_mark_valid;
    ops->mark_invalid = op_mark_invalid;
    ops->rollback_possible = op_rollback_possible;
    ops->running_desc = op_running_desc;
    ops->restart = op_restart;
#ifdef CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK
    ops->security_version = op_security_version;
#endif
}
