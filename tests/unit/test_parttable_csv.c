/* gen_esp32part CSV rules (docs/formats.md#csv-format): every vector of
 * tests/vectors/parttable byte for byte, every invalid CSV with the tool's
 * message, and one test per rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "webota/parttable.h"

static webota_parttable_t pt;
static webota_pt_csv_error_t cerr;

static webota_pt_csv_opts_t defaults(void)
{
    webota_pt_csv_opts_t o;
    webota_pt_csv_opts_init(&o);
    return o;
}

static webota_err_t gen_opts(const char *csv, const webota_pt_csv_opts_t *o)
{
    return webota_pt_from_csv(&pt, csv, strlen(csv), o, &cerr);
}

static webota_err_t gen(const char *csv)
{
    webota_pt_csv_opts_t o = defaults();
    return gen_opts(csv, &o);
}

static void expect_error(const char *csv, webota_err_t err, unsigned line, const char *needle)
{
    webota_err_t got = gen(csv);
    if (got != err || cerr.line != line || strstr(cerr.message, needle) == NULL) {
        fail_msg("CSV <<%s>>: got %s line %u \"%s\"; want %s line %u containing \"%s\"", csv,
                 webota_err_name(got), cerr.line, cerr.message, webota_err_name(err), line, needle);
    }
    assert_int_equal(cerr.err, err);
    assert_int_equal(pt.count, 0);
}

typedef struct {
    const char *name;
    uint32_t offset, flash;
    bool md5;
} vec_t;

static const vec_t VECTORS[] = {
    {"builtin_singleapp", 0x8000, 2, true}, {"builtin_two_ota", 0x8000, 4, true},
    {"ota4_no_factory", 0x8000, 8, true},   {"data_subtypes", 0x8000, 4, true},
    {"flags", 0x8000, 4, true},             {"custom_types", 0x8000, 4, true},
    {"table_at_0x9000", 0x9000, 4, true},   {"no_md5", 0x8000, 4, false},
};

/* CSV -> binary equals the tool's, and the tool's binary -> CSV output
 * converts back to the same binary. */
static void valid_vectors(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof(VECTORS) / sizeof(VECTORS[0]); v++) {
        const char *suffix[2] = {".csv", ".roundtrip.csv"};
        char rel[128];
        size_t blen;
        snprintf(rel, sizeof(rel), "parttable/%s.bin", VECTORS[v].name);
        uint8_t *bin = tu_read_vector(rel, &blen);
        for (int s = 0; s < 2; s++) {
            size_t clen;
            snprintf(rel, sizeof(rel), "parttable/%s%s", VECTORS[v].name, suffix[s]);
            char *csv = (char *)tu_read_vector(rel, &clen);
            webota_pt_csv_opts_t o = defaults();
            o.table_offset = VECTORS[v].offset;
            o.flash_size = VECTORS[v].flash * 1024 * 1024;
            o.md5 = VECTORS[v].md5;
            webota_err_t err = webota_pt_from_csv(&pt, csv, clen, &o, &cerr);
            if (err != WEBOTA_OK) {
                fail_msg("%s: %s", rel, cerr.message);
            }
            uint8_t out[WEBOTA_PT_MAX_LEN];
            assert_int_equal(webota_pt_build(&pt, o.md5, out), WEBOTA_OK);
            assert_memory_equal(out, bin, blen);
            free(csv);
        }
        free(bin);
    }
}

typedef struct {
    const char *file;
    uint32_t flash_mb;
    webota_err_t err;
    unsigned line;
    const char *message; /* the tool's message, as in invalid/stderr.txt */
} invalid_t;

static const invalid_t INVALID[] = {
    {"overlap", 0, WEBOTA_ERR_CSV_OVERLAP, 2,
     "CSV Error at line 2: Partitions overlap. Partition sets offset 0xe000. Previous partition ends 0xf000"},
    {"misaligned_app", 0, WEBOTA_ERR_CSV_ALIGN, 3,
     "Partition factory invalid: Offset 0x18000 is not aligned to 0x10000"},
    {"duplicate_name", 0, WEBOTA_ERR_CSV_DUP_NAME, 5, "Partition names must be unique"},
    {"two_otadata", 0, WEBOTA_ERR_CSV_OTADATA, 3,
     "Found multiple otadata partitions. Only one partition can be defined with type=\"data\"(1) and subtype=\"ota\"(0)."},
    {"otadata_size", 0, WEBOTA_ERR_CSV_OTADATA, 2, "otadata partition must have size = 0x2000"},
    {"too_big_for_flash", 2, WEBOTA_ERR_CSV_FLASH_SIZE, 6,
     "Partitions tables occupies 3.1MB of flash (3211264 bytes) which does not fit in configured flash size 2MB"},
    {"unknown_flag", 0, WEBOTA_ERR_CSV_FLAG, 3, "CSV flag column contains unknown flag 'secure'"},
    {"readonly_otadata", 0, WEBOTA_ERR_CSV_READONLY, 2,
     "Partition otadata invalid: 'otadata' partition of type 1 and subtype 0 is always read-write and cannot be read-only"},
    {"small_nvs_rw", 0, WEBOTA_ERR_CSV_NVS_SIZE, 1,
     "Partition nvs invalid: 'nvs' partition of type 1 and subtype 2 of this size (0x2000) must be flagged as 'readonly' (the size of read/write NVS has to be at least 0x3000)"},
};

static void invalid_vectors(void **state)
{
    (void)state;
    size_t slen;
    char *stderr_txt = (char *)tu_read_vector("parttable/invalid/stderr.txt", &slen);
    for (size_t i = 0; i < sizeof(INVALID) / sizeof(INVALID[0]); i++) {
        char rel[128];
        size_t clen;
        snprintf(rel, sizeof(rel), "parttable/invalid/%s.csv", INVALID[i].file);
        char *csv = (char *)tu_read_vector(rel, &clen);
        webota_pt_csv_opts_t o = defaults();
        o.flash_size = INVALID[i].flash_mb * 1024 * 1024;
        webota_err_t err = webota_pt_from_csv(&pt, csv, clen, &o, &cerr);
        if (err != INVALID[i].err || cerr.line != INVALID[i].line ||
            strstr(cerr.message, INVALID[i].message) == NULL) {
            fail_msg("%s: got %s line %u \"%s\"", rel, webota_err_name(err), cerr.line, cerr.message);
        }
        /* the expected text really is the tool's */
        assert_non_null(strstr(stderr_txt, INVALID[i].message));
        free(csv);
    }
    free(stderr_txt);
}

static void messages_name_line_and_partition(void **state)
{
    (void)state;
    expect_error("nvs, data, nvs, , 0x6000,\nfactory, app, factory, , 1M, secure\n", WEBOTA_ERR_CSV_FLAG,
                 2, "Error at line 2 (partition 'factory'): CSV flag column contains unknown flag 'secure'");
    expect_error("a, data, fat, 0x9000, 0x4000\nb, data, fat, 0xa000, 0x1000\n", WEBOTA_ERR_CSV_OVERLAP, 2,
                 "CSV Error at line 2: Partitions overlap. Partition sets offset 0xa000. Previous partition ends 0xd000");
    expect_error("a, data, fat, , 0x4000\n\nstore, data, fat, , 4K\nstore, data, fat, , 4K\n",
                 WEBOTA_ERR_CSV_DUP_NAME, 4, "'store' at line 3 is used again at line 4");
}

static void keywords_and_numbers(void **state)
{
    (void)state;
    /* case-insensitive keywords, numeric types/subtypes, k/K/m/M suffixes (also
     * after hex, and repeated), Python int() forms */
    assert_int_equal(gen("a, DATA, NVS, , 0x10k\n"
                         "b, 1, 0x81, 0x20000, 1_000_000\n"
                         "c, App, OTA_3, , 1m\n"
                         "d, 0x40, 255, , 4K\n"
                         "e, 64, 0b1, 0o34000000, 0X1000\n"
                         "f, data, 0x40, +0x40000000, 4k\n"),
                     WEBOTA_OK);
    assert_int_equal(pt.count, 6);
    assert_int_equal(pt.part[0].type, 1);
    assert_int_equal(pt.part[0].subtype, 2);
    assert_int_equal(pt.part[0].size, 0x4000);
    assert_int_equal(pt.part[1].subtype, 0x81);
    assert_int_equal(pt.part[1].size, 1000000);
    assert_int_equal(pt.part[2].subtype, 0x13);
    assert_int_equal(pt.part[2].offset, 0x120000); /* after 0x20000+1000000, 64K aligned */
    assert_int_equal(pt.part[3].type, 0x40);
    assert_int_equal(pt.part[3].subtype, 255);
    assert_int_equal(pt.part[4].subtype, 1);
    assert_int_equal(pt.part[4].offset, 034000000);
    assert_int_equal(pt.part[5].offset, 0x40000000);
    assert_int_equal(gen("a, data, fat, , 1kk\n"), WEBOTA_OK);
    assert_int_equal(pt.part[0].size, 1024 * 1024);
    assert_int_equal(gen("a, data, fat, 0_0x9000, 4k\n"), WEBOTA_ERR_CSV_NUMBER);
    assert_int_equal(gen("a, data, fat, 0x_9000, 4k\n"), WEBOTA_OK);
    assert_int_equal(pt.part[0].offset, 0x9000);
    /* the tool's parse_int quirks: "0" and "00" but not "007"; suffix on a keyword */
    assert_int_equal(gen("a, data, fat, , 00\n"), WEBOTA_OK);
    assert_int_equal(pt.part[0].size, 0);
    expect_error("a, data, fat, , 007\n", WEBOTA_ERR_CSV_NUMBER, 1, "Invalid field value 007");
    expect_error("a, data, fat, , 1_\n", WEBOTA_ERR_CSV_NUMBER, 1, "Invalid field value 1_");
    expect_error("a, data, fat, , 1__0\n", WEBOTA_ERR_CSV_NUMBER, 1, "Invalid field value 1__0");
    expect_error("a, data, fat, , 0x\n", WEBOTA_ERR_CSV_NUMBER, 1, "Invalid field value 0x");
    expect_error("a, data, fat, , k\n", WEBOTA_ERR_CSV_NUMBER, 1, "Invalid field value ");
    expect_error("a, data, fat, , 0x1g\n", WEBOTA_ERR_CSV_NUMBER, 1, "Invalid field value 0x1g");
    expect_error("a, data, fat, zz, 4K\n", WEBOTA_ERR_CSV_NUMBER, 1, "Invalid field value zz");
    assert_int_equal(gen("a, appk, factory, , 64K\n"), WEBOTA_OK); /* app * 1024 = 0 */
    assert_int_equal(pt.part[0].type, 0);
    expect_error("a, application, factory, , 1M\n", WEBOTA_ERR_CSV_TYPE, 1,
                 "Value 'application' is not valid. Known keywords: bootloader, partition_table, app, data");
    expect_error("a, , factory, , 1M\n", WEBOTA_ERR_CSV_TYPE, 1, "Field 'type' can't be left empty.");
    expect_error("a, app, , , 1M\n", WEBOTA_ERR_CSV_SUBTYPE, 1, "App partition cannot have an empty subtype");
    expect_error("a, app, ota_16, , 1M\n", WEBOTA_ERR_CSV_SUBTYPE, 1, "Value 'ota_16' is not valid. Known keywords: factory, test, ota_0");
    expect_error("a, 0x40, nvs, , 4K\n", WEBOTA_ERR_CSV_SUBTYPE, 1, "Invalid field value nvs");
    expect_error("a, data, fat, , \n", WEBOTA_ERR_CSV_SIZE, 1, "Size field can't be empty");
    expect_error("a, data, fat\n", WEBOTA_ERR_CSV_SIZE, 1, "Size field can't be empty");
    expect_error("a, data, fat, , 99999999999999999999999\n", WEBOTA_ERR_CSV_NUMBER, 1, "out of range");
    expect_error("a, data, fat, , 0x1000000000000kkkkk\n", WEBOTA_ERR_CSV_NUMBER, 1, "out of range");
}

static void empty_data_subtype_and_fields(void **state)
{
    (void)state;
    /* missing trailing columns, extra columns ignored, tabs and Unicode
     * spaces stripped */
    assert_int_equal(gen("blob,\tdata, , , 8K\n"
                         "x, data, fat, , 4K, , ignored, columns\n"
                         "\xc2\xa0y\xe3\x80\x80, data, fat, , 4K\n"),
                     WEBOTA_OK);
    assert_int_equal(pt.part[0].subtype, WEBOTA_PT_SUBTYPE_DATA_UNDEFINED);
    assert_string_equal(pt.part[2].label, "y");
}

static void flags(void **state)
{
    (void)state;
    assert_int_equal(gen("a, data, fat, , 4K, encrypted\n"
                         "b, data, fat, , 4K, readonly\n"
                         "c, data, fat, , 4K, readonly:encrypted\n"
                         "d, data, fat, , 4K, encrypted::readonly:\n"),
                     WEBOTA_OK);
    assert_int_equal(pt.part[0].flags, 1);
    assert_int_equal(pt.part[1].flags, 2);
    assert_int_equal(pt.part[2].flags, 3);
    assert_int_equal(pt.part[3].flags, 3);
    /* each flag is taken exactly as written */
    expect_error("a, data, fat, , 4K, encrypted : readonly\n", WEBOTA_ERR_CSV_FLAG, 1, "unknown flag 'encrypted '");
    expect_error("a, data, fat, , 4K, Encrypted\n", WEBOTA_ERR_CSV_FLAG, 1, "unknown flag 'Encrypted'");
    expect_error("a, data, fat, , 4K, # note\n", WEBOTA_ERR_CSV_FLAG, 1, "unknown flag '# note'");
}

/* Blank offsets: cursor at table+0x1000, apps aligned to 64 KiB, others to
 * 4 KiB; explicit offsets move the cursor; negative sizes name an end. */
static void auto_placement(void **state)
{
    (void)state;
    assert_int_equal(gen("# comment\n"
                         "   # indented comment\n"
                         "\n"
                         "a, data, nvs, , 0x3000\n"
                         "b, app, factory, , 0x1000\n"
                         "c, data, fat, , 0x1800\n"
                         "d, data, fat, , 0x1000\n"
                         "e, data, fat, 0x40000, -0x50000\n"
                         "f, app, ota_0, , -0x100000\n"),
                     WEBOTA_OK);
    assert_int_equal(pt.part[0].offset, 0x9000);
    assert_int_equal(pt.part[1].offset, 0x10000);
    assert_int_equal(pt.part[2].offset, 0x11000);
    assert_int_equal(pt.part[3].offset, 0x13000); /* 0x12800 rounded up */
    assert_int_equal(pt.part[4].offset, 0x40000);
    assert_int_equal(pt.part[4].size, 0x10000);
    assert_int_equal(pt.part[5].offset, 0x50000);
    assert_int_equal(pt.part[5].size, 0xB0000);
    /* table at 0x10000: the first partition goes to 0x11000 */
    webota_pt_csv_opts_t o = defaults();
    o.table_offset = 0x10000;
    assert_int_equal(gen_opts("a, data, nvs, , 0x4000\nb, app, factory, , 1M\n", &o), WEBOTA_OK);
    assert_int_equal(pt.part[0].offset, 0x11000);
    assert_int_equal(pt.part[1].offset, 0x20000);
    /* first partition inside the table sector */
    expect_error("a, data, nvs, 0x8000, 0x4000\n", WEBOTA_ERR_CSV_OVERLAP, 1,
                 "CSV Error at line 1: Partitions overlap. Partition sets offset 0x8000. But partition table occupies the whole sector 0x8000. Use a free offset 0x9000 or higher.");
    expect_error("a, data, nvs, -0x1000, 0x4000\n", WEBOTA_ERR_CSV_OVERLAP, 1, "sets offset 0x-1000");
}

static void alignment(void **state)
{
    (void)state;
    expect_error("a, data, fat, 0x9800, 4K\n", WEBOTA_ERR_CSV_ALIGN, 1,
                 "Partition a invalid: Offset 0x9800 is not aligned to 0x1000");
    expect_error("a, 0x40, 0, 0x9100, 4K\n", WEBOTA_ERR_CSV_ALIGN, 1, "Offset 0x9100 is not aligned to 0x1000");
    expect_error("a, app, factory, , 0x1800\n", WEBOTA_ERR_CSV_ALIGN, 1,
                 "Partition a invalid: Size 0x1800 is not aligned to 0x1000");
    assert_int_equal(gen("a, data, fat, , 0x1801\n"), WEBOTA_OK); /* data sizes are free */
    webota_pt_csv_opts_t o = defaults();
    o.secure = 1;
    assert_int_equal(gen_opts("a, app, factory, , 0x18000\n", &o), WEBOTA_ERR_CSV_ALIGN);
    assert_non_null(strstr(cerr.message, "Size 0x18000 is not aligned to 0x10000"));
    o.secure = 2;
    assert_int_equal(gen_opts("a, app, factory, , 0x18000\n", &o), WEBOTA_OK);
}

static void readonly_and_nvs(void **state)
{
    (void)state;
    expect_error("cd, data, coredump, , 64K, readonly\n", WEBOTA_ERR_CSV_READONLY, 1,
                 "'cd' partition of type 1 and subtype 3 is always read-write and cannot be read-only");
    assert_int_equal(gen("n, data, nvs, , 0x2000, readonly\n"), WEBOTA_OK);
    assert_int_equal(gen("n, data, nvs, , 0x3000\n"), WEBOTA_OK);
    assert_int_equal(gen("f, data, fat, , 0x1000, readonly\n"), WEBOTA_OK);
}

static void otadata_rules(void **state)
{
    (void)state;
    assert_int_equal(gen("t, data, tee_ota, , 0x2000\n"), WEBOTA_OK);
    expect_error("t, data, tee_ota, , 0x2000\nu, data, 0x90, , 0x2000\n", WEBOTA_ERR_CSV_OTADATA, 2,
                 "Found multiple TEE otadata partitions. Only one partition can be defined with type=\"data\"(1) and subtype=\"tee_ota\"(0x90).");
    expect_error("t, data, tee_ota, , 0x3000\n", WEBOTA_ERR_CSV_OTADATA, 1,
                 "TEE otadata partition must have size = 0x2000");
}

/* Overlaps that survive placement (negative sizes) are caught after sorting. */
static void sorted_overlaps(void **state)
{
    (void)state;
    expect_error("a, data, fat, 0x10000, -0x9000\nb, data, fat, 0x9000, 0x8000\n", WEBOTA_ERR_CSV_OVERLAP, 1,
                 "Partition at 0x10000 overlaps 0x9000-0x10fff");
    expect_error("a, data, fat, 0x9000, -0x2000\nb, data, fat, 0x3000, 0x1000\n", WEBOTA_ERR_CSV_OVERLAP, 2,
                 "Partition offset 0x3000 is below 0x9000");
}

static void names_and_labels(void **state)
{
    (void)state;
    /* longer names are cut to 16 bytes in the binary ... */
    assert_int_equal(gen("a_very_long_partition_name, data, fat, , 4K\n"), WEBOTA_OK);
    assert_string_equal(pt.part[0].label, "a_very_long_part");
    uint8_t out[WEBOTA_PT_MAX_LEN];
    assert_int_equal(webota_pt_build(&pt, true, out), WEBOTA_OK);
    assert_memory_equal(out + 12, "a_very_long_part", 16);
    /* ... and uniqueness is judged on the whole name, as the tool does */
    assert_int_equal(gen("a_very_long_partition_x, data, fat, , 4K\na_very_long_partition_y, data, fat, , 4K\n"),
                     WEBOTA_OK);
    expect_error("a_very_long_partition_x, data, fat, , 4K\na_very_long_partition_x, data, fat, , 4K\n",
                 WEBOTA_ERR_CSV_DUP_NAME, 2, "Partition names must be unique: 'a_very_long_partition_x' at line 1");
    /* UTF-8 names are stored as bytes */
    assert_int_equal(gen("caf\xc3\xa9, data, fat, , 4K\n"), WEBOTA_OK);
    assert_string_equal(pt.part[0].label, "caf\xc3\xa9");
    /* an empty name is allowed */
    assert_int_equal(gen(", data, fat, , 4K\n"), WEBOTA_OK);
    assert_string_equal(pt.part[0].label, "");
}

static void flash_size(void **state)
{
    (void)state;
    webota_pt_csv_opts_t o = defaults();
    o.flash_size = 0x210000;
    assert_int_equal(gen_opts("a, app, factory, 0x10000, 2M\n", &o), WEBOTA_OK);
    o.flash_size = 0x20FFFF;
    assert_int_equal(gen_opts("a, app, factory, 0x10000, 2M\n", &o), WEBOTA_ERR_CSV_FLASH_SIZE);
    assert_non_null(strstr(cerr.message, "Partitions tables occupies 2.1MB of flash (2162688 bytes) which does not fit in configured flash size 2MB"));
    assert_int_equal(cerr.line, 1);
    /* the tool rounds %.1f half to even on the exact value: 0x1C0000 = 1.75 -> 1.8, 0x140000 = 1.25 -> 1.2 */
    o.flash_size = 1024 * 1024;
    assert_int_equal(gen_opts("a, app, factory, 0x10000, 0x1B0000\n", &o), WEBOTA_ERR_CSV_FLASH_SIZE);
    assert_non_null(strstr(cerr.message, "occupies 1.8MB"));
    assert_int_equal(gen_opts("a, app, factory, 0x10000, 0x130000\n", &o), WEBOTA_ERR_CSV_FLASH_SIZE);
    assert_non_null(strstr(cerr.message, "occupies 1.2MB"));
    /* the partition with the highest offset decides, not the largest end */
    o.flash_size = 0x28000; /* a ends at 0x30000, b (highest offset) at 0x20000 */
    assert_int_equal(gen_opts("a, data, fat, 0x10000, 0x20000\nb, data, fat, 0x30000, -0x20000\n", &o),
                     WEBOTA_ERR_CSV_NUMBER); /* passes the size check, fails packing -0x10000 */
    assert_non_null(strstr(cerr.message, "size 0x-10000"));
}

static void make_lines(char *buf, size_t cap, unsigned n)
{
    size_t len = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < n; i++) {
        len += (size_t)snprintf(buf + len, cap - len, "p%u, data, fat, , 4K\n", i);
    }
}

static void entry_count_limits(void **state)
{
    (void)state;
    static char csv[300 * 32];
    webota_pt_csv_opts_t o = defaults();
    make_lines(csv, sizeof(csv), 94);
    assert_int_equal(gen_opts(csv, &o), WEBOTA_OK);
    assert_int_equal(pt.count, 94);
    make_lines(csv, sizeof(csv), 95);
    assert_int_equal(gen_opts(csv, &o), WEBOTA_ERR_CSV_TOO_MANY);
    assert_non_null(strstr(cerr.message, "Binary partition table length (3072) longer than max"));
    o.md5 = false;
    assert_int_equal(gen_opts(csv, &o), WEBOTA_OK);
    assert_int_equal(pt.count, 95);
    make_lines(csv, sizeof(csv), 96);
    assert_int_equal(gen_opts(csv, &o), WEBOTA_ERR_CSV_TOO_MANY);
    assert_int_equal(cerr.line, 96);
    make_lines(csv, sizeof(csv), 250);
    assert_int_equal(gen_opts(csv, &o), WEBOTA_ERR_CSV_TOO_MANY);
    assert_int_equal(cerr.line, 96);
    /* a syntax error after the limit is still reported for its line */
    strcat(csv, "bad, data\n");
    assert_int_equal(gen_opts(csv, &o), WEBOTA_ERR_CSV_SIZE);
    assert_int_equal(cerr.line, 251);
}

/* A CSV with no partitions gives gen_esp32part's MD5-only table. */
static void no_partitions(void **state)
{
    (void)state;
    assert_int_equal(gen("# nothing\n\n"), WEBOTA_OK);
    assert_int_equal(pt.count, 0);
    assert_int_equal(gen(""), WEBOTA_OK);
    assert_int_equal(webota_pt_from_csv(&pt, NULL, 0, NULL, NULL), WEBOTA_OK);
    assert_int_equal(webota_pt_from_csv(NULL, "", 0, NULL, NULL), WEBOTA_ERR_ARG);
    assert_int_equal(webota_pt_from_csv(&pt, NULL, 1, NULL, NULL), WEBOTA_ERR_ARG);
}

/* Lines end as in Python's splitlines (\n, \r\n, \r, \v, \f, \x1c-\x1e,
 * U+0085, U+2028, U+2029), which the line numbers count. */
static void line_endings(void **state)
{
    (void)state;
    assert_int_equal(gen("a, data, fat, , 4K\r\nb, data, fat, , 4K\rc, data, fat, , 4K\x0b"
                         "d, data, fat, , 4K\x0c"
                         "e, data, fat, , 4K\x1c"
                         "f, data, fat, , 4K\xc2\x85g, data, fat, , 4K\xe2\x80\xa8h, data, fat, , 4K"),
                     WEBOTA_OK);
    assert_int_equal(pt.count, 8);
    assert_string_equal(pt.part[7].label, "h");
    expect_error("a, data, fat, , 4K\r\n\r\n\rb, data, fat, , 4X\n", WEBOTA_ERR_CSV_NUMBER, 4, "Invalid field value 4X");
}

static uint8_t *encode_utf16(const char *ascii, bool be, bool bom32, size_t *len)
{
    size_t n = strlen(ascii), unit = bom32 ? 4 : 2;
    uint8_t *out = malloc((n + 1) * unit);
    size_t k = 0;
    uint32_t bom = 0xFEFF;
    for (size_t i = 0; i <= n; i++) {
        uint32_t c = i == 0 ? bom : (uint8_t)ascii[i - 1];
        for (size_t b = 0; b < unit; b++) {
            size_t shift = be ? (unit - 1 - b) * 8 : b * 8;
            out[k++] = (uint8_t)(c >> shift);
        }
    }
    *len = k;
    return out;
}

static void byte_order_marks(void **state)
{
    (void)state;
    const char *csv = "nvs, data, nvs, , 0x4000\nfactory, app, factory, , 1M\n";
    assert_int_equal(gen(csv), WEBOTA_OK);
    uint8_t ref[WEBOTA_PT_MAX_LEN], out[WEBOTA_PT_MAX_LEN];
    assert_int_equal(webota_pt_build(&pt, true, ref), WEBOTA_OK);
    char u8[128];
    snprintf(u8, sizeof(u8), "\xef\xbb\xbf%s", csv);
    assert_int_equal(gen(u8), WEBOTA_OK);
    assert_int_equal(webota_pt_build(&pt, true, out), WEBOTA_OK);
    assert_memory_equal(out, ref, sizeof(ref));
    for (int mode = 0; mode < 4; mode++) {
        size_t len;
        uint8_t *enc = encode_utf16(csv, mode & 1, mode >= 2, &len);
        assert_int_equal(webota_pt_from_csv(&pt, (const char *)enc, len, NULL, &cerr), WEBOTA_OK);
        assert_int_equal(webota_pt_build(&pt, true, out), WEBOTA_OK);
        assert_memory_equal(out, ref, sizeof(ref));
        /* a cut code unit is a decoding error */
        assert_int_equal(webota_pt_from_csv(&pt, (const char *)enc, len - 1, NULL, &cerr), WEBOTA_ERR_CSV_SYNTAX);
        free(enc);
    }
    /* UTF-16 surrogate pair in a name, and a lone surrogate */
    static const uint8_t pair[] = {0xFF, 0xFE, 'x', 0, 0x3D, 0xD8, 0x00, 0xDE, ',', 0, 'd', 0, 'a', 0, 't', 0, 'a', 0,
                                   ',', 0, 'f', 0, 'a', 0, 't', 0, ',', 0, ',', 0, '4', 0, 'K', 0};
    assert_int_equal(webota_pt_from_csv(&pt, (const char *)pair, sizeof(pair), NULL, &cerr), WEBOTA_OK);
    assert_string_equal(pt.part[0].label, "x\xf0\x9f\x98\x80");
    uint8_t lone[sizeof(pair)];
    memcpy(lone, pair, sizeof(pair));
    lone[7] = 0x00; /* high surrogate followed by 0x0000 */
    assert_int_equal(webota_pt_from_csv(&pt, (const char *)lone, sizeof(lone), NULL, &cerr), WEBOTA_ERR_CSV_SYNTAX);
    expect_error("a, data, fat, , 4K\n# caf\xe9\n", WEBOTA_ERR_CSV_SYNTAX, 0, "CSV is not valid UTF-8 (byte offset 24)");
    expect_error("a, data, fat, , 4K\n\xed\xa0\x80\n", WEBOTA_ERR_CSV_SYNTAX, 0, "not valid UTF-8");
    expect_error("\xc0\xaf", WEBOTA_ERR_CSV_SYNTAX, 0, "not valid UTF-8");
    expect_error("\xf4\x90\x80\x80", WEBOTA_ERR_CSV_SYNTAX, 0, "not valid UTF-8");
}

static const char *test_env(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "SIZE") == 0) {
        return "0x4000";
    }
    if (strcmp(name, "APP") == 0) {
        return "app";
    }
    if (strcmp(name, "LINE") == 0) {
        return "x, data, fat, , 4K";
    }
    if (strcmp(name, "HASH") == 0) {
        return "# whole line comment";
    }
    if (strcmp(name, "DOLLAR") == 0) {
        return "$SIZE"; /* not expanded again */
    }
    return NULL;
}

static void env_expansion(void **state)
{
    (void)state;
    webota_pt_csv_opts_t o = defaults();
    o.getenv = test_env;
    assert_int_equal(gen_opts("nvs, data, nvs, , $SIZE\n"
                              "f, ${APP}, factory, , 1M\n"
                              "$LINE\n"
                              "$HASH\n"
                              "  # $UNSET in a comment\n",
                              &o),
                     WEBOTA_OK);
    assert_int_equal(pt.count, 3);
    assert_int_equal(pt.part[0].size, 0x4000);
    assert_int_equal(pt.part[1].type, 0);
    assert_string_equal(pt.part[2].label, "x");
    /* an unknown variable at the start of a line is an error ... */
    assert_int_equal(gen_opts("$UNSET, data, fat, , 4K\n", &o), WEBOTA_ERR_CSV_ENV);
    assert_non_null(strstr(cerr.message, "Error at line 1: unknown variable 'UNSET'"));
    /* ... elsewhere it stays as written */
    assert_int_equal(gen_opts("n$UNSET, data, fat, , 4K\n", &o), WEBOTA_OK);
    assert_string_equal(pt.part[0].label, "n$UNSET");
    assert_int_equal(gen_opts("n${UNSET}x, data, fat, , 4K\n", &o), WEBOTA_OK);
    assert_string_equal(pt.part[0].label, "n${UNSET}x");
    assert_int_equal(gen_opts("n$, data, fat, , 4K\nm${, data, fat, , 4K\nk$-, data, fat, , 4K\n", &o), WEBOTA_OK);
    assert_string_equal(pt.part[1].label, "m${");
    assert_int_equal(gen_opts("a, data, fat, , $DOLLAR\n", &o), WEBOTA_ERR_CSV_NUMBER);
    assert_non_null(strstr(cerr.message, "Invalid field value $SIZE"));
    assert_int_equal(gen_opts("a, data, fat, , $SIZEk\n", &o), WEBOTA_ERR_CSV_NUMBER); /* name is SIZEk */
    /* without a getenv callback every variable is unknown */
    assert_int_equal(gen("$SIZE, data, fat, , 4K\n"), WEBOTA_ERR_CSV_ENV);
    assert_int_equal(gen("$_x\n"), WEBOTA_ERR_CSV_ENV);
    assert_int_equal(gen("$1, data, fat, , 4K\n"), WEBOTA_OK); /* not a NAME start */
}

static void long_lines(void **state)
{
    (void)state;
    static char csv[4096];
    memset(csv, ' ', sizeof(csv));
    memcpy(csv, "# ", 2);
    csv[sizeof(csv) - 2] = '\n';
    csv[sizeof(csv) - 1] = 0;
    assert_int_equal(gen(csv), WEBOTA_OK); /* long comments are fine */
    memcpy(csv, "a,", 2);
    expect_error(csv, WEBOTA_ERR_CSV_SYNTAX, 1, "line is longer than 1024 bytes");
}

static void pseudo_entries(void **state)
{
    (void)state;
    expect_error("b, bootloader, primary, , \n", WEBOTA_ERR_ARG, 1,
                 "Primary bootloader offset is not defined. Please use --primary-bootloader-offset");
    webota_pt_csv_opts_t o = defaults();
    o.has_primary_bootloader = true;
    o.primary_bootloader_offset = 0x1000;
    assert_int_equal(gen_opts("bootloader, bootloader, primary, , \n"
                              "partition_table, partition_table, primary, , \n"
                              "nvs, data, nvs, , 0x4000\n",
                              &o),
                     WEBOTA_OK);
    assert_int_equal(pt.part[0].offset, 0x1000);
    assert_int_equal(pt.part[0].size, 0x7000);
    assert_int_equal(pt.part[1].offset, 0x8000);
    assert_int_equal(pt.part[1].size, 0x1000);
    assert_int_equal(pt.part[2].offset, 0x9000);
    assert_int_equal(gen_opts("r, bootloader, recovery, , \n", &o), WEBOTA_ERR_ARG);
    assert_non_null(strstr(cerr.message, "Recovery bootloader offset is not defined"));
    o.has_recovery_bootloader = true;
    o.recovery_bootloader_offset = 0x100000;
    assert_int_equal(gen_opts("r, bootloader, recovery, , \n", &o), WEBOTA_OK);
    assert_int_equal(pt.part[0].offset, 0x100000);
    assert_int_equal(pt.part[0].size, 0x7000);
    o.primary_bootloader_offset = 0x8000;
    assert_int_equal(gen_opts("n, data, nvs, , 0x4000\n", &o), WEBOTA_ERR_ARG);
    assert_non_null(strstr(cerr.message, "Primary bootloader must be below partition table"));
}

static void pack_ranges(void **state)
{
    (void)state;
    expect_error("a, 256, 0, , 4K\n", WEBOTA_ERR_CSV_NUMBER, 1, "type 0x100 does not fit in a byte");
    expect_error("a, data, 0x100, , 4K\n", WEBOTA_ERR_CSV_NUMBER, 1, "subtype 0x100 does not fit in a byte");
    expect_error("a, data, fat, 0x100000000, 4K\n", WEBOTA_ERR_CSV_NUMBER, 1, "offset 0x100000000 does not fit in 32 bits");
    expect_error("a, data, fat, , 0x100000000\n", WEBOTA_ERR_CSV_NUMBER, 1, "size 0x100000000 does not fit in 32 bits");
    expect_error("a, data, fat, 0x10000, -0x1000\n", WEBOTA_ERR_CSV_NUMBER, 1, "size 0x-f000 does not fit in 32 bits");
    assert_int_equal(gen("a, data, fat, 0xFFFFF000, 0x1000\n"), WEBOTA_OK);
}

/* webota_pt_to_csv output converts back to the same table. */
static void csv_roundtrip(void **state)
{
    (void)state;
    assert_int_equal(gen("n, data, nvs, , 0x4000\nf, app, factory, , 1M, encrypted\n"
                         "c, 0x41, 0x17, , 0x1800, readonly\nx, data, 0x55, , 0x2800\n"),
                     WEBOTA_OK);
    static webota_parttable_t copy;
    copy = pt;
    char text[2048];
    size_t n;
    assert_int_equal(webota_pt_to_csv(&copy, text, sizeof(text), &n), WEBOTA_OK);
    assert_int_equal(webota_pt_from_csv(&pt, text, n, NULL, &cerr), WEBOTA_OK);
    assert_int_equal(pt.count, copy.count);
    for (unsigned i = 0; i < pt.count; i++) {
        assert_int_equal(pt.part[i].type, copy.part[i].type);
        assert_int_equal(pt.part[i].subtype, copy.part[i].subtype);
        assert_int_equal(pt.part[i].offset, copy.part[i].offset);
        assert_int_equal(pt.part[i].size, copy.part[i].size);
        assert_int_equal(pt.part[i].flags, copy.part[i].flags);
        assert_string_equal(pt.part[i].label, copy.part[i].label);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_vectors),
        cmocka_unit_test(invalid_vectors),
        cmocka_unit_test(messages_name_line_and_partition),
        cmocka_unit_test(keywords_and_numbers),
        cmocka_unit_test(empty_data_subtype_and_fields),
        cmocka_unit_test(flags),
        cmocka_unit_test(auto_placement),
        cmocka_unit_test(alignment),
        cmocka_unit_test(readonly_and_nvs),
        cmocka_unit_test(otadata_rules),
        cmocka_unit_test(sorted_overlaps),
        cmocka_unit_test(names_and_labels),
        cmocka_unit_test(flash_size),
        cmocka_unit_test(entry_count_limits),
        cmocka_unit_test(no_partitions),
        cmocka_unit_test(line_endings),
        cmocka_unit_test(byte_order_marks),
        cmocka_unit_test(env_expansion),
        cmocka_unit_test(long_lines),
        cmocka_unit_test(pseudo_entries),
        cmocka_unit_test(pack_ranges),
        cmocka_unit_test(csv_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
