/* otadata entries and the ESP-IDF rules that read and write them
 * (docs/formats.md#otadata).
 * Every function mirrors one ESP-IDF routine; the comment names it so the two
 * can be compared line by line. */
#include "webota/otadata.h"

#include <string.h>

#include "webota/crc32.h"

#include "bytes.h"

uint32_t webota_ota_seq_crc(uint32_t seq)
{
    uint8_t b[4];
    webota_le32_put(b, seq);
    return webota_crc32_le(0xFFFFFFFFu, b, sizeof b);
}

void webota_ota_entry_decode(const uint8_t raw[32], webota_ota_entry_t *e)
{
    e->seq = webota_le32_get(raw);
    memcpy(e->seq_label, raw + 4, sizeof e->seq_label);
    e->state = webota_le32_get(raw + 24);
    e->crc = webota_le32_get(raw + 28);
}

void webota_ota_entry_encode(const webota_ota_entry_t *e, uint8_t raw[32])
{
    webota_le32_put(raw, e->seq);
    memcpy(raw + 4, e->seq_label, sizeof e->seq_label);
    webota_le32_put(raw + 24, e->state);
    webota_le32_put(raw + 28, e->crc);
}

void webota_ota_region_decode(const uint8_t *region, webota_ota_entry_t e[2])
{
    webota_ota_entry_decode(region, &e[0]);
    webota_ota_entry_decode(region + WEBOTA_OTADATA_SECTOR, &e[1]);
}

void webota_ota_entry_erased(webota_ota_entry_t *e)
{
    e->seq = WEBOTA_OTA_SEQ_ERASED;
    memset(e->seq_label, 0xFF, sizeof e->seq_label);
    e->state = 0xFFFFFFFFu;
    e->crc = 0xFFFFFFFFu;
}

bool webota_ota_entry_is_erased(const webota_ota_entry_t *e)
{
    uint8_t raw[WEBOTA_OTADATA_ENTRY_SIZE];
    webota_ota_entry_encode(e, raw);
    for (size_t i = 0; i < sizeof raw; i++) {
        if (raw[i] != 0xFF) {
            return false;
        }
    }
    return true;
}

void webota_ota_entry_make(uint32_t seq, uint32_t state, webota_ota_entry_t *e)
{
    webota_ota_entry_erased(e);
    e->seq = seq;
    e->state = state;
    e->crc = webota_ota_seq_crc(seq);
}

bool webota_ota_crc_ok(const webota_ota_entry_t *e)
{
    return e->crc == webota_ota_seq_crc(e->seq);
}

/* bootloader_common_ota_select_invalid */
bool webota_ota_entry_invalid(const webota_ota_entry_t *e)
{
    return e->seq == WEBOTA_OTA_SEQ_ERASED || e->state == WEBOTA_OTA_STATE_INVALID ||
           e->state == WEBOTA_OTA_STATE_ABORTED;
}

/* bootloader_common_ota_select_valid */
bool webota_ota_entry_valid(const webota_ota_entry_t *e)
{
    return !webota_ota_entry_invalid(e) && webota_ota_crc_ok(e);
}

bool webota_ota_entry_blank(const webota_ota_entry_t *e)
{
    return e->seq == WEBOTA_OTA_SEQ_ERASED || !webota_ota_crc_ok(e);
}

/* bootloader_common_select_otadata */
int webota_ota_select(const webota_ota_entry_t e[2], const bool ok[2], bool want_max)
{
    if (ok[0] && ok[1]) {
        uint32_t pick = want_max ? (e[0].seq > e[1].seq ? e[0].seq : e[1].seq)
                                 : (e[0].seq < e[1].seq ? e[0].seq : e[1].seq);
        return e[0].seq == pick ? 0 : 1;
    }
    if (ok[0])
        return 0;
    if (ok[1])
        return 1;
    return -1;
}

/* bootloader_common_get_active_otadata */
int webota_ota_active(const webota_ota_entry_t e[2])
{
    bool ok[2] = {webota_ota_entry_valid(&e[0]), webota_ota_entry_valid(&e[1])};
    return webota_ota_select(e, ok, true);
}

unsigned webota_ota_seq_slot(uint32_t seq, unsigned n)
{
    return n ? (unsigned)((uint32_t)(seq - 1u) % (uint32_t)n) : 0u;
}

/* ---- bootloader ---- */

/* bootloader_utility_get_selected_boot_partition (plus
 * get_active_otadata_with_check_anti_rollback and update_anti_rollback). */
webota_err_t webota_ota_boot_select(const webota_ota_entry_t e[2], const webota_boot_config_t *cfg,
                                    webota_boot_choice_t *out)
{
    if (!cfg || !out || cfg->app_count > WEBOTA_OTA_MAX_SLOTS ||
        (cfg->anti_rollback && !cfg->slot_secure_version))
        return WEBOTA_ERR_ARG;
    memset(out, 0, sizeof *out);
    out->entry[0] = e[0];
    out->entry[1] = e[1];
    out->start = WEBOTA_OTA_INDEX_FACTORY;
    out->active = -1;
    webota_ota_entry_t *ent = out->entry;

    if (cfg->rollback) {
        for (int i = 0; i < 2; i++) {
            if (ent[i].state == WEBOTA_OTA_STATE_PENDING_VERIFY) {
                ent[i].state = WEBOTA_OTA_STATE_ABORTED;
                out->rewrite[i] = true;
                out->write_order[out->n_writes++] = i;
            }
        }
    }

    bool both_blank = webota_ota_entry_blank(&ent[0]) && webota_ota_entry_blank(&ent[1]);
    int active;
    if (!cfg->anti_rollback) {
        if ((webota_ota_entry_invalid(&ent[0]) && webota_ota_entry_invalid(&ent[1])) ||
            cfg->app_count == 0) {
            if (!cfg->has_factory) {
                out->start = 0;
                out->initial = both_blank;
            }
            return WEBOTA_OK;
        }
        active = webota_ota_active(ent);
    } else {
        if (both_blank) {
            out->initial = true;
            return WEBOTA_OK;
        }
        bool ok[2] = {false, false};
        for (int i = 0; i < 2; i++) {
            uint32_t sv;
            /* app_count 0 would divide by zero in ESP-IDF; no entry counts. */
            if (!webota_ota_entry_valid(&ent[i]) || cfg->app_count == 0)
                continue;
            unsigned slot = webota_ota_seq_slot(ent[i].seq, cfg->app_count);
            ok[i] =
                cfg->slot_secure_version(cfg->ctx, slot, &sv) && sv >= cfg->efuse_secure_version;
        }
        active = webota_ota_select(ent, ok, true);
    }

    if (active == -1)
        return WEBOTA_OK; /* factory, or scan without one */
    out->active = active;
    out->start = (int)webota_ota_seq_slot(ent[active].seq, cfg->app_count);
    if (cfg->rollback && ent[active].state == WEBOTA_OTA_STATE_NEW) {
        ent[active].state = WEBOTA_OTA_STATE_PENDING_VERIFY;
        out->rewrite[active] = true;
        out->write_order[out->n_writes++] = active;
    }
    if (cfg->anti_rollback && ent[active].state == WEBOTA_OTA_STATE_VALID) {
        uint32_t sv;
        if (cfg->slot_secure_version(cfg->ctx, (unsigned)out->start, &sv) &&
            sv > cfg->efuse_secure_version) {
            out->efuse_raise = true;
            out->efuse_new_version = sv;
        }
    }
    return WEBOTA_OK;
}

/* bootloader_utility_load_boot_image */
unsigned webota_ota_load_order(int start, unsigned app_count, bool has_factory, bool has_test,
                               int order[WEBOTA_OTA_LOAD_ORDER_MAX])
{
    unsigned n = 0;
    if (app_count > WEBOTA_OTA_MAX_SLOTS)
        app_count = WEBOTA_OTA_MAX_SLOTS;
    if (start == WEBOTA_OTA_INDEX_TEST) {
        if (has_test)
            order[n++] = WEBOTA_OTA_INDEX_TEST;
        return n;
    }
    if (start < WEBOTA_OTA_INDEX_FACTORY)
        return 0; /* INVALID_INDEX: the bootloader resets */
    /* Indices >= app_count map to no partition (size 0) and are skipped. */
    int top = start < (int)app_count ? start : (int)app_count - 1;
    for (int i = top; i >= 0; i--)
        order[n++] = i;
    if (has_factory)
        order[n++] = WEBOTA_OTA_INDEX_FACTORY;
    for (int i = start + 1; i < (int)app_count; i++)
        order[n++] = i;
    if (has_test)
        order[n++] = WEBOTA_OTA_INDEX_TEST;
    return n;
}

/* set_actual_ota_seq */
void webota_ota_initial_entry(unsigned slot, webota_ota_entry_t *out)
{
    webota_ota_entry_make((uint32_t)slot + 1u, WEBOTA_OTA_STATE_VALID, out);
}

/* ---- app writes ---- */

/* The smallest (slot+1)%n + i*n >= seq (esp_rewrite_ota_data's loop). ESP-IDF
 * computes it in u32 and would wrap near 0xFFFFFFFF (looping for a long time,
 * possibly forever, and possibly producing the erased seq); refuse instead. */
static webota_err_t next_seq(uint32_t seq, unsigned slot, unsigned n, uint32_t *out)
{
    uint64_t base = ((uint64_t)slot + 1u) % n;
    uint64_t v = base;
    if (seq > base)
        v = base + ((seq - base + n - 1u) / n) * n;
    if (v >= WEBOTA_OTA_SEQ_ERASED)
        return WEBOTA_ERR_OTA_SEQ_OVERFLOW;
    *out = (uint32_t)v;
    return WEBOTA_OK;
}

/* esp_rewrite_ota_data (v6.0 / v5.5) and otatool.py switch_ota_partition */
webota_err_t webota_ota_set_boot(const webota_ota_entry_t cur[2], unsigned slot, unsigned n_app,
                                 bool rollback, webota_ota_rule_t rule, unsigned *sector,
                                 webota_ota_entry_t *out)
{
    if (n_app == 0 || n_app > WEBOTA_OTA_MAX_SLOTS || rule > WEBOTA_OTA_RULE_OTATOOL)
        return WEBOTA_ERR_ARG;
    if (slot >= n_app)
        return WEBOTA_ERR_OTA_BAD_SLOT;

    int active;
    if (rule == WEBOTA_OTA_RULE_OTATOOL) {
        /* otatool judges entries by seq and CRC only. */
        bool ok[2] = {!webota_ota_entry_blank(&cur[0]), !webota_ota_entry_blank(&cur[1])};
        active = webota_ota_select(cur, ok, true);
    } else {
        active = webota_ota_active(cur);
    }

    unsigned target;
    uint32_t seq;
    if (active == -1) {
        target = 0;
        seq = (uint32_t)slot + 1u;
    } else if (rule == WEBOTA_OTA_RULE_V6_0 &&
               webota_ota_seq_slot(cur[active].seq, n_app) == slot) {
        target = (unsigned)active; /* already selected: refresh the state in place */
        seq = cur[active].seq;
    } else {
        target = (unsigned)active ^ 1u;
        webota_err_t err = next_seq(cur[active].seq, slot, n_app, &seq);
        if (err != WEBOTA_OK)
            return err;
    }

    *out = cur[target];
    out->seq = seq;
    out->crc = webota_ota_seq_crc(seq);
    if (rule != WEBOTA_OTA_RULE_OTATOOL)
        out->state = rollback ? WEBOTA_OTA_STATE_NEW : WEBOTA_OTA_STATE_UNDEFINED;
    *sector = target;
    return WEBOTA_OK;
}

/* esp_ota_current_ota_is_workable */
webota_err_t webota_ota_mark(const webota_ota_entry_t cur[2], unsigned n_app, uint32_t new_state,
                             int *sector, webota_ota_entry_t *out)
{
    if ((new_state != WEBOTA_OTA_STATE_VALID && new_state != WEBOTA_OTA_STATE_INVALID) ||
        n_app > WEBOTA_OTA_MAX_SLOTS)
        return WEBOTA_ERR_ARG;
    int active = webota_ota_active(cur);
    if (active == -1 || n_app == 0)
        return WEBOTA_ERR_STATE; /* running firmware is factory */
    *out = cur[active];
    if (new_state == WEBOTA_OTA_STATE_VALID && cur[active].state == WEBOTA_OTA_STATE_VALID) {
        *sector = -1;
        return WEBOTA_OK;
    }
    out->state = new_state;
    out->crc = webota_ota_seq_crc(out->seq);
    *sector = active;
    return WEBOTA_OK;
}

/* ---- queries ---- */

/* esp_ota_get_state_partition */
webota_err_t webota_ota_slot_state(const webota_ota_entry_t e[2], unsigned slot, unsigned n_app,
                                   uint32_t *state)
{
    if (n_app == 0 || n_app > WEBOTA_OTA_MAX_SLOTS)
        return WEBOTA_ERR_NOT_FOUND;
    for (int i = 0; i < 2; i++) {
        if (webota_ota_seq_slot(e[i].seq, n_app) == slot && webota_ota_crc_ok(&e[i])) {
            *state = e[i].state;
            return WEBOTA_OK;
        }
    }
    return WEBOTA_ERR_NOT_FOUND;
}

/* esp_ota_get_last_invalid_partition */
int webota_ota_last_invalid(const webota_ota_entry_t e[2], unsigned n_app)
{
    if (n_app == 0 || n_app > WEBOTA_OTA_MAX_SLOTS)
        return -1;
    bool ok[2];
    for (int i = 0; i < 2; i++)
        ok[i] = e[i].seq != WEBOTA_OTA_SEQ_ERASED && webota_ota_crc_ok(&e[i]) &&
                (e[i].state == WEBOTA_OTA_STATE_INVALID || e[i].state == WEBOTA_OTA_STATE_ABORTED);
    int idx = webota_ota_select(e, ok, false);
    return idx == -1 ? -1 : (int)webota_ota_seq_slot(e[idx].seq, n_app);
}

/* esp_ota_check_rollback_is_possible */
bool webota_ota_rollback_possible(const webota_ota_entry_t e[2], unsigned n_app,
                                  bool factory_verifies,
                                  bool (*slot_verifies)(void *ctx, unsigned slot), void *ctx)
{
    if (n_app == 0 || n_app > WEBOTA_OTA_MAX_SLOTS)
        return false;
    int active = webota_ota_active(e);
    if (active == -1)
        return false;
    const webota_ota_entry_t *other = &e[active ^ 1];
    if (!webota_ota_entry_valid(other))
        return factory_verifies;
    return slot_verifies && slot_verifies(ctx, webota_ota_seq_slot(other->seq, n_app));
}

/* esp_ota_invalidate_inactive_ota_data_slot */
int webota_ota_inactive_sector_to_erase(const webota_ota_entry_t e[2], unsigned n_app,
                                        int running_slot)
{
    if (n_app == 0 || n_app > WEBOTA_OTA_MAX_SLOTS)
        return -1;
    int active = webota_ota_active(e);
    if (active == -1)
        return -1;
    int inactive = active ^ 1;
    if (webota_ota_entry_blank(&e[inactive]))
        return -1;
    if ((int)webota_ota_seq_slot(e[inactive].seq, n_app) == running_slot)
        return -1;
    return inactive;
}

/* esp_ota_get_boot_partition */
int webota_ota_boot_slot(const webota_ota_entry_t e[2], unsigned n_app)
{
    if (n_app == 0 || n_app > WEBOTA_OTA_MAX_SLOTS ||
        (webota_ota_entry_invalid(&e[0]) && webota_ota_entry_invalid(&e[1])))
        return -1;
    int active = webota_ota_active(e);
    return active == -1 ? -1 : (int)webota_ota_seq_slot(e[active].seq, n_app);
}
