/* otadata rules of docs/formats.md#otadata, one test per rule with its edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "webota/otadata.h"

static webota_ota_entry_t E(uint32_t seq, uint32_t state)
{
    webota_ota_entry_t e;
    webota_ota_entry_make(seq, state, &e);
    return e;
}

static webota_ota_entry_t ERASED(void)
{
    webota_ota_entry_t e;
    webota_ota_entry_erased(&e);
    return e;
}

static webota_ota_entry_t BADCRC(uint32_t seq, uint32_t state)
{
    webota_ota_entry_t e = E(seq, state);
    e.crc ^= 0x100u;
    return e;
}

#define V WEBOTA_OTA_STATE_VALID
#define U WEBOTA_OTA_STATE_UNDEFINED
#define NEW WEBOTA_OTA_STATE_NEW
#define PEND WEBOTA_OTA_STATE_PENDING_VERIFY
#define INV WEBOTA_OTA_STATE_INVALID
#define ABO WEBOTA_OTA_STATE_ABORTED

/* ---- codec (docs/formats.md#otadata-entry) ---- */

static void codec_spec_bytes(void **state)
{
    (void)state;
    static const uint8_t seq1[32] = {1,    0,    0,    0,    0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0x9a, 0x98, 0x43, 0x47};
    static const uint8_t seq2new[32] = {2,    0,    0,    0,    0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                        0,    0,    0,    0,    0x74, 0x37, 0xf6, 0x55};
    uint8_t raw[32];
    webota_ota_entry_t e = E(1, U);
    webota_ota_entry_encode(&e, raw);
    assert_memory_equal(raw, seq1, 32);
    e = E(2, NEW);
    webota_ota_entry_encode(&e, raw);
    assert_memory_equal(raw, seq2new, 32);

    webota_ota_entry_t d;
    webota_ota_entry_decode(seq2new, &d);
    assert_int_equal(d.seq, 2);
    assert_int_equal(d.state, NEW);
    assert_int_equal(d.crc, 0x55F63774u);
    assert_true(webota_ota_crc_ok(&d));
}

static void codec_roundtrip_label(void **state)
{
    (void)state;
    uint8_t raw[32], back[32];
    for (int i = 0; i < 32; i++)
        raw[i] = (uint8_t)(i * 37 + 1);
    webota_ota_entry_t e;
    webota_ota_entry_decode(raw, &e);
    assert_int_equal(e.seq, (uint32_t)raw[0] | (uint32_t)raw[1] << 8 | (uint32_t)raw[2] << 16 |
                                (uint32_t)raw[3] << 24);
    assert_memory_equal(e.seq_label, raw + 4, 20);
    assert_int_equal(e.state, (uint32_t)raw[24] | (uint32_t)raw[25] << 8 | (uint32_t)raw[26] << 16 |
                                  (uint32_t)raw[27] << 24);
    webota_ota_entry_encode(&e, back);
    assert_memory_equal(raw, back, 32);
}

static void region_offsets(void **state)
{
    (void)state;
    static uint8_t region[WEBOTA_OTADATA_SIZE];
    memset(region, 0xFF, sizeof region);
    webota_ota_entry_t a = E(7, V), b = E(9, PEND), d[2];
    webota_ota_entry_encode(&a, region);
    webota_ota_entry_encode(&b, region + 0x1000);
    webota_ota_region_decode(region, d);
    assert_memory_equal(&d[0], &a, sizeof a);
    assert_memory_equal(&d[1], &b, sizeof b);
    /* Bytes between the entries are not part of either. */
    region[0x20] = 0;
    region[0xFFF] = 0;
    webota_ota_region_decode(region, d);
    assert_memory_equal(&d[0], &a, sizeof a);
}

/* ---- predicates, select, slot mapping (docs/formats.md#validity-and-selection) ---- */

static void predicates(void **state)
{
    (void)state;
    webota_ota_entry_t e = ERASED();
    assert_true(webota_ota_entry_invalid(&e));
    assert_false(webota_ota_entry_valid(&e));
    assert_true(webota_ota_entry_blank(&e));
    /* seq erased but CRC made right: still invalid (CRC 0x2144DF1C) */
    e.crc = 0x2144DF1Cu;
    assert_true(webota_ota_crc_ok(&e));
    assert_true(webota_ota_entry_invalid(&e));
    assert_true(webota_ota_entry_blank(&e));

    uint32_t states[] = {NEW, PEND, V, U, 5, 0x7FFFFFFFu};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        e = E(3, states[i]);
        assert_false(webota_ota_entry_invalid(&e));
        assert_true(webota_ota_entry_valid(&e));
        assert_false(webota_ota_entry_blank(&e));
    }
    e = E(3, INV);
    assert_true(webota_ota_entry_invalid(&e));
    assert_false(webota_ota_entry_valid(&e));
    assert_false(webota_ota_entry_blank(&e)); /* CRC good: not "blank" */
    e = E(3, ABO);
    assert_true(webota_ota_entry_invalid(&e));
    assert_false(webota_ota_entry_valid(&e));
    /* a bad CRC is not "invalid", only not valid */
    e = BADCRC(3, V);
    assert_false(webota_ota_entry_invalid(&e));
    assert_false(webota_ota_entry_valid(&e));
    assert_true(webota_ota_entry_blank(&e));
    /* seq 0: CRC is 0xFFFFFFFF, so an all-ones CRC word is valid */
    e = E(0, V);
    assert_int_equal(e.crc, 0xFFFFFFFFu);
    assert_true(webota_ota_entry_valid(&e));
}

static void select_rule(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {E(4, V), E(5, V)};
    bool both[2] = {true, true}, first[2] = {true, false}, second[2] = {false, true},
         none[2] = {false, false};
    assert_int_equal(webota_ota_select(e, both, true), 1);
    assert_int_equal(webota_ota_select(e, both, false), 0);
    assert_int_equal(webota_ota_select(e, first, true), 0);
    assert_int_equal(webota_ota_select(e, second, false), 1);
    assert_int_equal(webota_ota_select(e, none, true), -1);
    e[1].seq = 4; /* ties go to index 0 */
    assert_int_equal(webota_ota_select(e, both, true), 0);
    assert_int_equal(webota_ota_select(e, both, false), 0);
    e[0].seq = 0xFFFFFFFEu;
    e[1].seq = 0;
    assert_int_equal(webota_ota_select(e, both, true), 0);
    assert_int_equal(webota_ota_select(e, both, false), 1);
}

static void active_rule(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {E(1, V), E(2, U)};
    assert_int_equal(webota_ota_active(e), 1);
    e[1] = E(2, INV);
    assert_int_equal(webota_ota_active(e), 0);
    e[1] = BADCRC(2, V);
    assert_int_equal(webota_ota_active(e), 0);
    e[0] = ERASED();
    assert_int_equal(webota_ota_active(e), -1);
    e[0] = E(6, V);
    e[1] = E(6, V);
    assert_int_equal(webota_ota_active(e), 0);
}

static void seq_slot_mapping(void **state)
{
    (void)state;
    assert_int_equal(webota_ota_seq_slot(1, 2), 0);
    assert_int_equal(webota_ota_seq_slot(2, 2), 1);
    assert_int_equal(webota_ota_seq_slot(3, 2), 0);
    assert_int_equal(webota_ota_seq_slot(5, 3), 1);
    assert_int_equal(webota_ota_seq_slot(16, 3), 0);
    /* u32 arithmetic: (0 - 1) = 0xFFFFFFFF */
    assert_int_equal(webota_ota_seq_slot(0, 2), 1);
    assert_int_equal(webota_ota_seq_slot(0, 3), 0);
    assert_int_equal(webota_ota_seq_slot(0, 4), 3);
    assert_int_equal(webota_ota_seq_slot(0, 5), 0);
    assert_int_equal(webota_ota_seq_slot(0xFFFFFFFFu, 16), 14);
}

/* seq 0xFFFFFFFF with its own correct CRC (0x2144DF1C) and a bootable state:
 * the largest seq there is, yet never the active entry anywhere (invalid()
 * tests the seq before the CRC). A "largest CRC-valid seq wins" reading would
 * pick it. */
static void seq_all_ones_never_counts(void **state)
{
    (void)state;
    webota_ota_entry_t ones = E(0xFFFFFFFFu, V);
    assert_int_equal(ones.crc, 0x2144DF1Cu);
    assert_true(webota_ota_crc_ok(&ones));
    webota_ota_entry_t e[2] = {ones, E(1, V)};
    assert_int_equal(webota_ota_active(e), 1);
    assert_int_equal(webota_ota_boot_slot(e, 2), 0);

    webota_boot_config_t c;
    memset(&c, 0, sizeof c);
    c.app_count = 2;
    c.has_factory = true;
    webota_boot_choice_t ch;
    assert_int_equal(webota_ota_boot_select(e, &c, &ch), WEBOTA_OK);
    assert_int_equal(ch.active, 1);
    assert_int_equal(ch.start, 0);
    /* alone (other entry erased), with and without a factory */
    e[1] = ERASED();
    assert_int_equal(webota_ota_boot_select(e, &c, &ch), WEBOTA_OK);
    assert_int_equal(ch.start, WEBOTA_OTA_INDEX_FACTORY);
    c.has_factory = false;
    c.rollback = true;
    assert_int_equal(webota_ota_boot_select(e, &c, &ch), WEBOTA_OK);
    assert_int_equal(ch.start, 0);
    assert_true(ch.initial); /* seq erased counts as blank whatever the CRC */
    assert_int_equal(ch.n_writes, 0);

    /* set boot: not active, so the write goes to sector 0 with seq slot+1 */
    unsigned sec = 9;
    webota_ota_entry_t out;
    assert_int_equal(webota_ota_set_boot(e, 1, 2, false, WEBOTA_OTA_RULE_V6_0, &sec, &out), WEBOTA_OK);
    assert_int_equal(sec, 0);
    assert_int_equal(out.seq, 2);
    e[1] = E(2, V);
    assert_int_equal(webota_ota_set_boot(e, 0, 2, false, WEBOTA_OTA_RULE_V6_0, &sec, &out), WEBOTA_OK);
    assert_int_equal(sec, 0);
    assert_int_equal(out.seq, 3);
    /* marks need an active entry */
    e[1] = ERASED();
    int msec;
    assert_int_equal(webota_ota_mark(e, 2, V, &msec, &out), WEBOTA_ERR_STATE);
    /* and it is never "the last invalid one", even with state INVALID */
    e[0] = E(0xFFFFFFFFu, INV);
    e[1] = E(3, INV);
    assert_int_equal(webota_ota_last_invalid(e, 2), 0);
    e[1] = ERASED();
    assert_int_equal(webota_ota_last_invalid(e, 2), -1);
}

/* ---- bootloader (docs/formats.md#bootloader-choice) ---- */

static webota_boot_config_t cfg_of(unsigned n, bool factory, bool rollback)
{
    webota_boot_config_t c;
    memset(&c, 0, sizeof c);
    c.app_count = n;
    c.has_factory = factory;
    c.rollback = rollback;
    return c;
}

static webota_boot_choice_t boot(webota_ota_entry_t e0, webota_ota_entry_t e1,
                                 const webota_boot_config_t *c)
{
    webota_ota_entry_t e[2] = {e0, e1};
    webota_boot_choice_t ch;
    assert_int_equal(webota_ota_boot_select(e, c, &ch), WEBOTA_OK);
    assert_true(ch.n_writes <= 2);
    for (unsigned i = 0; i < ch.n_writes; i++)
        assert_true(ch.rewrite[ch.write_order[i]]);
    assert_int_equal(ch.n_writes, (unsigned)ch.rewrite[0] + (unsigned)ch.rewrite[1]);
    for (int i = 0; i < 2; i++)
        if (!ch.rewrite[i])
            assert_memory_equal(&ch.entry[i], &e[i], sizeof e[i]);
    return ch;
}

static void boot_blank(void **state)
{
    (void)state;
    webota_boot_config_t c = cfg_of(2, true, false);
    webota_boot_choice_t ch = boot(ERASED(), ERASED(), &c);
    assert_int_equal(ch.start, -1);
    assert_false(ch.initial);
    assert_int_equal(ch.active, -1);

    c = cfg_of(3, false, false);
    ch = boot(ERASED(), ERASED(), &c);
    assert_int_equal(ch.start, 0);
    assert_true(ch.initial);
    /* CRC-bad INVALID entry + erased: both invalid and both blank */
    ch = boot(BADCRC(2, INV), ERASED(), &c);
    assert_int_equal(ch.start, 0);
    assert_true(ch.initial);
    /* both invalid by state with good CRCs: ota_0 without the initial write */
    ch = boot(E(1, INV), E(2, ABO), &c);
    assert_int_equal(ch.start, 0);
    assert_false(ch.initial);
    ch = boot(E(1, INV), ERASED(), &c);
    assert_int_equal(ch.start, 0);
    assert_false(ch.initial);
    c.has_factory = true;
    ch = boot(E(1, INV), E(2, ABO), &c);
    assert_int_equal(ch.start, -1);
}

static void boot_scan_when_crc_bad(void **state)
{
    (void)state;
    webota_boot_config_t c = cfg_of(3, false, false);
    /* not "invalid" (CRC is not looked at), but not valid either: scan */
    webota_boot_choice_t ch = boot(BADCRC(1, V), BADCRC(2, V), &c);
    assert_int_equal(ch.start, -1);
    assert_false(ch.initial);
    assert_int_equal(ch.active, -1);
    ch = boot(BADCRC(2, V), ERASED(), &c);
    assert_int_equal(ch.start, -1);
    assert_false(ch.initial);
    c.has_factory = true;
    ch = boot(BADCRC(2, V), ERASED(), &c);
    assert_int_equal(ch.start, -1);
}

static void boot_no_app_slots(void **state)
{
    (void)state;
    webota_boot_config_t c = cfg_of(0, true, false);
    webota_boot_choice_t ch = boot(E(1, V), E(2, V), &c);
    assert_int_equal(ch.start, -1);
    c.has_factory = false;
    ch = boot(E(1, V), E(2, V), &c);
    assert_int_equal(ch.start, 0); /* index 0 maps to no partition: the loader finds nothing */
    assert_false(ch.initial);
}

static void boot_active(void **state)
{
    (void)state;
    webota_boot_config_t c = cfg_of(2, true, false);
    webota_boot_choice_t ch = boot(E(1, V), E(2, V), &c);
    assert_int_equal(ch.start, 1);
    assert_int_equal(ch.active, 1);
    ch = boot(E(3, V), E(2, V), &c);
    assert_int_equal(ch.start, 0);
    assert_int_equal(ch.active, 0);
    /* equal seqs: entry 0 */
    ch = boot(E(2, V), E(2, U), &c);
    assert_int_equal(ch.active, 0);
    assert_int_equal(ch.start, 1);
    /* newer entry with a bad CRC loses */
    ch = boot(BADCRC(3, V), E(2, V), &c);
    assert_int_equal(ch.active, 1);
    assert_int_equal(ch.start, 1);
    /* seq 0 is usable: slot (0-1) % 2 = 1, and it beats nothing */
    ch = boot(E(0, V), ERASED(), &c);
    assert_int_equal(ch.active, 0);
    assert_int_equal(ch.start, 1);
    c.app_count = 3;
    ch = boot(E(0, V), ERASED(), &c);
    assert_int_equal(ch.start, 0);
    /* large seq, three slots */
    ch = boot(E(0xFFFFFFFEu, V), E(5, V), &c);
    assert_int_equal(ch.active, 0);
    assert_int_equal(ch.start, (int)((0xFFFFFFFEu - 1u) % 3u));
    /* without rollback, NEW and PENDING_VERIFY boot and are left alone */
    ch = boot(E(1, V), E(2, NEW), &c);
    assert_int_equal(ch.start, 1);
    assert_int_equal(ch.n_writes, 0);
    ch = boot(E(1, V), E(2, PEND), &c);
    assert_int_equal(ch.start, 1);
    assert_int_equal(ch.n_writes, 0);
}

static void boot_rollback_rewrites(void **state)
{
    (void)state;
    webota_boot_config_t c = cfg_of(2, true, true);
    /* NEW -> PENDING_VERIFY, booted */
    webota_ota_entry_t n = E(2, NEW);
    memset(n.seq_label, 0x5A, sizeof n.seq_label);
    webota_boot_choice_t ch = boot(E(1, V), n, &c);
    assert_int_equal(ch.start, 1);
    assert_false(ch.rewrite[0]);
    assert_true(ch.rewrite[1]);
    assert_int_equal(ch.n_writes, 1);
    assert_int_equal(ch.write_order[0], 1);
    assert_int_equal(ch.entry[1].state, PEND);
    assert_int_equal(ch.entry[1].seq, 2);
    assert_int_equal(ch.entry[1].crc, webota_ota_seq_crc(2));
    assert_memory_equal(ch.entry[1].seq_label, n.seq_label, 20); /* label kept */

    /* PENDING_VERIFY -> ABORTED, the older entry boots */
    ch = boot(E(1, V), E(2, PEND), &c);
    assert_int_equal(ch.start, 0);
    assert_int_equal(ch.active, 0);
    assert_true(ch.rewrite[1]);
    assert_false(ch.rewrite[0]);
    assert_int_equal(ch.entry[1].state, ABO);

    /* both PENDING: both ABORTED, factory */
    ch = boot(E(1, PEND), E(2, PEND), &c);
    assert_int_equal(ch.start, -1);
    assert_int_equal(ch.n_writes, 2);
    assert_int_equal(ch.write_order[0], 0);
    assert_int_equal(ch.write_order[1], 1);
    assert_int_equal(ch.entry[0].state, ABO);
    assert_int_equal(ch.entry[1].state, ABO);
    /* ...and without factory: ota_0, no initial write (CRCs are good) */
    c.has_factory = false;
    ch = boot(E(1, PEND), E(2, PEND), &c);
    assert_int_equal(ch.start, 0);
    assert_false(ch.initial);

    /* entry 1 PENDING aborted first, then entry 0 NEW (older) becomes PENDING */
    ch = boot(E(1, NEW), E(2, PEND), &c);
    assert_int_equal(ch.active, 0);
    assert_int_equal(ch.start, 0);
    assert_int_equal(ch.n_writes, 2);
    assert_int_equal(ch.write_order[0], 1);
    assert_int_equal(ch.write_order[1], 0);
    assert_int_equal(ch.entry[0].state, PEND);
    assert_int_equal(ch.entry[1].state, ABO);

    /* NEW that is not active is not touched */
    ch = boot(E(1, NEW), E(2, V), &c);
    assert_int_equal(ch.active, 1);
    assert_int_equal(ch.n_writes, 0);
    /* PENDING with a bad CRC is still rewritten (state only matters) */
    ch = boot(BADCRC(3, PEND), E(2, V), &c);
    assert_true(ch.rewrite[0]);
    assert_int_equal(ch.entry[0].state, ABO);
    assert_int_equal(ch.entry[0].crc,
                     webota_ota_seq_crc(3) ^ 0x100u); /* the bootloader keeps the CRC word */
    assert_int_equal(ch.active, 1);
}

struct sv_ctx {
    uint32_t sv[16];
    bool readable[16];
    unsigned calls;
};

static bool sv_cb(void *ctx, unsigned slot, uint32_t *out)
{
    struct sv_ctx *s = ctx;
    s->calls++;
    assert_true(slot < 16);
    *out = s->sv[slot];
    return s->readable[slot];
}

static void boot_anti_rollback(void **state)
{
    (void)state;
    struct sv_ctx s;
    memset(&s, 0, sizeof s);
    s.readable[0] = s.readable[1] = true;
    s.sv[0] = 3;
    s.sv[1] = 1;
    webota_boot_config_t c = cfg_of(2, false, true);
    c.anti_rollback = true;
    c.efuse_secure_version = 2;
    c.slot_secure_version = sv_cb;
    c.ctx = &s;

    /* blank: initial, start -1 (the loop tries ota_0, ota_1...) */
    webota_boot_choice_t ch = boot(ERASED(), BADCRC(1, V), &c);
    assert_true(ch.initial);
    assert_int_equal(ch.start, -1);
    /* entry 1 (seq 2 -> slot 1, sv 1 < 2) is skipped: entry 0 (slot 0) wins */
    ch = boot(E(1, U), E(2, U), &c);
    assert_int_equal(ch.active, 0);
    assert_int_equal(ch.start, 0);
    assert_false(ch.efuse_raise); /* state UNDEFINED: no burn */
    /* VALID with a higher secure_version: burn up to it */
    ch = boot(E(1, V), E(2, U), &c);
    assert_int_equal(ch.start, 0);
    assert_true(ch.efuse_raise);
    assert_int_equal(ch.efuse_new_version, 3);
    /* equal secure version: accepted, nothing to burn */
    c.efuse_secure_version = 3;
    s.sv[1] = 3;
    ch = boot(E(1, V), E(2, V), &c);
    assert_int_equal(ch.start, 1);
    assert_false(ch.efuse_raise);
    /* unreadable app: entry not considered; none left: scan (no initial) */
    s.readable[1] = false;
    ch = boot(ERASED(), E(2, V), &c);
    assert_int_equal(ch.active, -1);
    assert_int_equal(ch.start, -1);
    assert_false(ch.initial);
    /* invalid states are not even looked up */
    s.calls = 0;
    ch = boot(E(1, INV), E(2, ABO), &c);
    assert_int_equal(ch.start, -1);
    assert_int_equal(s.calls, 0);
    /* NEW -> PENDING still applies; no burn for NEW */
    s.readable[1] = true;
    ch = boot(E(1, V), E(2, NEW), &c);
    assert_int_equal(ch.start, 1);
    assert_true(ch.rewrite[1]);
    assert_false(ch.efuse_raise);
    /* app_count 0: nothing counts (ESP-IDF would divide by zero) */
    c.app_count = 0;
    ch = boot(E(1, V), E(2, V), &c);
    assert_int_equal(ch.start, -1);
}

static void boot_bad_args(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {ERASED(), ERASED()};
    webota_boot_choice_t ch;
    webota_boot_config_t c = cfg_of(17, false, false);
    assert_int_equal(webota_ota_boot_select(e, NULL, &ch), WEBOTA_ERR_ARG);
    assert_int_equal(webota_ota_boot_select(e, &c, &ch), WEBOTA_ERR_ARG);
    c = cfg_of(2, false, false);
    c.anti_rollback = true; /* no secure-version callback */
    assert_int_equal(webota_ota_boot_select(e, &c, &ch), WEBOTA_ERR_ARG);
    c.app_count = 16;
    c.anti_rollback = false;
    assert_int_equal(webota_ota_boot_select(e, &c, &ch), WEBOTA_OK);
}

static void load_order(void **state)
{
    (void)state;
    int o[WEBOTA_OTA_LOAD_ORDER_MAX];
    unsigned n = webota_ota_load_order(1, 3, true, true, o);
    int want1[] = {1, 0, -1, 2, -2};
    assert_int_equal(n, 5);
    assert_memory_equal(o, want1, sizeof want1);

    n = webota_ota_load_order(-1, 3, false, false, o); /* scan */
    int want2[] = {0, 1, 2};
    assert_int_equal(n, 3);
    assert_memory_equal(o, want2, sizeof want2);

    n = webota_ota_load_order(-1, 2, true, false, o);
    int want3[] = {-1, 0, 1};
    assert_int_equal(n, 3);
    assert_memory_equal(o, want3, sizeof want3);

    n = webota_ota_load_order(2, 3, false, false, o);
    int want4[] = {2, 1, 0};
    assert_int_equal(n, 3);
    assert_memory_equal(o, want4, sizeof want4);

    n = webota_ota_load_order(0, 0, false, true, o);
    assert_int_equal(n, 1);
    assert_int_equal(o[0], -2);
    n = webota_ota_load_order(0, 0, false, false, o);
    assert_int_equal(n, 0);

    n = webota_ota_load_order(-2, 3, true, true, o);
    assert_int_equal(n, 1);
    assert_int_equal(o[0], -2);
    assert_int_equal(webota_ota_load_order(-2, 3, true, false, o), 0);
    assert_int_equal(webota_ota_load_order(-99, 3, true, true, o), 0);

    /* a start beyond app_count: those indices have no partition */
    n = webota_ota_load_order(5, 2, true, false, o);
    int want5[] = {1, 0, -1};
    assert_int_equal(n, 3);
    assert_memory_equal(o, want5, sizeof want5);

    /* the maximum */
    n = webota_ota_load_order(7, 16, true, true, o);
    assert_int_equal(n, WEBOTA_OTA_LOAD_ORDER_MAX);
    assert_int_equal(o[0], 7);
    assert_int_equal(o[7], 0);
    assert_int_equal(o[8], -1);
    assert_int_equal(o[9], 8);
    assert_int_equal(o[16], 15);
    assert_int_equal(o[17], -2);
    assert_int_equal(webota_ota_load_order(3, 99, true, true, o), WEBOTA_OTA_LOAD_ORDER_MAX);
}

static void initial_entry(void **state)
{
    (void)state;
    webota_ota_entry_t e;
    webota_ota_initial_entry(2, &e);
    assert_int_equal(e.seq, 3);
    assert_int_equal(e.state, V);
    assert_int_equal(e.crc, 0xED4A5011u);
    for (int i = 0; i < 20; i++)
        assert_int_equal(e.seq_label[i], 0xFF);
    webota_ota_initial_entry(0, &e);
    assert_int_equal(e.seq, 1);
    assert_true(webota_ota_entry_valid(&e));
}

/* ---- set boot partition (docs/formats.md#set-boot-partition) ---- */

static uint32_t set_seq(webota_ota_entry_t e0, webota_ota_entry_t e1, unsigned slot, unsigned n,
                        webota_ota_rule_t rule, unsigned *sector)
{
    webota_ota_entry_t e[2] = {e0, e1}, out;
    assert_int_equal(webota_ota_set_boot(e, slot, n, false, rule, sector, &out), WEBOTA_OK);
    assert_int_equal(out.crc, webota_ota_seq_crc(out.seq));
    return out.seq;
}

static void set_boot_examples(void **state)
{
    (void)state;
    unsigned sec;
    webota_ota_rule_t rules[] = {WEBOTA_OTA_RULE_V6_0, WEBOTA_OTA_RULE_V5_5,
                                 WEBOTA_OTA_RULE_OTATOOL};
    for (size_t r = 0; r < 3; r++) {
        /* the examples table, active entry in sector 0 -> write sector 1 */
        assert_int_equal(set_seq(E(5, V), ERASED(), 0, 3, rules[r], &sec), 7);
        assert_int_equal(sec, 1);
        assert_int_equal(set_seq(E(5, V), ERASED(), 2, 3, rules[r], &sec), 6);
        assert_int_equal(set_seq(E(5, V), ERASED(), 7, 8, rules[r], &sec), 8);
        assert_int_equal(set_seq(E(1, V), ERASED(), 1, 2, rules[r], &sec), 2);
        assert_int_equal(set_seq(E(2, V), ERASED(), 0, 2, rules[r], &sec), 3);
        /* active entry in sector 1 -> write sector 0 */
        assert_int_equal(set_seq(E(1, V), E(5, V), 0, 3, rules[r], &sec), 7);
        assert_int_equal(sec, 0);
        /* erased: sector 0, seq slot+1 */
        assert_int_equal(set_seq(ERASED(), ERASED(), 2, 3, rules[r], &sec), 3);
        assert_int_equal(sec, 0);
        assert_int_equal(set_seq(ERASED(), E(4, INV), 0, 3, WEBOTA_OTA_RULE_V6_0, &sec), 1);
        assert_int_equal(sec, 0);
        /* a gap of more than one round */
        assert_int_equal(set_seq(E(10, V), E(9, V), 2, 4, rules[r], &sec), 11);
        assert_int_equal(sec, 1);
    }
}

static void set_boot_trace(void **state)
{
    (void)state;
    /* 2 slots + factory from erased: seq grows by 1 per switch, alternating sectors */
    webota_ota_entry_t e[2] = {ERASED(), ERASED()}, out;
    unsigned sec, slots[] = {0, 1, 0, 1};
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(
            webota_ota_set_boot(e, slots[i], 2, false, WEBOTA_OTA_RULE_V6_0, &sec, &out),
            WEBOTA_OK);
        assert_int_equal(sec, i % 2);
        assert_int_equal(out.seq, i + 1);
        assert_int_equal(out.state, U);
        e[sec] = out;
        assert_int_equal(webota_ota_seq_slot(e[webota_ota_active(e)].seq, 2), slots[i]);
    }
}

static void set_boot_same_slot(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {E(3, V), E(2, V)}, out;
    unsigned sec;
    /* v6.0: slot 0 is already selected (seq 3): in place, same seq, state refreshed */
    assert_int_equal(webota_ota_set_boot(e, 0, 2, true, WEBOTA_OTA_RULE_V6_0, &sec, &out),
                     WEBOTA_OK);
    assert_int_equal(sec, 0);
    assert_int_equal(out.seq, 3);
    assert_int_equal(out.state, NEW);
    /* v5.5: the inactive sector gets an equal seq; ties -> entry 0 still wins */
    assert_int_equal(webota_ota_set_boot(e, 0, 2, true, WEBOTA_OTA_RULE_V5_5, &sec, &out),
                     WEBOTA_OK);
    assert_int_equal(sec, 1);
    assert_int_equal(out.seq, 3);
    assert_int_equal(out.state, NEW);
    /* v5.5 with the active one in sector 1: the equal seq in sector 0 wins the tie */
    webota_ota_entry_t f[2] = {E(2, V), E(3, V)};
    assert_int_equal(webota_ota_set_boot(f, 0, 2, false, WEBOTA_OTA_RULE_V5_5, &sec, &out),
                     WEBOTA_OK);
    assert_int_equal(sec, 0);
    assert_int_equal(out.seq, 3);
    f[0] = out;
    assert_int_equal(webota_ota_active(f), 0);
}

static void set_boot_fields(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {E(1, V), E(7, INV)}, out;
    memset(e[1].seq_label, 0x11, 20);
    unsigned sec;
    /* v6.0: entry 1 is INVALID, so entry 0 is active; target = sector 1, label kept */
    assert_int_equal(webota_ota_set_boot(e, 1, 2, true, WEBOTA_OTA_RULE_V6_0, &sec, &out),
                     WEBOTA_OK);
    assert_int_equal(sec, 1);
    assert_int_equal(out.seq, 2);
    assert_int_equal(out.state, NEW);
    assert_memory_equal(out.seq_label, e[1].seq_label, 20);
    assert_int_equal(webota_ota_set_boot(e, 1, 2, false, WEBOTA_OTA_RULE_V6_0, &sec, &out),
                     WEBOTA_OK);
    assert_int_equal(out.state, U);
    /* otatool ignores the state: entry 1 (seq 7) is active, target = sector 0, and
     * entry 0's state VALID and label are kept */
    memset(e[0].seq_label, 0x22, 20);
    assert_int_equal(webota_ota_set_boot(e, 1, 2, true, WEBOTA_OTA_RULE_OTATOOL, &sec, &out),
                     WEBOTA_OK);
    assert_int_equal(sec, 0);
    assert_int_equal(out.seq, 8);
    assert_int_equal(out.state, V);
    assert_memory_equal(out.seq_label, e[0].seq_label, 20);
    /* otatool and a bad CRC: not counted */
    e[1] = BADCRC(7, V);
    assert_int_equal(webota_ota_set_boot(e, 1, 2, false, WEBOTA_OTA_RULE_OTATOOL, &sec, &out),
                     WEBOTA_OK);
    assert_int_equal(sec, 1);
    assert_int_equal(out.seq, 2);
    assert_int_equal(out.crc, webota_ota_seq_crc(2));
}

static void set_boot_seq_edges(void **state)
{
    (void)state;
    webota_ota_entry_t out;
    unsigned sec;
    /* seq 0 active, N = 3, slot 2: (slot+1)%3 = 0 >= 0, so ESP-IDF writes seq 0
     * again (which maps to slot 0: an ESP-IDF quirk, reproduced) */
    assert_int_equal(set_seq(E(0, V), ERASED(), 2, 3, WEBOTA_OTA_RULE_V6_0, &sec), 0);
    assert_int_equal(sec, 1);
    /* seq 0 with N = 2 maps to slot 1: v6.0 rewrites in place */
    assert_int_equal(set_seq(E(0, V), ERASED(), 1, 2, WEBOTA_OTA_RULE_V6_0, &sec), 0);
    assert_int_equal(sec, 0);
    /* near the top */
    assert_int_equal(set_seq(E(0xFFFFFFFCu, V), ERASED(), 0, 2, WEBOTA_OTA_RULE_V6_0, &sec),
                     0xFFFFFFFDu);
    assert_int_equal(set_seq(E(0xFFFFFFFCu, V), ERASED(), 1, 2, WEBOTA_OTA_RULE_V5_5, &sec),
                     0xFFFFFFFCu);
    webota_ota_entry_t e[2] = {E(0xFFFFFFFEu, V), ERASED()};
    assert_int_equal(webota_ota_set_boot(e, 0, 2, false, WEBOTA_OTA_RULE_V6_0, &sec, &out),
                     WEBOTA_ERR_OTA_SEQ_OVERFLOW);
    assert_int_equal(webota_ota_set_boot(e, 0, 4, false, WEBOTA_OTA_RULE_V5_5, &sec, &out),
                     WEBOTA_ERR_OTA_SEQ_OVERFLOW);
    /* 0xFFFFFFFE -> slot (0xFFFFFFFD % 2) = 1: in place under v6.0, fine */
    assert_int_equal(webota_ota_set_boot(e, 1, 2, false, WEBOTA_OTA_RULE_V6_0, &sec, &out),
                     WEBOTA_OK);
    assert_int_equal(out.seq, 0xFFFFFFFEu);
}

static void set_boot_errors(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {ERASED(), ERASED()}, out;
    unsigned sec = 77;
    assert_int_equal(webota_ota_set_boot(e, 0, 0, false, WEBOTA_OTA_RULE_V6_0, &sec, &out),
                     WEBOTA_ERR_ARG);
    assert_int_equal(webota_ota_set_boot(e, 0, 17, false, WEBOTA_OTA_RULE_V6_0, &sec, &out),
                     WEBOTA_ERR_ARG);
    assert_int_equal(webota_ota_set_boot(e, 2, 2, false, WEBOTA_OTA_RULE_V6_0, &sec, &out),
                     WEBOTA_ERR_OTA_BAD_SLOT);
    assert_int_equal(webota_ota_set_boot(e, 0, 2, false, (webota_ota_rule_t)3, &sec, &out),
                     WEBOTA_ERR_ARG);
    assert_int_equal(sec, 77); /* untouched on error */
    assert_int_equal(webota_ota_set_boot(e, 15, 16, false, WEBOTA_OTA_RULE_V6_0, &sec, &out),
                     WEBOTA_OK);
    assert_int_equal(out.seq, 16);
}

/* ---- marks (docs/formats.md#image-states-and-rollback) ---- */

static void mark_rules(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {E(1, V), E(2, PEND)}, out;
    memset(e[1].seq_label, 0x33, 20);
    int sec = 9;
    assert_int_equal(webota_ota_mark(e, 2, V, &sec, &out), WEBOTA_OK);
    assert_int_equal(sec, 1);
    assert_int_equal(out.seq, 2);
    assert_int_equal(out.state, V);
    assert_int_equal(out.crc, webota_ota_seq_crc(2));
    assert_memory_equal(out.seq_label, e[1].seq_label, 20);

    assert_int_equal(webota_ota_mark(e, 2, INV, &sec, &out), WEBOTA_OK);
    assert_int_equal(sec, 1);
    assert_int_equal(out.state, INV);

    /* already VALID: nothing to write */
    e[1].state = V;
    assert_int_equal(webota_ota_mark(e, 2, V, &sec, &out), WEBOTA_OK);
    assert_int_equal(sec, -1);
    /* UNDEFINED (rollback off) -> VALID is a write */
    e[1].state = U;
    assert_int_equal(webota_ota_mark(e, 2, V, &sec, &out), WEBOTA_OK);
    assert_int_equal(sec, 1);

    /* running firmware is factory */
    webota_ota_entry_t z[2] = {ERASED(), E(3, ABO)};
    assert_int_equal(webota_ota_mark(z, 2, V, &sec, &out), WEBOTA_ERR_STATE);
    assert_int_equal(webota_ota_mark(z, 2, INV, &sec, &out), WEBOTA_ERR_STATE);
    assert_int_equal(webota_ota_mark(e, 0, V, &sec, &out), WEBOTA_ERR_STATE);
    assert_int_equal(webota_ota_mark(e, 2, ABO, &sec, &out), WEBOTA_ERR_ARG);
    assert_int_equal(webota_ota_mark(e, 2, PEND, &sec, &out), WEBOTA_ERR_ARG);
}

/* ---- queries (docs/formats.md#other-otadata-writes-by-the-application) ---- */

static void slot_state_query(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {E(1, V), E(2, PEND)};
    uint32_t st = 0;
    assert_int_equal(webota_ota_slot_state(e, 0, 2, &st), WEBOTA_OK);
    assert_int_equal(st, V);
    assert_int_equal(webota_ota_slot_state(e, 1, 2, &st), WEBOTA_OK);
    assert_int_equal(st, PEND);
    /* INVALID states are reported too (only the CRC counts) */
    e[1].state = ABO;
    assert_int_equal(webota_ota_slot_state(e, 1, 2, &st), WEBOTA_OK);
    assert_int_equal(st, ABO);
    /* both map to the same slot: entry 0 first */
    webota_ota_entry_t s[2] = {E(1, INV), E(3, V)};
    assert_int_equal(webota_ota_slot_state(s, 0, 2, &st), WEBOTA_OK);
    assert_int_equal(st, INV);
    assert_int_equal(webota_ota_slot_state(s, 1, 2, &st), WEBOTA_ERR_NOT_FOUND);
    /* bad CRC skipped */
    s[0] = BADCRC(1, INV);
    assert_int_equal(webota_ota_slot_state(s, 0, 2, &st), WEBOTA_OK);
    assert_int_equal(st, V);
    /* erased entries never match (their CRC word is wrong) */
    webota_ota_entry_t z[2] = {ERASED(), ERASED()};
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(webota_ota_slot_state(z, i, 16, &st), WEBOTA_ERR_NOT_FOUND);
    assert_int_equal(webota_ota_slot_state(e, 0, 0, &st), WEBOTA_ERR_NOT_FOUND);
}

static void last_invalid_query(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {E(4, INV), E(3, ABO)};
    assert_int_equal(webota_ota_last_invalid(e, 3), 2); /* the lower seq (3): slot (3-1)%3 */
    e[1] = E(3, V);
    assert_int_equal(webota_ota_last_invalid(e, 3), 0); /* (4-1)%3 */
    e[0] = BADCRC(4, INV);
    assert_int_equal(webota_ota_last_invalid(e, 3), -1);
    webota_ota_entry_t z[2] = {ERASED(), ERASED()};
    z[0].state = INV;
    assert_int_equal(webota_ota_last_invalid(z, 3), -1);
    webota_ota_entry_t t[2] = {E(5, ABO), E(5, INV)};
    assert_int_equal(webota_ota_last_invalid(t, 2), 0); /* tie -> entry 0, slot (5-1)%2 */
    assert_int_equal(webota_ota_last_invalid(t, 0), -1);
}

struct verify_ctx {
    bool ok[16];
    int last;
};

static bool verify_cb(void *ctx, unsigned slot)
{
    struct verify_ctx *v = ctx;
    v->last = (int)slot;
    return v->ok[slot];
}

static void rollback_possible_query(void **state)
{
    (void)state;
    struct verify_ctx v;
    memset(&v, 0, sizeof v);
    v.last = -1;
    webota_ota_entry_t e[2] = {E(1, V), E(2, PEND)};
    /* other = entry 0, valid, slot 0 */
    assert_false(webota_ota_rollback_possible(e, 2, true, verify_cb, &v));
    assert_int_equal(v.last, 0);
    v.ok[0] = true;
    assert_true(webota_ota_rollback_possible(e, 2, false, verify_cb, &v));
    assert_false(webota_ota_rollback_possible(e, 2, true, NULL, NULL));
    /* other not valid: factory decides */
    e[0] = E(1, INV);
    v.last = -1;
    assert_true(webota_ota_rollback_possible(e, 2, true, verify_cb, &v));
    assert_false(webota_ota_rollback_possible(e, 2, false, verify_cb, &v));
    assert_int_equal(v.last, -1);
    e[0] = ERASED();
    assert_true(webota_ota_rollback_possible(e, 2, true, verify_cb, &v));
    /* no active entry, or no slots */
    webota_ota_entry_t z[2] = {ERASED(), E(2, ABO)};
    assert_false(webota_ota_rollback_possible(z, 2, true, verify_cb, &v));
    webota_ota_entry_t g[2] = {E(3, V), E(2, V)};
    assert_false(webota_ota_rollback_possible(g, 0, true, verify_cb, &v));
    v.ok[1] = true;
    assert_true(webota_ota_rollback_possible(g, 2, false, verify_cb, &v));
    assert_int_equal(v.last, 1);
}

static void inactive_sector_query(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {E(1, V), E(2, V)};
    assert_int_equal(webota_ota_inactive_sector_to_erase(e, 2, 1), 0);
    assert_int_equal(webota_ota_inactive_sector_to_erase(e, 2, -1), 0);
    assert_int_equal(webota_ota_inactive_sector_to_erase(e, 2, 0), -1); /* it is running */
    /* state not looked at */
    e[0].state = INV;
    assert_int_equal(webota_ota_inactive_sector_to_erase(e, 2, 1), 0);
    e[0] = BADCRC(1, V);
    assert_int_equal(webota_ota_inactive_sector_to_erase(e, 2, 1), -1);
    e[0] = ERASED();
    assert_int_equal(webota_ota_inactive_sector_to_erase(e, 2, 1), -1);
    webota_ota_entry_t f[2] = {E(5, V), E(4, V)};
    assert_int_equal(webota_ota_inactive_sector_to_erase(f, 3, 1),
                     1); /* (4-1)%3 = 0 is not running */
    assert_int_equal(webota_ota_inactive_sector_to_erase(f, 3, 0), -1);
    assert_int_equal(webota_ota_inactive_sector_to_erase(f, 0, 1), -1);
    webota_ota_entry_t z[2] = {E(5, INV), E(4, ABO)};
    assert_int_equal(webota_ota_inactive_sector_to_erase(z, 3, -1), -1);
}

static void queries_reject_too_many_slots(void **state)
{
    (void)state;
    /* more than ota_0..ota_15 cannot exist: every query says "nothing" */
    webota_ota_entry_t e[2] = {E(17, INV), E(16, V)}, out;
    uint32_t st;
    int sec;
    struct verify_ctx v;
    memset(&v, 0, sizeof v);
    assert_int_equal(webota_ota_slot_state(e, 15, 17, &st), WEBOTA_ERR_NOT_FOUND);
    assert_int_equal(webota_ota_last_invalid(e, 17), -1);
    assert_false(webota_ota_rollback_possible(e, 17, true, verify_cb, &v));
    assert_int_equal(webota_ota_inactive_sector_to_erase(e, 17, -1), -1);
    assert_int_equal(webota_ota_boot_slot(e, 17), -1);
    assert_int_equal(webota_ota_mark(e, 17, V, &sec, &out), WEBOTA_ERR_ARG);
    /* the same with 16 works */
    assert_int_equal(webota_ota_slot_state(e, 15, 16, &st), WEBOTA_OK);
    assert_int_equal(webota_ota_last_invalid(e, 16), 0);
    assert_int_equal(webota_ota_boot_slot(e, 16), 15);
}

static void boot_slot_query(void **state)
{
    (void)state;
    webota_ota_entry_t e[2] = {E(1, V), E(2, V)};
    assert_int_equal(webota_ota_boot_slot(e, 2), 1);
    assert_int_equal(webota_ota_boot_slot(e, 0), -1);
    e[1].state = INV;
    assert_int_equal(webota_ota_boot_slot(e, 2), 0);
    e[0].state = ABO;
    assert_int_equal(webota_ota_boot_slot(e, 2), -1);
    webota_ota_entry_t b[2] = {BADCRC(1, V), ERASED()};
    assert_int_equal(webota_ota_boot_slot(b, 2), -1);
}

/* An entry is "erased" only when all 32 bytes are 0xFF: a label byte, the
 * state or the CRC written alone is enough to make it not erased. */
static void entry_is_erased(void **state)
{
    (void)state;
    webota_ota_entry_t e = ERASED();
    assert_true(webota_ota_entry_is_erased(&e));
    e.seq_label[19] = 0xFE;
    assert_false(webota_ota_entry_is_erased(&e));
    e = ERASED();
    e.state = WEBOTA_OTA_STATE_UNDEFINED; /* 0xFFFFFFFF: still all ones */
    assert_true(webota_ota_entry_is_erased(&e));
    e.crc = 0xFFFFFFFEu;
    assert_false(webota_ota_entry_is_erased(&e));
    e = E(1, V);
    assert_false(webota_ota_entry_is_erased(&e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codec_spec_bytes),
        cmocka_unit_test(codec_roundtrip_label),
        cmocka_unit_test(region_offsets),
        cmocka_unit_test(predicates),
        cmocka_unit_test(entry_is_erased),
        cmocka_unit_test(select_rule),
        cmocka_unit_test(active_rule),
        cmocka_unit_test(seq_slot_mapping),
        cmocka_unit_test(seq_all_ones_never_counts),
        cmocka_unit_test(boot_blank),
        cmocka_unit_test(boot_scan_when_crc_bad),
        cmocka_unit_test(boot_no_app_slots),
        cmocka_unit_test(boot_active),
        cmocka_unit_test(boot_rollback_rewrites),
        cmocka_unit_test(boot_anti_rollback),
        cmocka_unit_test(boot_bad_args),
        cmocka_unit_test(load_order),
        cmocka_unit_test(initial_entry),
        cmocka_unit_test(set_boot_examples),
        cmocka_unit_test(set_boot_trace),
        cmocka_unit_test(set_boot_same_slot),
        cmocka_unit_test(set_boot_fields),
        cmocka_unit_test(set_boot_seq_edges),
        cmocka_unit_test(set_boot_errors),
        cmocka_unit_test(mark_rules),
        cmocka_unit_test(slot_state_query),
        cmocka_unit_test(last_invalid_query),
        cmocka_unit_test(rollback_possible_query),
        cmocka_unit_test(inactive_sector_query),
        cmocka_unit_test(queries_reject_too_many_slots),
        cmocka_unit_test(boot_slot_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
