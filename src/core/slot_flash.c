/* The slot writer over a raw NOR flash: esp_ota_ops' rules
 * (docs/formats.md#esp_ota_ops-behaviour) applied through webota_flash_t,
 * otadata.c and the image checker. */
#include <string.h>

#include "webota/otadata.h"
#include "webota/slot_flash.h"

#define APP_DESC_END (WEBOTA_APP_DESC_OFFSET + WEBOTA_APP_DESC_SIZE)

static const webota_partition_t *otadata_part(const webota_slot_flash_t *s)
{
    return webota_pt_otadata(&s->pt);
}

static webota_err_t read_entries(webota_slot_flash_t *s, webota_ota_entry_t e[2])
{
    const webota_partition_t *od = otadata_part(s);
    if (od == NULL)
        return WEBOTA_ERR_OTA_NO_OTADATA;
    uint8_t raw[WEBOTA_OTADATA_ENTRY_SIZE];
    for (unsigned i = 0; i < 2; i++) {
        webota_err_t err =
            webota_flash_read(s->cfg.flash, od->offset + i * WEBOTA_OTADATA_SECTOR, raw, sizeof raw);
        if (err != WEBOTA_OK)
            return err;
        webota_ota_entry_decode(raw, &e[i]);
    }
    return WEBOTA_OK;
}

/* Erase the sector, then program the entry: bytes 4..31 first, the seq word
 * last, so the entry is CRC-valid only once every byte has been programmed
 * (CRC-32 over 4 bytes is a bijection: a partial seq never matches the CRC). */
static webota_err_t write_entry(webota_slot_flash_t *s, unsigned sector, const webota_ota_entry_t *e)
{
    const webota_partition_t *od = otadata_part(s);
    uint32_t addr = od->offset + sector * WEBOTA_OTADATA_SECTOR;
    uint8_t raw[WEBOTA_OTADATA_ENTRY_SIZE], back[WEBOTA_OTADATA_ENTRY_SIZE];
    webota_ota_entry_encode(e, raw);
    webota_err_t err = webota_flash_erase(s->cfg.flash, addr, WEBOTA_OTADATA_SECTOR);
    if (err == WEBOTA_OK)
        err = webota_flash_program(s->cfg.flash, addr + 4, raw + 4, sizeof raw - 4);
    if (err == WEBOTA_OK)
        err = webota_flash_program(s->cfg.flash, addr, raw, 4);
    if (err == WEBOTA_OK)
        err = webota_flash_read(s->cfg.flash, addr, back, sizeof back);
    if (err == WEBOTA_OK && memcmp(raw, back, sizeof raw) != 0)
        err = WEBOTA_ERR_FLASH_VERIFY;
    return err;
}

static unsigned n_app(const webota_slot_flash_t *s)
{
    return webota_pt_app_count_app(&s->pt);
}

/* esp_ota_get_state_partition: UNDEFINED when no CRC-valid entry maps to p
 * (or there is no otadata); a flash error is returned. */
static webota_err_t state_of(webota_slot_flash_t *s, const webota_partition_t *p, uint32_t *state)
{
    int slot = webota_pt_slot_index(p);
    webota_ota_entry_t e[2];
    *state = WEBOTA_OTA_STATE_UNDEFINED;
    if (slot < 0)
        return WEBOTA_OK;
    webota_err_t err = read_entries(s, e);
    if (err == WEBOTA_ERR_OTA_NO_OTADATA)
        return WEBOTA_OK;
    if (err != WEBOTA_OK)
        return err;
    if (webota_ota_slot_state(e, (unsigned)slot, n_app(s), state) != WEBOTA_OK)
        *state = WEBOTA_OTA_STATE_UNDEFINED;
    return WEBOTA_OK;
}

uint32_t webota_slot_flash_state_of(webota_slot_flash_t *s, const webota_partition_t *p)
{
    uint32_t state = WEBOTA_OTA_STATE_UNDEFINED;
    if (p != NULL)
        (void)state_of(s, p, &state);
    return state;
}

uint32_t webota_slot_flash_image_length(const webota_slot_flash_t *s)
{
    return s->image_len;
}

static webota_err_t fill_info(webota_slot_flash_t *s, const webota_partition_t *p, webota_slot_info_t *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->label, p->label, sizeof out->label);
    out->offset = p->offset;
    out->size = p->size;
    out->index = webota_pt_slot_index(p);
    return state_of(s, p, &out->state);
}

/* The app descriptor of partition p, read from flash (no verification). */
static webota_err_t read_desc(webota_slot_flash_t *s, const webota_partition_t *p, webota_app_desc_t *out)
{
    if (p->size < APP_DESC_END)
        return WEBOTA_ERR_IMG_TRUNCATED;
    uint8_t raw[WEBOTA_APP_DESC_SIZE];
    webota_err_t err = webota_flash_read(s->cfg.flash, p->offset + WEBOTA_APP_DESC_OFFSET, raw, sizeof raw);
    if (err != WEBOTA_OK)
        return err;
    return webota_app_desc_decode(raw, out);
}

/* Keeps the descriptor the checker hands over (the checker records no info). */
static webota_err_t keep_desc(void *ctx, const webota_app_desc_t *desc)
{
    *(webota_app_desc_t *)ctx = *desc;
    return WEBOTA_OK;
}

/* esp_image_verify from flash: feeds partition p to the checker until the
 * image ends (at most the partition). */
static webota_err_t verify_part(webota_slot_flash_t *s, const webota_partition_t *p, webota_app_desc_t *desc)
{
    webota_image_policy_t pol;
    webota_image_policy_init(&pol);
    pol.check_chip = true;
    pol.chip = s->cfg.chip < 0 ? (int)WEBOTA_CHIP_ESP32 : s->cfg.chip;
    pol.check_chip_rev = s->cfg.check_chip_rev;
    pol.chip_rev = s->cfg.chip_rev;
    pol.max_size = p->size;
    pol.on_desc = keep_desc;
    pol.ctx = &s->work.verify.desc;
    webota_image_checker_t *c = &s->work.verify.checker;
    webota_image_init(c, &pol, NULL);
    const webota_image_status_t *st = webota_image_status(c);
    webota_err_t err = WEBOTA_OK;
    for (uint32_t pos = 0; pos < p->size && err == WEBOTA_OK && !st->complete;) {
        uint32_t n = p->size - pos < sizeof s->buf ? p->size - pos : (uint32_t)sizeof s->buf;
        err = webota_flash_read(s->cfg.flash, p->offset + pos, s->buf, n);
        if (err == WEBOTA_OK)
            err = webota_image_feed(c, s->buf, n);
        pos += n;
    }
    if (err != WEBOTA_OK) {
        webota_image_abort(c);
        return err;
    }
    err = webota_image_finish(c);
    if (err == WEBOTA_OK)
        *desc = s->work.verify.desc;
    return err;
}

void webota_slot_flash_config_init(webota_slot_flash_config_t *cfg, const webota_flash_t *flash,
                                   uint32_t running_offset)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->flash = flash; /* table_offset 0: 0x8000 */
    cfg->running_offset = running_offset;
}

static bool is_flash_error(webota_err_t err)
{
    switch (err) {
    case WEBOTA_ERR_FLASH_RANGE:
    case WEBOTA_ERR_FLASH_ALIGN:
    case WEBOTA_ERR_FLASH_POWER:
    case WEBOTA_ERR_FLASH_VERIFY:
    case WEBOTA_ERR_FLASH_READONLY:
    case WEBOTA_ERR_IO:
        return true;
    default:
        return false;
    }
}

/* The image verdict of an app partition: verified from flash once, then
 * remembered until the partition is written (forget_verdict). A flash error
 * is not a verdict: it is not remembered. */
static const webota_slot_flash_verdict_t *verdict_of(webota_slot_flash_t *s, const webota_partition_t *p)
{
    webota_slot_flash_verdict_t *v = &s->verdict[p - s->pt.part];
    if (!v->known) {
        webota_app_desc_t desc;
        webota_err_t err = verify_part(s, p, &desc);
        if (is_flash_error(err)) {
            static const webota_slot_flash_verdict_t unknown = {false, false, 0};
            return &unknown;
        }
        v->known = true;
        v->ok = err == WEBOTA_OK;
        v->secure_version = v->ok ? desc.secure_version : 0;
    }
    return v;
}

static void forget_verdict(webota_slot_flash_t *s, const webota_partition_t *p)
{
    s->verdict[p - s->pt.part].known = false;
}

webota_err_t webota_slot_flash_init(webota_slot_flash_t *s, const webota_slot_flash_config_t *cfg)
{
    if (s == NULL || cfg == NULL || cfg->flash == NULL)
        return WEBOTA_ERR_ARG;
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    if (s->cfg.table_offset == 0)
        s->cfg.table_offset = WEBOTA_PT_OFFSET_DEFAULT;
    webota_err_t err =
        webota_flash_read(s->cfg.flash, s->cfg.table_offset, s->work.table, sizeof s->work.table);
    if (err != WEBOTA_OK)
        return err;
    err = webota_pt_parse(&s->pt, s->work.table, sizeof s->work.table, s->cfg.flash->size, false, NULL);
    if (err != WEBOTA_OK)
        return err;
    s->running = webota_pt_find_addr(&s->pt, s->cfg.running_offset);
    return WEBOTA_OK;
}

static webota_err_t op_running(void *ctx, webota_slot_info_t *out)
{
    webota_slot_flash_t *s = ctx;
    if (s->running == NULL)
        return WEBOTA_ERR_NOT_FOUND;
    return fill_info(s, s->running, out);
}

static webota_err_t op_next(void *ctx, webota_slot_info_t *out)
{
    webota_slot_flash_t *s = ctx;
    const webota_partition_t *p = webota_pt_next_update(&s->pt, s->running);
    if (p == NULL)
        return WEBOTA_ERR_UPD_NO_SLOT;
    (void)fill_info(s, p, out); /* the next slot's state is informative only */
    return WEBOTA_OK;
}

/* esp_ota_begin's mechanism; the rules (busy, running slot, size,
 * PENDING_VERIFY) are the core's (slot.c). */
static webota_err_t op_open(void *ctx, uint32_t image_size)
{
    webota_slot_flash_t *s = ctx;
    if (s->open)
        return WEBOTA_ERR_STATE;
    const webota_partition_t *p = webota_pt_next_update(&s->pt, s->running);
    if (p == NULL)
        return WEBOTA_ERR_UPD_NO_SLOT;
    if (image_size > p->size)
        return WEBOTA_ERR_IMG_TOO_BIG;
    if (s->cfg.rollback) {
        /* the bootloader must not fall back into the slot being overwritten
         * (docs/formats.md#other-otadata-writes-by-the-application): errors
         * are ignored, as esp_ota_begin does */
        webota_ota_entry_t e[2];
        int running_slot = s->running != NULL ? webota_pt_slot_index(s->running) : -1;
        if (running_slot < 0)
            running_slot = -1;
        if (read_entries(s, e) == WEBOTA_OK) {
            int sector = webota_ota_inactive_sector_to_erase(e, n_app(s), running_slot);
            if (sector >= 0)
                (void)webota_flash_erase(s->cfg.flash,
                                         otadata_part(s)->offset + (uint32_t)sector * WEBOTA_OTADATA_SECTOR,
                                         WEBOTA_OTADATA_SECTOR);
        }
    }
    s->target = p;
    s->open = true;
    s->finished = false;
    s->written = 0;
    s->erased_to = 0;
    s->image_len = 0;
    forget_verdict(s, p);
    return WEBOTA_OK;
}

/* Sequential erase-ahead: when the write pointer enters unerased space, a
 * 64 KiB block is erased if it starts there and lies wholly in the slot (one
 * block erase costs about a third of its 16 sectors), else one 4 KiB sector
 * (the slot's unaligned edges). The part of the chunk in erased space is then
 * programmed, read back and compared: that compare is the proof that the
 * slot holds what was written (nothing else writes the slot while it is open,
 * and later programs never touch bytes already written). */
static webota_err_t op_write(void *ctx, const void *data, size_t len)
{
    webota_slot_flash_t *s = ctx;
    const uint8_t *d = data;
    if (!s->open)
        return WEBOTA_ERR_STATE;
    if (len == 0)
        return WEBOTA_OK;
    if (data == NULL)
        return WEBOTA_ERR_ARG;
    if (len > s->target->size - s->written)
        return WEBOTA_ERR_IMG_TOO_BIG;
    if (s->written == 0 && d[0] != WEBOTA_IMAGE_MAGIC)
        return WEBOTA_ERR_IMG_MAGIC;
    while (len > 0) {
        if (s->written == s->erased_to) {
            uint32_t addr = s->target->offset + s->erased_to;
            uint32_t n = WEBOTA_SECTOR_SIZE;
            if (addr % WEBOTA_BLOCK_SIZE == 0 && s->target->size - s->erased_to >= WEBOTA_BLOCK_SIZE)
                n = WEBOTA_BLOCK_SIZE;
            webota_err_t err = webota_flash_erase(s->cfg.flash, addr, n);
            if (err != WEBOTA_OK)
                return err;
            s->erased_to += n;
        }
        uint32_t n = s->erased_to - s->written;
        if (n > len)
            n = (uint32_t)len;
        uint32_t addr = s->target->offset + s->written;
        webota_err_t err = webota_flash_program(s->cfg.flash, addr, d, n);
        for (uint32_t done = 0; err == WEBOTA_OK && done < n;) {
            uint32_t m = n - done < sizeof s->buf ? n - done : (uint32_t)sizeof s->buf;
            err = webota_flash_read(s->cfg.flash, addr + done, s->buf, m);
            if (err == WEBOTA_OK && memcmp(s->buf, d + done, m) != 0)
                err = WEBOTA_ERR_FLASH_VERIFY;
            done += m;
        }
        if (err != WEBOTA_OK)
            return err;
        s->written += n;
        d += n;
        len -= n;
    }
    return WEBOTA_OK;
}

static webota_err_t op_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    webota_slot_flash_t *s = ctx;
    if (s->target == NULL)
        return WEBOTA_ERR_STATE;
    if (buf == NULL && len > 0)
        return WEBOTA_ERR_ARG;
    if (offset > s->target->size || len > s->target->size - offset)
        return WEBOTA_ERR_IMG_TOO_BIG;
    return len == 0 ? WEBOTA_OK : webota_flash_read(s->cfg.flash, s->target->offset + offset, buf, len);
}

/* Closes the slot. Each page was compared with the data right after it was
 * programmed, so a second pass over the slot would prove nothing new (it cost
 * 8.6 instructions per byte as a CRC-32); the image was judged by the update
 * session as it streamed, and the bootloader verifies it again at boot. */
static webota_err_t op_finish(void *ctx)
{
    webota_slot_flash_t *s = ctx;
    if (!s->open)
        return WEBOTA_ERR_STATE;
    s->open = false; /* closed whatever the verdict, like esp_ota_end */
    if (s->written == 0)
        return WEBOTA_ERR_UPD_EMPTY;
    s->image_len = s->written;
    s->finished = true;
    return WEBOTA_OK;
}

static void op_abort(void *ctx)
{
    webota_slot_flash_t *s = ctx;
    s->open = false;
    s->finished = false;
}

/* esp_ota_set_boot_partition, without its second verification of the image
 * (the session judged it while streaming, finish proved the flash holds it):
 * the anti-rollback check reads only the descriptor. */
static webota_err_t op_activate(void *ctx)
{
    webota_slot_flash_t *s = ctx;
    if (!s->finished || s->target == NULL)
        return WEBOTA_ERR_STATE;
    webota_err_t err;
    if (s->cfg.anti_rollback) {
        webota_app_desc_t desc;
        err = read_desc(s, s->target, &desc);
        if (err != WEBOTA_OK)
            return err;
        if (desc.secure_version < s->cfg.efuse_secure_version) {
            /* ESP-IDF erases the refused partition */
            s->finished = false;
            forget_verdict(s, s->target);
            (void)webota_flash_erase(s->cfg.flash, s->target->offset, s->target->size);
            return WEBOTA_ERR_UPD_SECURE_VERSION;
        }
    }
    webota_ota_entry_t e[2], out;
    unsigned sector;
    err = read_entries(s, e);
    if (err == WEBOTA_OK)
        err = webota_ota_set_boot(e, (unsigned)webota_pt_slot_index(s->target), n_app(s), s->cfg.rollback,
                                  WEBOTA_OTA_RULE_V6_0, &sector, &out);
    if (err == WEBOTA_OK)
        err = write_entry(s, sector, &out);
    return err;
}

static webota_err_t mark(webota_slot_flash_t *s, uint32_t state)
{
    webota_ota_entry_t e[2], out;
    int sector;
    webota_err_t err = read_entries(s, e);
    if (err == WEBOTA_ERR_OTA_NO_OTADATA)
        return WEBOTA_ERR_UPD_NOT_PENDING; /* nothing selects the running firmware */
    if (err != WEBOTA_OK)
        return err;
    err = webota_ota_mark(e, n_app(s), state, &sector, &out);
    if (err == WEBOTA_ERR_STATE)
        return WEBOTA_ERR_UPD_NOT_PENDING;
    if (err != WEBOTA_OK || sector < 0)
        return err;
    return write_entry(s, (unsigned)sector, &out);
}

static webota_err_t op_mark_valid(void *ctx)
{
    webota_slot_flash_t *s = ctx;
    webota_err_t err = mark(s, WEBOTA_OTA_STATE_VALID);
    if (err == WEBOTA_OK && s->cfg.anti_rollback && s->running != NULL) {
        /* esp_ota_mark_app_valid_cancel_rollback raises the eFuse; here the
         * emulated value in the config (the caller persists it). */
        const webota_slot_flash_verdict_t *v = verdict_of(s, s->running);
        if (v->ok && v->secure_version > s->cfg.efuse_secure_version)
            s->cfg.efuse_secure_version = v->secure_version;
    }
    return err;
}

static bool slot_verifies(void *ctx, unsigned slot)
{
    webota_slot_flash_t *s = ctx;
    const webota_partition_t *p = webota_pt_ota_slot(&s->pt, slot);
    if (p == NULL)
        return false;
    const webota_slot_flash_verdict_t *v = verdict_of(s, p);
    return v->ok && (!s->cfg.anti_rollback || v->secure_version >= s->cfg.efuse_secure_version);
}

/* The emulated eFuse SECURE_VERSION (raised by a confirm, op_mark_valid). */
static webota_err_t op_security_version(void *ctx, uint32_t *out)
{
    webota_slot_flash_t *s = ctx;
    if (!s->cfg.anti_rollback)
        return WEBOTA_ERR_UNSUPPORTED;
    *out = s->cfg.efuse_secure_version;
    return WEBOTA_OK;
}

static bool op_rollback_possible(void *ctx)
{
    webota_slot_flash_t *s = ctx;
    webota_ota_entry_t e[2];
    if (read_entries(s, e) != WEBOTA_OK)
        return false;
    const webota_partition_t *f = webota_pt_factory(&s->pt);
    bool factory_ok = !s->cfg.anti_rollback && f != NULL && verdict_of(s, f)->ok;
    return webota_ota_rollback_possible(e, n_app(s), factory_ok, slot_verifies, s);
}

static webota_err_t op_mark_invalid(void *ctx)
{
    return mark(ctx, WEBOTA_OTA_STATE_INVALID);
}

static webota_err_t op_running_desc(void *ctx, webota_app_desc_t *out)
{
    webota_slot_flash_t *s = ctx;
    if (s->running == NULL)
        return WEBOTA_ERR_NOT_FOUND;
    return read_desc(s, s->running, out);
}

void webota_slot_flash_ops(webota_slot_flash_t *s, webota_slot_ops_t *ops)
{
    memset(ops, 0, sizeof *ops);
    ops->ctx = s;
    ops->running = op_running;
    ops->next = op_next;
    ops->rollback_enabled = s->cfg.rollback;
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
    ops->security_version = op_security_version;
}
