/* Fuzz the otadata rules: two 32-byte entries and a random configuration go
 * through every decision function; the invariants below must always hold.
 * Input: 8 config bytes, then entry 0 and entry 1 (missing bytes are 0xFF, as
 * erased flash). */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "webota/crc32.h"
#include "webota/otadata.h"

/* Compiled into this file so that libFuzzer's coverage instrumentation sees
 * the rules (the core library is built without it); the linker then takes
 * these definitions instead of the archive's. */
#include "core/crc32.c"
#include "core/otadata.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
    uint32_t sv[16];
    uint16_t readable;
    uint16_t verifies;
};

static bool sv_cb(void *c, unsigned slot, uint32_t *out)
{
    const struct ctx *x = c;
    assert(slot < 16);
    *out = x->sv[slot];
    return (x->readable >> slot) & 1u;
}

static bool verify_cb(void *c, unsigned slot)
{
    const struct ctx *x = c;
    assert(slot < 16);
    return (x->verifies >> slot) & 1u;
}

static uint32_t crc_bitwise(uint32_t seed, const uint8_t *p, size_t n)
{
    uint32_t r = ~seed;
    for (size_t i = 0; i < n; i++) {
        r ^= p[i];
        for (int b = 0; b < 8; b++)
            r = (r & 1u) ? (r >> 1) ^ 0xEDB88320u : r >> 1;
    }
    return ~r;
}

static void check_boot(const webota_ota_entry_t e[2], const webota_boot_config_t *cfg)
{
    webota_boot_choice_t ch;
    assert(webota_ota_boot_select(e, cfg, &ch) == WEBOTA_OK);
    unsigned n = cfg->app_count;
    assert(ch.start == -1 || (ch.start >= 0 && ch.start < (int)(n ? n : 1)));
    assert(ch.n_writes <= 2 && ch.n_writes == (unsigned)ch.rewrite[0] + (unsigned)ch.rewrite[1]);
    if (!cfg->rollback)
        assert(ch.n_writes == 0);
    for (int i = 0; i < 2; i++) {
        /* rewrites change the state only */
        assert(ch.entry[i].seq == e[i].seq && ch.entry[i].crc == e[i].crc);
        assert(!memcmp(ch.entry[i].seq_label, e[i].seq_label, sizeof e[i].seq_label));
        if (!ch.rewrite[i])
            assert(ch.entry[i].state == e[i].state);
        if (cfg->rollback && ch.entry[i].state == WEBOTA_OTA_STATE_PENDING_VERIFY)
            assert(ch.active == i && e[i].state == WEBOTA_OTA_STATE_NEW);
    }
    if (ch.active >= 0) {
        assert(n > 0);
        assert(webota_ota_entry_valid(&ch.entry[ch.active]) ||
               ch.entry[ch.active].state == WEBOTA_OTA_STATE_PENDING_VERIFY);
        assert(ch.start == (int)webota_ota_seq_slot(ch.entry[ch.active].seq, n));
        assert(!ch.initial);
    }
    if (ch.initial)
        assert(webota_ota_entry_blank(&e[0]) && webota_ota_entry_blank(&e[1]));
    if (ch.efuse_raise)
        assert(cfg->anti_rollback && ch.efuse_new_version > cfg->efuse_secure_version);

    int order[WEBOTA_OTA_LOAD_ORDER_MAX];
    unsigned k = webota_ota_load_order(ch.start, n, cfg->has_factory, true, order);
    assert(k <= WEBOTA_OTA_LOAD_ORDER_MAX);
    for (unsigned i = 0; i < k; i++) {
        assert(order[i] >= -2 && order[i] < (int)n);
        for (unsigned j = 0; j < i; j++)
            assert(order[i] != order[j]);
    }
    if (ch.start >= 0 && ch.start < (int)n)
        assert(k > 0 && order[0] == ch.start);
}

static void check_set_boot(const webota_ota_entry_t e[2], unsigned slot, unsigned n, bool rollback,
                           webota_ota_rule_t rule)
{
    unsigned sector = 99;
    webota_ota_entry_t out;
    webota_err_t err = webota_ota_set_boot(e, slot, n, rollback, rule, &sector, &out);
    if (n == 0 || n > 16) {
        assert(err == WEBOTA_ERR_ARG);
        return;
    }
    if (slot >= n) {
        assert(err == WEBOTA_ERR_OTA_BAD_SLOT);
        return;
    }
    if (err == WEBOTA_ERR_OTA_SEQ_OVERFLOW)
        return;
    assert(err == WEBOTA_OK && sector < 2);
    assert(webota_ota_crc_ok(&out) && out.seq != WEBOTA_OTA_SEQ_ERASED);
    webota_ota_entry_t after[2] = {e[0], e[1]};
    after[sector] = out;
    if (rule == WEBOTA_OTA_RULE_OTATOOL) {
        bool ok[2] = {!webota_ota_entry_blank(&after[0]), !webota_ota_entry_blank(&after[1])};
        int a = webota_ota_select(after, ok, true);
        assert(a >= 0);
        if (out.seq != 0)
            assert(webota_ota_seq_slot(after[a].seq, n) == slot);
        return;
    }
    assert(out.state == (rollback ? WEBOTA_OTA_STATE_NEW : WEBOTA_OTA_STATE_UNDEFINED));
    int a = webota_ota_active(after);
    assert(a >= 0);
    /* the switched-to slot boots next (seq 0 is ESP-IDF's wrap quirk) */
    if (out.seq != 0)
        assert(webota_ota_seq_slot(after[a].seq, n) == slot);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t buf[8 + 64];
    memset(buf, 0xFF, sizeof buf);
    memcpy(buf, data, size < sizeof buf ? size : sizeof buf);
    assert(webota_crc32_le(0xFFFFFFFFu, data, size) == crc_bitwise(0xFFFFFFFFu, data, size));

    webota_ota_entry_t e[2];
    webota_ota_entry_decode(buf + 8, &e[0]);
    webota_ota_entry_decode(buf + 40, &e[1]);
    uint8_t raw[32];
    webota_ota_entry_encode(&e[0], raw);
    assert(!memcmp(raw, buf + 8, 32));
    /* small states and seqs make the interesting paths reachable */
    if (buf[1] & 0x80) {
        e[0].state &= 7u;
        e[1].state &= 7u;
    }
    if (buf[1] & 0x40) {
        e[0].seq &= 0x3Fu;
        e[1].seq &= 0x3Fu;
        if (buf[1] & 0x20) {
            e[0].crc = webota_ota_seq_crc(e[0].seq);
            e[1].crc = webota_ota_seq_crc(e[1].seq);
        }
    }

    struct ctx x;
    for (unsigned i = 0; i < 16; i++)
        x.sv[i] = (buf[2] >> (i % 8)) & 3u;
    x.readable = (uint16_t)(buf[3] | buf[4] << 8);
    x.verifies = (uint16_t)(buf[4] | buf[3] << 8);

    webota_boot_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.app_count = buf[0] % 17u;
    cfg.has_factory = buf[1] & 1u;
    cfg.rollback = buf[1] & 2u;
    cfg.anti_rollback = buf[1] & 4u;
    cfg.efuse_secure_version = (buf[1] >> 3) & 3u;
    cfg.slot_secure_version = sv_cb;
    cfg.ctx = &x;
    check_boot(e, &cfg);

    unsigned n_app = buf[5] % 18u; /* 17 is out of range */
    unsigned slot = buf[6] % 18u;
    check_set_boot(e, slot, n_app, buf[7] & 1u, (webota_ota_rule_t)((buf[7] >> 1) % 3u));

    int sector;
    webota_ota_entry_t out;
    uint32_t want = (buf[7] & 8u) ? WEBOTA_OTA_STATE_VALID : WEBOTA_OTA_STATE_INVALID;
    webota_err_t err = webota_ota_mark(e, n_app, want, &sector, &out);
    if (err == WEBOTA_OK) {
        assert(sector >= -1 && sector < 2);
        if (sector >= 0)
            assert(out.seq == e[sector].seq && out.state == want && webota_ota_crc_ok(&out));
    } else {
        assert((err == WEBOTA_ERR_ARG && n_app > 16) ||
               (err == WEBOTA_ERR_STATE && (n_app == 0 || webota_ota_active(e) == -1)));
    }

    uint32_t st;
    if (webota_ota_slot_state(e, slot, n_app, &st) == WEBOTA_OK)
        assert(st == e[0].state || st == e[1].state);
    int li = webota_ota_last_invalid(e, n_app);
    assert(li >= -1 && li < (int)(n_app ? n_app : 1));
    (void)webota_ota_rollback_possible(e, n_app, buf[7] & 16u, verify_cb, &x);
    int is = webota_ota_inactive_sector_to_erase(e, n_app, (int)(buf[6] % 4u) - 1);
    assert(is >= -1 && is < 2);
    if (is >= 0)
        assert(webota_ota_active(e) == (is ^ 1));
    int bs = webota_ota_boot_slot(e, n_app);
    assert(bs >= -1 && bs < (int)(n_app ? n_app : 1));
    return 0;
}
