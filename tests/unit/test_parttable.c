/* Partition table binary rules (docs/formats.md#partition-table), look-ups and the
 * next-update rule (docs/formats.md#esp_ota_ops-behaviour), against the
 * gen_esp32part vectors and hand-built tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "webota/crypto.h"
#include "webota/parttable.h"

static webota_parttable_t pt; /* ~3.4 KiB, kept off the test stack */

typedef struct {
    const char *name;
    bool md5;
    unsigned count;
} valid_vec_t;

static const valid_vec_t VALID[] = {
    {"builtin_singleapp", true, 3}, {"builtin_two_ota", true, 6}, {"ota4_no_factory", true, 7},
    {"data_subtypes", true, 10},    {"flags", true, 6},           {"custom_types", true, 7},
    {"table_at_0x9000", true, 5},   {"no_md5", false, 3},
};

static void load_vector(const char *name, webota_parttable_t *out)
{
    char rel[128];
    size_t len;
    snprintf(rel, sizeof(rel), "parttable/%s.bin", name);
    uint8_t *bin = tu_read_vector(rel, &len);
    assert_int_equal(webota_pt_parse(out, bin, len, 0, false, NULL), WEBOTA_OK);
    free(bin);
}

/* Every valid vector parses, rebuilds byte for byte and prints as the tool. */
static void valid_vectors_roundtrip(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof(VALID) / sizeof(VALID[0]); v++) {
        char rel[128];
        size_t len, clen;
        snprintf(rel, sizeof(rel), "parttable/%s.bin", VALID[v].name);
        uint8_t *bin = tu_read_vector(rel, &len);
        assert_int_equal(len, WEBOTA_PT_MAX_LEN);
        int bad = 99;
        assert_int_equal(webota_pt_parse(&pt, bin, len, 0, VALID[v].md5, &bad), WEBOTA_OK);
        assert_int_equal(bad, -1);
        assert_int_equal(pt.count, VALID[v].count);
        assert_int_equal(pt.has_md5, VALID[v].md5);
        uint8_t out[WEBOTA_PT_MAX_LEN];
        assert_int_equal(webota_pt_build(&pt, pt.has_md5, out), WEBOTA_OK);
        assert_memory_equal(out, bin, WEBOTA_PT_MAX_LEN);
        snprintf(rel, sizeof(rel), "parttable/%s.roundtrip.csv", VALID[v].name);
        uint8_t *csv = tu_read_vector(rel, &clen);
        char text[8192];
        size_t tlen = 0;
        assert_int_equal(webota_pt_to_csv(&pt, text, sizeof(text), &tlen), WEBOTA_OK);
        assert_int_equal(tlen, clen);
        assert_memory_equal(text, csv, clen);
        assert_int_equal(strlen(text), tlen);
        free(csv);
        free(bin);
    }
}

static void layout_two_ota(void **state)
{
    (void)state;
    load_vector("builtin_two_ota", &pt);
    static const struct {
        const char *label;
        uint8_t type, subtype;
        uint32_t offset, size;
    } want[] = {
        {"nvs", 1, 2, 0x9000, 0x4000},          {"otadata", 1, 0, 0xd000, 0x2000},
        {"phy_init", 1, 1, 0xf000, 0x1000},     {"factory", 0, 0, 0x10000, 0x100000},
        {"ota_0", 0, 0x10, 0x110000, 0x100000}, {"ota_1", 0, 0x11, 0x210000, 0x100000},
    };
    for (unsigned i = 0; i < 6; i++) {
        assert_string_equal(pt.part[i].label, want[i].label);
        assert_int_equal(pt.part[i].type, want[i].type);
        assert_int_equal(pt.part[i].subtype, want[i].subtype);
        assert_int_equal(pt.part[i].offset, want[i].offset);
        assert_int_equal(pt.part[i].size, want[i].size);
        assert_int_equal(pt.part[i].flags, 0);
    }
}

static void flags_vector(void **state)
{
    (void)state;
    load_vector("flags", &pt);
    assert_int_equal(webota_pt_find_label(&pt, "ro_nvs")->flags, WEBOTA_PT_FLAG_READONLY);
    assert_int_equal(webota_pt_find_label(&pt, "factory")->flags, WEBOTA_PT_FLAG_ENCRYPTED);
    assert_int_equal(webota_pt_find_label(&pt, "secrets")->flags,
                     WEBOTA_PT_FLAG_ENCRYPTED | WEBOTA_PT_FLAG_READONLY);
}

/* The 16-character label fills the field with no NUL. */
static void sixteen_char_label(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = tu_read_vector("parttable/custom_types.bin", &len);
    assert_memory_equal(bin + 4 * 32 + 12, "sixteen_char_lbl", 16);
    assert_int_equal(webota_pt_parse(&pt, bin, len, 0, true, NULL), WEBOTA_OK);
    assert_string_equal(pt.part[4].label, "sixteen_char_lbl");
    assert_int_equal(strlen(pt.part[4].label), 16);
    assert_int_equal(pt.part[4].subtype, 0x99);
    assert_int_equal(pt.part[5].type, 0x40);
    free(bin);
}

typedef struct {
    const char *file;
    webota_err_t err;
    int index;
} invalid_bin_t;

static void invalid_bin_vectors(void **state)
{
    (void)state;
    static const invalid_bin_t cases[] = {
        {"bad_md5.bin", WEBOTA_ERR_PT_MD5_MISMATCH, 6},
        {"entry_changed_md5_stale.bin", WEBOTA_ERR_PT_MD5_MISMATCH, 6},
        {"bad_magic_entry2.bin", WEBOTA_ERR_PT_BAD_MAGIC, 2},
        {"no_end_marker.bin", WEBOTA_ERR_PT_NO_END, -1},
        {"truncated_mid_entry.bin", WEBOTA_ERR_PT_TRUNCATED, 2},
        {"truncated_no_end_marker.bin", WEBOTA_ERR_PT_TRUNCATED, 7},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char rel[128];
        size_t len;
        snprintf(rel, sizeof(rel), "parttable/invalid-bin/%s", cases[i].file);
        uint8_t *bin = tu_read_vector(rel, &len);
        int bad = 99;
        assert_int_equal(webota_pt_parse(&pt, bin, len, 0, false, &bad), cases[i].err);
        assert_int_equal(bad, cases[i].index);
        free(bin);
    }
}

static void md5_required(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = tu_read_vector("parttable/no_md5.bin", &len);
    int bad = 99;
    assert_int_equal(webota_pt_parse(&pt, bin, len, 0, true, &bad), WEBOTA_ERR_PT_MD5_MISSING);
    assert_int_equal(bad, 3);
    assert_int_equal(webota_pt_parse(&pt, bin, len, 0, false, &bad), WEBOTA_OK);
    assert_false(pt.has_md5);
    free(bin);
}

static void fill_entries(webota_parttable_t *t, unsigned n)
{
    memset(t, 0, sizeof(*t));
    for (unsigned i = 0; i < n; i++) {
        t->part[i].type = WEBOTA_PT_TYPE_DATA;
        t->part[i].subtype = WEBOTA_PT_SUBTYPE_DATA_FAT;
        t->part[i].offset = 0x10000 + i * 0x1000;
        t->part[i].size = 0x1000;
        snprintf(t->part[i].label, sizeof(t->part[i].label), "p%u", i);
    }
    t->count = n;
}

/* 94 partitions + MD5 fit, 95 do not; 95 fit without MD5. */
static void entry_limits(void **state)
{
    (void)state;
    uint8_t out[WEBOTA_PT_MAX_LEN];
    fill_entries(&pt, 94);
    assert_int_equal(webota_pt_build(&pt, true, out), WEBOTA_OK);
    assert_int_equal(webota_pt_parse(&pt, out, sizeof(out), 0, true, NULL), WEBOTA_OK);
    assert_int_equal(pt.count, 94);
    assert_int_equal(out[95 * 32], 0xFF); /* end marker in the last slot */
    fill_entries(&pt, 95);
    assert_int_equal(webota_pt_build(&pt, true, out), WEBOTA_ERR_CSV_TOO_MANY);
    assert_int_equal(webota_pt_build(&pt, false, out), WEBOTA_OK);
    assert_int_equal(webota_pt_parse(&pt, out, sizeof(out), 0, false, NULL), WEBOTA_OK);
    assert_int_equal(pt.count, 95);
    assert_int_equal(webota_pt_parse(&pt, out, sizeof(out), 0, true, NULL), WEBOTA_ERR_PT_MD5_MISSING);
    /* 96 entries leave no room for an end marker. */
    memcpy(out + 95 * 32, out, 32);
    int bad = 0;
    assert_int_equal(webota_pt_parse(&pt, out, sizeof(out), 0, false, &bad), WEBOTA_ERR_PT_NO_END);
    assert_int_equal(bad, -1);
    pt.count = WEBOTA_PT_MAX_ENTRIES + 1;
    assert_int_equal(webota_pt_build(&pt, false, out), WEBOTA_ERR_ARG);
}

static void empty_tables(void **state)
{
    (void)state;
    uint8_t t[WEBOTA_PT_MAX_LEN];
    int bad = 99;
    memset(t, 0xFF, sizeof(t));
    assert_int_equal(webota_pt_parse(&pt, t, sizeof(t), 0, false, &bad), WEBOTA_ERR_PT_EMPTY);
    assert_int_equal(bad, 0);
    /* gen_esp32part's output for a CSV without partitions: MD5 row only. */
    webota_parttable_t empty;
    memset(&empty, 0, sizeof(empty));
    assert_int_equal(webota_pt_build(&empty, true, t), WEBOTA_OK);
    assert_int_equal(t[0], 0xEB);
    assert_int_equal(webota_pt_parse(&pt, t, sizeof(t), 0, false, &bad), WEBOTA_ERR_PT_EMPTY);
    assert_int_equal(bad, 1);
    assert_int_equal(webota_pt_parse(&pt, t, 0, 0, false, &bad), WEBOTA_ERR_PT_TRUNCATED);
    assert_int_equal(bad, 0);
    assert_int_equal(webota_pt_parse(&pt, t, 31, 0, false, &bad), WEBOTA_ERR_PT_TRUNCATED);
    assert_int_equal(webota_pt_parse(NULL, t, 32, 0, false, &bad), WEBOTA_ERR_ARG);
    assert_int_equal(webota_pt_parse(&pt, NULL, 32, 0, false, &bad), WEBOTA_ERR_ARG);
}

static void second_md5(void **state)
{
    (void)state;
    uint8_t t[WEBOTA_PT_MAX_LEN];
    fill_entries(&pt, 3);
    assert_int_equal(webota_pt_build(&pt, true, t), WEBOTA_OK);
    /* A second MD5 row right after the first (whose MD5 would even match the
     * first 4 rows' digest if it were checked). */
    memcpy(t + 4 * 32, t + 3 * 32, 32);
    int bad = 0;
    assert_int_equal(webota_pt_parse(&pt, t, sizeof(t), 0, false, &bad), WEBOTA_ERR_PT_MD5_DUPLICATE);
    assert_int_equal(bad, 4);
}

/* The bootloader accepts entries after the MD5 row, and only checks magic,
 * type and subtype of the end marker. */
static void device_leniency(void **state)
{
    (void)state;
    uint8_t t[WEBOTA_PT_MAX_LEN];
    fill_entries(&pt, 2);
    assert_int_equal(webota_pt_build(&pt, true, t), WEBOTA_OK);
    memcpy(t + 3 * 32, t, 32); /* entry after MD5 */
    t[3 * 32 + 12] = 'z';
    memset(t + 4 * 32 + 4, 0x00, 8); /* end marker with non-FF tail */
    assert_int_equal(webota_pt_parse(&pt, t, sizeof(t), 0, true, NULL), WEBOTA_OK);
    assert_int_equal(pt.count, 3);
    assert_string_equal(pt.part[2].label, "z0");
    /* 0xFFFF magic with another type is not an end marker. */
    t[4 * 32 + 2] = 0x01;
    int bad = 0;
    assert_int_equal(webota_pt_parse(&pt, t, sizeof(t), 0, true, &bad), WEBOTA_ERR_PT_BAD_MAGIC);
    assert_int_equal(bad, 4);
    /* The 14 filler bytes of the MD5 row are not checked. */
    assert_int_equal(webota_pt_build(&pt, true, t), WEBOTA_ERR_OK);
}

static void out_of_flash(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = tu_read_vector("parttable/builtin_two_ota.bin", &len);
    int bad = 0;
    assert_int_equal(webota_pt_parse(&pt, bin, len, 4 * 1024 * 1024, true, &bad), WEBOTA_OK);
    /* ota_0 ends at 0x210000 > 2 MiB: first failure is slot 4. */
    assert_int_equal(webota_pt_parse(&pt, bin, len, 2 * 1024 * 1024, true, &bad), WEBOTA_ERR_PT_OUT_OF_FLASH);
    assert_int_equal(bad, 4);
    /* ota_1 ends exactly at 0x310000. */
    assert_int_equal(webota_pt_parse(&pt, bin, len, 0x310000, true, &bad), WEBOTA_OK);
    assert_int_equal(webota_pt_parse(&pt, bin, len, 0x30FFFF, true, &bad), WEBOTA_ERR_PT_OUT_OF_FLASH);
    assert_int_equal(bad, 5);
    free(bin);
    /* offset beyond the chip with size 0, and size wrapping past 4 GiB */
    uint8_t t[WEBOTA_PT_MAX_LEN];
    fill_entries(&pt, 1);
    pt.part[0].offset = 0x400001;
    pt.part[0].size = 0;
    assert_int_equal(webota_pt_build(&pt, true, t), WEBOTA_OK);
    assert_int_equal(webota_pt_parse(&pt, t, sizeof(t), 0x400000, true, &bad), WEBOTA_ERR_PT_OUT_OF_FLASH);
    fill_entries(&pt, 1);
    pt.part[0].offset = 0x1000;
    pt.part[0].size = 0xFFFFF000u + 1;
    assert_int_equal(webota_pt_build(&pt, true, t), WEBOTA_OK);
    assert_int_equal(webota_pt_parse(&pt, t, sizeof(t), 0x400000, true, &bad), WEBOTA_ERR_PT_OUT_OF_FLASH);
    assert_int_equal(webota_pt_parse(&pt, t, sizeof(t), 0, true, &bad), WEBOTA_OK);
}

static void md5_row_layout(void **state)
{
    (void)state;
    uint8_t t[WEBOTA_PT_MAX_LEN], d[16];
    fill_entries(&pt, 5);
    assert_int_equal(webota_pt_build(&pt, true, t), WEBOTA_OK);
    assert_int_equal(t[5 * 32], 0xEB);
    assert_int_equal(t[5 * 32 + 1], 0xEB);
    for (int i = 2; i < 16; i++) {
        assert_int_equal(t[5 * 32 + i], 0xFF);
    }
    assert_int_equal(webota_md5(t, 5 * 32, d), WEBOTA_OK);
    assert_memory_equal(t + 5 * 32 + 16, d, 16);
    for (size_t i = 6 * 32; i < sizeof(t); i++) {
        assert_int_equal(t[i], 0xFF);
    }
    assert_int_equal(webota_pt_build(&pt, false, t), WEBOTA_OK);
    assert_int_equal(t[5 * 32], 0xFF);
    assert_int_equal(webota_pt_build(NULL, false, t), WEBOTA_ERR_ARG);
}

static void lookups(void **state)
{
    (void)state;
    load_vector("builtin_two_ota", &pt);
    assert_ptr_equal(webota_pt_find_label(&pt, "ota_1"), &pt.part[5]);
    assert_null(webota_pt_find_label(&pt, "ota_2"));
    assert_null(webota_pt_find_label(&pt, NULL));
    assert_ptr_equal(webota_pt_find(&pt, 1, 1), &pt.part[2]);
    assert_null(webota_pt_find(&pt, 1, 0x81));
    assert_ptr_equal(webota_pt_otadata(&pt), &pt.part[1]);
    assert_ptr_equal(webota_pt_factory(&pt), &pt.part[3]);
    assert_null(webota_pt_test(&pt));
    assert_ptr_equal(webota_pt_ota_slot(&pt, 0), &pt.part[4]);
    assert_ptr_equal(webota_pt_ota_slot(&pt, 1), &pt.part[5]);
    assert_null(webota_pt_ota_slot(&pt, 2));
    assert_null(webota_pt_ota_slot(&pt, 16));
    assert_ptr_equal(webota_pt_find_addr(&pt, 0x10000), &pt.part[3]);
    assert_ptr_equal(webota_pt_find_addr(&pt, 0x10FFFF), &pt.part[3]);
    assert_ptr_equal(webota_pt_find_addr(&pt, 0x110000), &pt.part[4]);
    assert_ptr_equal(webota_pt_find_addr(&pt, 0x30FFFF), &pt.part[5]);
    assert_null(webota_pt_find_addr(&pt, 0x310000));
    assert_null(webota_pt_find_addr(&pt, 0xd000)); /* data, not app */
    assert_int_equal(webota_pt_app_count_boot(&pt), 2);
    assert_int_equal(webota_pt_app_count_app(&pt), 2);
    assert_null(webota_pt_find(NULL, 0, 0));
    assert_null(webota_pt_otadata(NULL));
    assert_null(webota_pt_find_addr(NULL, 0));
    assert_int_equal(webota_pt_app_count_boot(NULL), 0);

    load_vector("custom_types", &pt);
    assert_ptr_equal(webota_pt_test(&pt), &pt.part[3]);
    assert_null(webota_pt_otadata(&pt));
    assert_int_equal(webota_pt_app_count_boot(&pt), 0);
    assert_null(webota_pt_next_update(&pt, webota_pt_factory(&pt)));
}

/* Two otadata entries (gen_esp32part refuses, the device does not): the
 * bootloader uses the last one. */
static void otadata_last_wins(void **state)
{
    (void)state;
    fill_entries(&pt, 3);
    pt.part[0].subtype = WEBOTA_PT_SUBTYPE_DATA_OTA;
    pt.part[2].subtype = WEBOTA_PT_SUBTYPE_DATA_OTA;
    assert_ptr_equal(webota_pt_otadata(&pt), &pt.part[2]);
}

static void next_update_rule(void **state)
{
    (void)state;
    load_vector("builtin_two_ota", &pt);
    const webota_partition_t *factory = webota_pt_factory(&pt), *o0 = webota_pt_ota_slot(&pt, 0),
                             *o1 = webota_pt_ota_slot(&pt, 1);
    assert_ptr_equal(webota_pt_next_update(&pt, factory), o0);
    assert_ptr_equal(webota_pt_next_update(&pt, o0), o1);
    assert_ptr_equal(webota_pt_next_update(&pt, o1), o0);
    assert_ptr_equal(webota_pt_next_update(&pt, NULL), o0);
    /* A copy of the running partition (not a pointer into the table). */
    webota_partition_t copy = *o0;
    assert_ptr_equal(webota_pt_next_update(&pt, &copy), o1);

    load_vector("ota4_no_factory", &pt);
    const webota_partition_t *s[16];
    assert_int_equal(webota_pt_ota_slots(&pt, s), 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_ptr_equal(s[i], webota_pt_ota_slot(&pt, i));
        assert_ptr_equal(webota_pt_next_update(&pt, s[i]), s[(i + 1) % 4]);
    }
}

/* ota_0, ota_2, ota_5 listed out of order: gaps are skipped, the app's count
 * stops at the first gap, the bootloader's counts every OTA app. */
static void slot_gaps(void **state)
{
    (void)state;
    fill_entries(&pt, 4);
    static const uint8_t sub[4] = {0x15, 0x10, 0x12, 0x00};
    for (unsigned i = 0; i < 4; i++) {
        pt.part[i].type = WEBOTA_PT_TYPE_APP;
        pt.part[i].subtype = sub[i];
    }
    const webota_partition_t *s[16];
    assert_int_equal(webota_pt_ota_slots(&pt, s), 3);
    assert_ptr_equal(s[0], &pt.part[1]);
    assert_ptr_equal(s[1], &pt.part[2]);
    assert_ptr_equal(s[2], &pt.part[0]);
    assert_int_equal(webota_pt_app_count_boot(&pt), 3);
    assert_int_equal(webota_pt_app_count_app(&pt), 1);
    assert_ptr_equal(webota_pt_next_update(&pt, &pt.part[3]), &pt.part[1]); /* factory -> ota_0 */
    assert_ptr_equal(webota_pt_next_update(&pt, &pt.part[1]), &pt.part[2]); /* ota_0 -> ota_2 */
    assert_ptr_equal(webota_pt_next_update(&pt, &pt.part[2]), &pt.part[0]); /* ota_2 -> ota_5 */
    assert_ptr_equal(webota_pt_next_update(&pt, &pt.part[0]), &pt.part[1]); /* last -> first */
    /* ota_1 absent: the app count is 1 even though 3 slots exist */
    pt.part[2].subtype = 0x11;
    assert_int_equal(webota_pt_app_count_app(&pt), 2);
    /* a duplicate subtype: look-ups take the first, the bootloader counts both */
    pt.part[2].subtype = 0x10;
    assert_int_equal(webota_pt_app_count_boot(&pt), 3);
    assert_ptr_equal(webota_pt_ota_slot(&pt, 0), &pt.part[1]);
    assert_int_equal(webota_pt_ota_slots(&pt, s), 2);
}

static void slot_index(void **state)
{
    (void)state;
    webota_partition_t p;
    memset(&p, 0, sizeof(p));
    assert_int_equal(webota_pt_slot_index(&p), -1);
    p.subtype = 0x20;
    assert_int_equal(webota_pt_slot_index(&p), -2);
    p.subtype = 0x10;
    assert_int_equal(webota_pt_slot_index(&p), 0);
    p.subtype = 0x1F;
    assert_int_equal(webota_pt_slot_index(&p), 15);
    p.subtype = 0x30;
    assert_int_equal(webota_pt_slot_index(&p), -3);
    p.type = 1;
    p.subtype = 0x10;
    assert_int_equal(webota_pt_slot_index(&p), -3);
    assert_int_equal(webota_pt_slot_index(NULL), -3);
}

static void builtins(void **state)
{
    (void)state;
    static const struct {
        const char *name, *vector;
    } b[] = {{"singleapp", "builtin_singleapp"}, {"two-ota", "builtin_two_ota"}};
    for (size_t i = 0; i < 2; i++) {
        char rel[128];
        size_t len;
        snprintf(rel, sizeof(rel), "parttable/%s.bin", b[i].vector);
        uint8_t *bin = tu_read_vector(rel, &len);
        uint8_t out[WEBOTA_PT_MAX_LEN];
        assert_int_equal(webota_pt_builtin(b[i].name, &pt), WEBOTA_OK);
        assert_int_equal(webota_pt_build(&pt, true, out), WEBOTA_OK);
        assert_memory_equal(out, bin, len);
        free(bin);
    }
    assert_int_equal(webota_pt_builtin("two-ota-large", &pt), WEBOTA_OK);
    assert_int_equal(pt.count, 5);
    assert_null(webota_pt_factory(&pt));
    assert_int_equal(webota_pt_otadata(&pt)->offset, 0xF000);
    assert_int_equal(webota_pt_ota_slot(&pt, 0)->offset, 0x20000);
    assert_int_equal(webota_pt_ota_slot(&pt, 0)->size, 1700 * 1024);
    assert_int_equal(webota_pt_ota_slot(&pt, 1)->offset, 0x1D0000);
    assert_int_equal(webota_pt_builtin("three-ota", &pt), WEBOTA_ERR_NOT_FOUND);
    assert_int_equal(webota_pt_builtin(NULL, &pt), WEBOTA_ERR_NOT_FOUND);
    assert_int_equal(webota_pt_builtin("two-ota", NULL), WEBOTA_ERR_ARG);
    assert_non_null(webota_pt_builtin_csv("singleapp"));
    assert_null(webota_pt_builtin_csv("x"));
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(webota_pt_type_name(0), "app");
    assert_string_equal(webota_pt_type_name(3), "partition_table");
    assert_null(webota_pt_type_name(0x40));
    assert_string_equal(webota_pt_subtype_name(0, 0x1F), "ota_15");
    assert_string_equal(webota_pt_subtype_name(0, 0x31), "tee_1");
    assert_string_equal(webota_pt_subtype_name(1, 0x83), "littlefs");
    assert_string_equal(webota_pt_subtype_name(1, 0x90), "tee_ota");
    assert_string_equal(webota_pt_subtype_name(2, 2), "recovery");
    assert_string_equal(webota_pt_subtype_name(3, 1), "ota");
    assert_null(webota_pt_subtype_name(1, 0x99));
    assert_null(webota_pt_subtype_name(0x40, 0));
}

static void to_csv_edges(void **state)
{
    (void)state;
    fill_entries(&pt, 2);
    pt.part[0].size = 0; /* the tool prints 0 as "0M" */
    pt.part[1].size = 0x1234;
    pt.part[1].flags = 0xFFFFFFFFu; /* unknown bits are dropped */
    pt.part[1].type = 0x40;
    memcpy(pt.part[1].label, "0123456789abcdef", 17);
    char out[512];
    size_t n;
    assert_int_equal(webota_pt_to_csv(&pt, out, sizeof(out), &n), WEBOTA_OK);
    assert_string_equal(out, "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n"
                             "p0,data,fat,0x10000,0M,\n"
                             "0123456789abcdef,64,129,0x11000,0x1234,encrypted:readonly\n");
    assert_int_equal(n, strlen(out));
    size_t need = n;
    assert_int_equal(webota_pt_to_csv(&pt, out, need, &n), WEBOTA_ERR_NO_SPACE);
    assert_int_equal(n, need);
    assert_int_equal(strlen(out), need - 1);
    assert_int_equal(webota_pt_to_csv(&pt, out, need + 1, &n), WEBOTA_OK);
    assert_int_equal(webota_pt_to_csv(&pt, NULL, 0, &n), WEBOTA_ERR_NO_SPACE);
    assert_int_equal(n, need);
    assert_int_equal(webota_pt_to_csv(NULL, out, sizeof(out), &n), WEBOTA_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_vectors_roundtrip),
        cmocka_unit_test(layout_two_ota),
        cmocka_unit_test(flags_vector),
        cmocka_unit_test(sixteen_char_label),
        cmocka_unit_test(invalid_bin_vectors),
        cmocka_unit_test(md5_required),
        cmocka_unit_test(entry_limits),
        cmocka_unit_test(empty_tables),
        cmocka_unit_test(second_md5),
        cmocka_unit_test(device_leniency),
        cmocka_unit_test(out_of_flash),
        cmocka_unit_test(md5_row_layout),
        cmocka_unit_test(lookups),
        cmocka_unit_test(otadata_last_wins),
        cmocka_unit_test(next_update_rule),
        cmocka_unit_test(slot_gaps),
        cmocka_unit_test(slot_index),
        cmocka_unit_test(builtins),
        cmocka_unit_test(names),
        cmocka_unit_test(to_csv_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
