/* esp_ota_ops stand-in (tests only): ESP-IDF v5.5's app_update behaviour over
 * the host device's partitions, with webota's own pieces where ESP-IDF uses
 * its own: the image checker (src/core/image.c) for esp_image_verify and the
 * otadata rules (src/core/otadata.c, the v5.5 set-boot rule) for the two
 * otadata entries. Each function says what it reproduces.
 *
 * Not reproduced: flash encryption (16-byte buffering in esp_ota_write),
 * anti-rollback (secure_version eFuse), Secure Boot signature checks,
 * bootloader / partition-table updates, esp_ota_resume, staging partitions. */
#include <stdlib.h>
#include <string.h>

#include "esp_log.h"
#include "esp_ota_ops.h"
#include "idf_host_internal.h"
#include "sdkconfig.h"
#include "webota/chip.h"
#include "webota/image.h"
#include "webota/otadata.h"

static const char *TAG = "esp_ota_ops";

#define DESC_OFFSET 0x20u /* image header (24) + first segment header (8) */

typedef struct ota_entry {
    esp_ota_handle_t handle;
    const esp_partition_t *part;
    bool need_erase; /* OTA_WITH_SEQUENTIAL_WRITES */
    uint32_t wrote_size;
    struct ota_entry *next;
} ota_entry_t;

static ota_entry_t *s_entries;
static esp_ota_handle_t s_last_handle;

void idf_host_ota_reset(void)
{
    while (s_entries != NULL) {
        ota_entry_t *e = s_entries;
        s_entries = e->next;
        free(e);
    }
}

unsigned idf_host_ota_open_handles(void)
{
    unsigned n = 0;
    for (const ota_entry_t *e = s_entries; e != NULL; e = e->next) {
        n++;
    }
    return n;
}

static ota_entry_t *find_entry(esp_ota_handle_t h)
{
    for (ota_entry_t *e = s_entries; e != NULL; e = e->next) {
        if (e->handle == h) {
            return e;
        }
    }
    return NULL;
}

static void drop_entry(ota_entry_t *it)
{
    for (ota_entry_t **pp = &s_entries; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == it) {
            *pp = it->next;
            free(it);
            return;
        }
    }
}

static bool is_ota_partition(const esp_partition_t *p)
{
    return p != NULL && p->type == ESP_PARTITION_TYPE_APP && p->subtype >= ESP_PARTITION_SUBTYPE_APP_OTA_0 &&
           p->subtype < ESP_PARTITION_SUBTYPE_APP_OTA_MAX;
}

/* ESP-IDF: esp_ota_get_app_partition_count, consecutive ota_0, ota_1, ... */
static unsigned app_count(void)
{
    unsigned n = 0;
    while (n < 16 && esp_partition_find_first(ESP_PARTITION_TYPE_APP,
                                              (esp_partition_subtype_t)(ESP_PARTITION_SUBTYPE_APP_OTA_MIN + n),
                                              NULL) != NULL) {
        n++;
    }
    return n;
}

/* ESP-IDF: read_otadata, both entries (at the start of each sector). */
static const esp_partition_t *read_otadata(webota_ota_entry_t e[2])
{
    const esp_partition_t *od = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_OTA, NULL);
    if (od == NULL) {
        ESP_LOGE(TAG, "not found otadata");
        return NULL;
    }
    uint8_t raw[WEBOTA_OTADATA_ENTRY_SIZE];
    for (unsigned i = 0; i < 2; i++) {
        if (esp_partition_read(od, i * od->erase_size, raw, sizeof(raw)) != ESP_OK) {
            return NULL;
        }
        webota_ota_entry_decode(raw, &e[i]);
    }
    return od;
}

/* ESP-IDF: rewrite_ota_seq, erase the entry's sector, then write the 32 bytes
 * in one write. */
static esp_err_t write_entry(const esp_partition_t *od, unsigned sector, const webota_ota_entry_t *e)
{
    uint8_t raw[WEBOTA_OTADATA_ENTRY_SIZE];
    webota_ota_entry_encode(e, raw);
    esp_err_t err = esp_partition_erase_range(od, sector * od->erase_size, od->erase_size);
    if (err != ESP_OK) {
        return err;
    }
    return esp_partition_write(od, sector * od->erase_size, raw, sizeof(raw));
}

/* ESP-IDF: esp_image_verify(ESP_IMAGE_VERIFY) of the image at the start of
 * the partition (chip, revision, segments, checksum, appended SHA-256), with
 * webota's streaming checker fed from flash. */
static esp_err_t image_validate(const esp_partition_t *p)
{
    static webota_image_checker_t c;
    static uint8_t buf[4096];
    const webota_chip_info_t *chip = webota_chip_by_name(CONFIG_IDF_TARGET);
    webota_image_policy_t pol;
    memset(&pol, 0, sizeof(pol));
    pol.check_chip = chip != NULL;
    pol.chip = chip != NULL ? (int)chip->chip : -1;
    pol.check_chip_rev = true;
    pol.chip_rev = idf_host_chip_revision();
    pol.efuse_blk_rev = -1;
    pol.max_size = p->size;
    webota_image_init(&c, &pol, NULL);
    const webota_image_status_t *st = webota_image_status(&c);
    webota_err_t e = WEBOTA_OK;
    for (uint32_t pos = 0; pos < p->size && !st->complete && e == WEBOTA_OK;) {
        uint32_t n = p->size - pos < sizeof(buf) ? p->size - pos : (uint32_t)sizeof(buf);
        if (esp_partition_read(p, pos, buf, n) != ESP_OK) {
            webota_image_abort(&c);
            return ESP_ERR_OTA_VALIDATE_FAILED;
        }
        e = webota_image_feed(&c, buf, n);
        pos += n;
    }
    if (e != WEBOTA_OK) {
        webota_image_abort(&c);
    } else {
        e = webota_image_finish(&c);
    }
    if (e != WEBOTA_OK) {
        ESP_LOGE(TAG, "image in %s does not verify: %s", p->label, webota_strerror(e));
        return ESP_ERR_OTA_VALIDATE_FAILED;
    }
    return ESP_OK;
}

/* ESP-IDF: esp_ota_get_running_partition, the app partition the code runs
 * from (here: the one the bootloader booted). */
const esp_partition_t *esp_ota_get_running_partition(void)
{
    return idf_host_partition_running();
}

/* ESP-IDF: esp_ota_get_state_partition, the state of the first entry (0
 * then 1) whose CRC is good and whose seq maps to the slot; NOT_SUPPORTED for
 * a partition that is not an OTA slot (factory), NOT_FOUND without entry. */
esp_err_t esp_ota_get_state_partition(const esp_partition_t *partition, esp_ota_img_states_t *ota_state)
{
    if (partition == NULL || ota_state == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (!is_ota_partition(partition)) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    webota_ota_entry_t e[2];
    unsigned n = app_count();
    uint32_t st;
    if (read_otadata(e) == NULL || n == 0 ||
        webota_ota_slot_state(e, (unsigned)(partition->subtype - ESP_PARTITION_SUBTYPE_APP_OTA_MIN), n, &st) !=
            WEBOTA_OK) {
        return ESP_ERR_NOT_FOUND;
    }
    *ota_state = (esp_ota_img_states_t)st;
    return ESP_OK;
}

/* ESP-IDF: esp_ota_get_next_update_partition, the OTA slot after start_from
 * (the running partition when NULL) in subtype order, else the first OTA slot. */
const esp_partition_t *esp_ota_get_next_update_partition(const esp_partition_t *start_from)
{
    start_from = start_from == NULL ? esp_ota_get_running_partition() : esp_partition_verify(start_from);
    const esp_partition_t *first = NULL;
    bool next_is_it = false;
    for (int t = ESP_PARTITION_SUBTYPE_APP_OTA_0; t < ESP_PARTITION_SUBTYPE_APP_OTA_MAX; t++) {
        const esp_partition_t *p = esp_partition_find_first(ESP_PARTITION_TYPE_APP, (esp_partition_subtype_t)t, NULL);
        if (p == NULL) {
            continue;
        }
        if (first == NULL) {
            first = p;
        }
        if (p == start_from) {
            next_is_it = true;
        } else if (next_is_it) {
            return p;
        }
    }
    return first;
}

/* ESP-IDF: esp_ota_get_partition_description, the 256 bytes after the image
 * and first segment headers; NOT_FOUND without the descriptor's magic word. */
esp_err_t esp_ota_get_partition_description(const esp_partition_t *partition, esp_app_desc_t *app_desc)
{
    if (partition == NULL || app_desc == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->type != ESP_PARTITION_TYPE_APP) {
        return ESP_ERR_NOT_SUPPORTED;
    }
    esp_err_t err = esp_partition_read(partition, DESC_OFFSET, app_desc, sizeof(*app_desc));
    if (err != ESP_OK) {
        return err;
    }
    return app_desc->magic_word == ESP_APP_DESC_MAGIC_WORD ? ESP_OK : ESP_ERR_NOT_FOUND;
}

/* ESP-IDF: esp_ota_invalidate_inactive_ota_data_slot, erase the sector of
 * the inactive entry when it points at an OTA slot other than the running
 * one, so that the bootloader never falls back into the slot being
 * overwritten. Errors are ignored by esp_ota_begin. */
static void invalidate_inactive(void)
{
    webota_ota_entry_t e[2];
    const esp_partition_t *od = read_otadata(e);
    const esp_partition_t *run = esp_ota_get_running_partition();
    if (od == NULL || run == NULL) {
        return;
    }
    int running_slot = is_ota_partition(run) ? (int)(run->subtype - ESP_PARTITION_SUBTYPE_APP_OTA_MIN) : -1;
    int sector = webota_ota_inactive_sector_to_erase(e, app_count(), running_slot);
    if (sector >= 0) {
        (void)esp_partition_erase_range(od, (size_t)sector * od->erase_size, od->erase_size);
    }
}

/* ESP-IDF v5.5: esp_ota_begin.
 *  - only an OTA app slot (INVALID_ARG), never the running one (PARTITION_CONFLICT);
 *  - with rollback enabled, refuses while the running app is PENDING_VERIFY
 *    (ROLLBACK_INVALID_STATE);
 *  - OTA_WITH_SEQUENTIAL_WRITES erases nothing now (esp_ota_write erases
 *    ahead); 0 or OTA_SIZE_UNKNOWN erase the whole slot; a size erases that
 *    much rounded up to sectors;
 *  - with rollback, invalidates the inactive otadata entry. */
esp_err_t esp_ota_begin(const esp_partition_t *partition, size_t image_size, esp_ota_handle_t *out_handle)
{
    if (partition == NULL || out_handle == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    partition = esp_partition_verify(partition);
    if (partition == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    if (!is_ota_partition(partition)) {
        return ESP_ERR_INVALID_ARG;
    }
    const esp_partition_t *running = esp_ota_get_running_partition();
    if (partition == running) {
        return ESP_ERR_OTA_PARTITION_CONFLICT;
    }
    if (idf_host_rollback()) {
        esp_ota_img_states_t st;
        if (esp_ota_get_state_partition(running, &st) == ESP_OK && st == ESP_OTA_IMG_PENDING_VERIFY) {
            ESP_LOGE(TAG, "Running app has not confirmed state (ESP_OTA_IMG_PENDING_VERIFY)");
            return ESP_ERR_OTA_ROLLBACK_INVALID_STATE;
        }
    }
    ota_entry_t *it = calloc(1, sizeof(*it));
    if (it == NULL) {
        return ESP_ERR_NO_MEM;
    }
    it->part = partition;
    it->handle = ++s_last_handle;
    it->need_erase = image_size == OTA_WITH_SEQUENTIAL_WRITES;
    it->next = s_entries;
    s_entries = it;
    *out_handle = it->handle;
    if (image_size != OTA_WITH_SEQUENTIAL_WRITES) {
        size_t erase = image_size == 0 || image_size == OTA_SIZE_UNKNOWN
                           ? partition->size
                           : (image_size + partition->erase_size - 1) / partition->erase_size * partition->erase_size;
        esp_err_t err = esp_partition_erase_range(partition, 0, erase);
        if (err != ESP_OK) {
            return err; /* the handle stays registered, as in ESP-IDF */
        }
    }
    if (idf_host_rollback()) {
        invalidate_inactive();
    }
    return ESP_OK;
}

/* ESP-IDF: esp_ota_write. With OTA_WITH_SEQUENTIAL_WRITES, erases the sectors
 * the write enters before writing (the one it starts in only when it starts
 * on a sector boundary); the first byte of the image must be the image magic
 * (VALIDATE_FAILED); an unknown handle is INVALID_ARG. */
esp_err_t esp_ota_write(esp_ota_handle_t handle, const void *data, size_t size)
{
    const uint8_t *d = data;
    if (data == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (size == 0) {
        return ESP_OK;
    }
    ota_entry_t *it = find_entry(handle);
    if (it == NULL) {
        ESP_LOGE(TAG, "not found the handle");
        return ESP_ERR_INVALID_ARG;
    }
    if (it->need_erase) {
        uint32_t es = it->part->erase_size;
        uint32_t first = it->wrote_size / es;
        uint32_t last = (uint32_t)((it->wrote_size + size - 1) / es);
        esp_err_t err = ESP_OK;
        if (it->wrote_size % es == 0) {
            err = esp_partition_erase_range(it->part, it->wrote_size, (size_t)(last - first + 1) * es);
        } else if (first != last) {
            err = esp_partition_erase_range(it->part, (size_t)(first + 1) * es, (size_t)(last - first) * es);
        }
        if (err != ESP_OK) {
            return err;
        }
    }
    if (it->wrote_size == 0 && d[0] != WEBOTA_IMAGE_MAGIC) {
        ESP_LOGE(TAG, "OTA image has invalid magic byte (expected 0xE9, saw 0x%02x)", d[0]);
        return ESP_ERR_OTA_VALIDATE_FAILED;
    }
    esp_err_t err = esp_partition_write(it->part, it->wrote_size, d, size);
    if (err == ESP_OK) {
        it->wrote_size += (uint32_t)size;
    }
    return err;
}

/* ESP-IDF: esp_ota_abort, forgets the handle (NOT_FOUND when unknown). */
esp_err_t esp_ota_abort(esp_ota_handle_t handle)
{
    ota_entry_t *it = find_entry(handle);
    if (it == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    drop_entry(it);
    return ESP_OK;
}

/* ESP-IDF: esp_ota_end, INVALID_ARG when nothing was written, else verifies
 * the image from flash (VALIDATE_FAILED); the handle is freed whatever the
 * result. */
esp_err_t esp_ota_end(esp_ota_handle_t handle)
{
    ota_entry_t *it = find_entry(handle);
    if (it == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    esp_err_t err = it->wrote_size == 0 ? ESP_ERR_INVALID_ARG : image_validate(it->part);
    if (err == ESP_ERR_OTA_VALIDATE_FAILED) {
        ESP_LOGE(TAG, "New image failed verification");
    }
    drop_entry(it);
    return err;
}

/* ESP-IDF v5.5: esp_ota_set_boot_partition.
 *  - verifies the image (VALIDATE_FAILED);
 *  - factory: erases the whole otadata partition;
 *  - an OTA slot: writes the inactive otadata sector with the next seq that
 *    selects it (v5.5 rule, even when it is already selected), state NEW
 *    with rollback, else UNDEFINED (INVALID_ARG for a slot beyond the
 *    consecutive ota_N count). */
esp_err_t esp_ota_set_boot_partition(const esp_partition_t *partition)
{
    if (partition == NULL) {
        return ESP_ERR_INVALID_ARG;
    }
    if (image_validate(partition) != ESP_OK) {
        return ESP_ERR_OTA_VALIDATE_FAILED;
    }
    if (partition->type != ESP_PARTITION_TYPE_APP) {
        return ESP_ERR_INVALID_ARG;
    }
    if (partition->subtype == ESP_PARTITION_SUBTYPE_APP_FACTORY) {
        const esp_partition_t *od = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_DATA_OTA, NULL);
        return od != NULL ? esp_partition_erase_range(od, 0, od->size) : ESP_ERR_NOT_FOUND;
    }
    webota_ota_entry_t e[2], out;
    const esp_partition_t *od = read_otadata(e);
    if (od == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    unsigned n = app_count();
    unsigned slot = (unsigned)partition->subtype & 0x0Fu;
    if (slot >= n) {
        return ESP_ERR_INVALID_ARG;
    }
    unsigned sector;
    webota_err_t we = webota_ota_set_boot(e, slot, n, idf_host_rollback(), WEBOTA_OTA_RULE_V5_5, &sector, &out);
    if (we != WEBOTA_OK) {
        return ESP_FAIL; /* seq overflow: ESP-IDF would loop */
    }
    return write_entry(od, sector, &out);
}

/* ESP-IDF: esp_ota_check_rollback_is_possible. The active entry (highest valid
 * seq) must exist; when the other entry is not valid, a factory app that
 * verifies is the way back; when it is valid, the app of its slot must verify. */
bool esp_ota_check_rollback_is_possible(void)
{
    webota_ota_entry_t e[2];
    unsigned n = app_count();
    if (read_otadata(e) == NULL || n == 0) {
        return false;
    }
    bool valid[2] = {webota_ota_entry_valid(&e[0]), webota_ota_entry_valid(&e[1])};
    int active = webota_ota_select(e, valid, true);
    if (active == -1) {
        return false;
    }
    int other = active ^ 1;
    if (!valid[other]) {
        const esp_partition_t *f =
            esp_partition_find_first(ESP_PARTITION_TYPE_APP, ESP_PARTITION_SUBTYPE_APP_FACTORY, NULL);
        return f != NULL && image_validate(f) == ESP_OK;
    }
    unsigned slot = webota_ota_seq_slot(e[other].seq, n);
    const esp_partition_t *p = esp_partition_find_first(
        ESP_PARTITION_TYPE_APP, (esp_partition_subtype_t)(ESP_PARTITION_SUBTYPE_APP_OTA_MIN + slot), NULL);
    return p != NULL && image_validate(p) == ESP_OK;
}

/* ESP-IDF: esp_ota_current_ota_is_workable, on the active otadata entry:
 * VALID rewrites it in place unless already VALID; INVALID needs a possible
 * rollback (ROLLBACK_FAILED) and rewrites it in place. No active entry or no
 * OTA slot: "Running firmware is factory", ESP_FAIL. */
static esp_err_t mark_running(uint32_t state)
{
    webota_ota_entry_t e[2], out;
    const esp_partition_t *od = read_otadata(e);
    if (od == NULL) {
        return ESP_ERR_NOT_FOUND;
    }
    int sector;
    webota_err_t we = webota_ota_mark(e, app_count(), state, &sector, &out);
    if (we != WEBOTA_OK) {
        ESP_LOGE(TAG, "Running firmware is factory");
        return ESP_FAIL;
    }
    if (state == WEBOTA_OTA_STATE_INVALID && !esp_ota_check_rollback_is_possible()) {
        ESP_LOGE(TAG, "Rollback is not possible, do not have any suitable apps in slots");
        return ESP_ERR_OTA_ROLLBACK_FAILED;
    }
    if (sector < 0) {
        return ESP_OK; /* already VALID */
    }
    return write_entry(od, (unsigned)sector, &out);
}

/* ESP-IDF: esp_ota_mark_app_valid_cancel_rollback. */
esp_err_t esp_ota_mark_app_valid_cancel_rollback(void)
{
    return mark_running(WEBOTA_OTA_STATE_VALID);
}

/* ESP-IDF v5.5: esp_ota_mark_app_invalid_rollback (no reboot). */
esp_err_t esp_ota_mark_app_invalid_rollback(void)
{
    esp_err_t err = mark_running(WEBOTA_OTA_STATE_INVALID);
    if (err == ESP_OK) {
        ESP_LOGI(TAG, "Rollback to previously worked partition.");
    }
    return err;
}
