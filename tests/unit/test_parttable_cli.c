/* `webota parttable gen|dump` against the gen_esp32part vectors, through the
 * built CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#define VEC WEBOTA_VECTORS "/parttable/"

static void expect_file_equals(const char *a, const char *b)
{
    size_t la, lb;
    uint8_t *da = tu_read_file(a, &la), *db = tu_read_file(b, &lb);
    assert_non_null(da);
    assert_non_null(db);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    free(da);
    free(db);
}

static const struct {
    const char *name, *opts;
} VALID[] = {
    {"builtin_singleapp", "--flash-size 2MB"},
    {"builtin_two_ota", "--flash-size 4MB"},
    {"ota4_no_factory", "--flash-size 8MB"},
    {"data_subtypes", "--flash-size 4MB"},
    {"flags", "--flash-size=4MB"},
    {"custom_types", "--flash-size 4MB"},
    {"table_at_0x9000", "--offset 0x9000 --flash-size 4MB"},
    {"no_md5", "--disable-md5sum --flash-size 4MB"},
};

static void gen_and_dump_vectors(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir();
    for (size_t i = 0; i < sizeof(VALID) / sizeof(VALID[0]); i++) {
        char out[1024], ref[1024];
        snprintf(out, sizeof(out), "%s/%s.bin", dir, VALID[i].name);
        assert_int_equal(tu_runf(NULL, "'%s' parttable gen %s '" VEC "%s.csv' '%s'", WEBOTA_BIN, VALID[i].opts,
                             VALID[i].name, out),
                         0);
        snprintf(ref, sizeof(ref), VEC "%s.bin", VALID[i].name);
        expect_file_equals(out, ref);
        /* the tool's binary -> CSV output also regenerates the binary */
        assert_int_equal(tu_runf(NULL, "'%s' parttable gen %s '" VEC "%s.roundtrip.csv' '%s'", WEBOTA_BIN,
                             VALID[i].opts, VALID[i].name, out),
                         0);
        expect_file_equals(out, ref);
        char csv[1024];
        snprintf(csv, sizeof(csv), "%s/%s.csv", dir, VALID[i].name);
        assert_int_equal(tu_runf(NULL, "'%s' parttable dump '%s' > '%s'", WEBOTA_BIN, ref, csv), 0);
        snprintf(ref, sizeof(ref), VEC "%s.roundtrip.csv", VALID[i].name);
        expect_file_equals(csv, ref);
    }
}

static void gen_to_stdout(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/stdout.bin", tu_tmpdir());
    assert_int_equal(tu_runf(NULL, "'%s' parttable gen '" VEC "builtin_two_ota.csv' - > '%s'", WEBOTA_BIN, path), 0);
    expect_file_equals(path, VEC "builtin_two_ota.bin");
}

static const struct {
    const char *file, *opts, *message;
} INVALID[] = {
    {"overlap", "", "CSV Error at line 2: Partitions overlap. Partition sets offset 0xe000. Previous partition ends 0xf000"},
    {"misaligned_app", "", "Partition factory invalid: Offset 0x18000 is not aligned to 0x10000"},
    {"duplicate_name", "", "Partition names must be unique"},
    {"two_otadata", "", "Found multiple otadata partitions."},
    {"otadata_size", "", "otadata partition must have size = 0x2000"},
    {"too_big_for_flash", "--flash-size 2MB",
     "Partitions tables occupies 3.1MB of flash (3211264 bytes) which does not fit in configured flash size 2MB"},
    {"unknown_flag", "", "Error at line 3 (partition 'factory'): CSV flag column contains unknown flag 'secure'"},
    {"readonly_otadata", "", "'otadata' partition of type 1 and subtype 0 is always read-write and cannot be read-only"},
    {"small_nvs_rw", "", "must be flagged as 'readonly' (the size of read/write NVS has to be at least 0x3000)"},
};

static void gen_invalid_vectors(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir();
    for (size_t i = 0; i < sizeof(INVALID) / sizeof(INVALID[0]); i++) {
        char *out = NULL, path[1024];
        snprintf(path, sizeof(path), "%s/invalid-%s.bin", dir, INVALID[i].file);
        int rc = tu_runf(&out, "'%s' parttable gen %s '" VEC "invalid/%s.csv' '%s' 2>&1", WEBOTA_BIN, INVALID[i].opts,
                     INVALID[i].file, path);
        if (rc != 1 || strstr(out, INVALID[i].message) == NULL) {
            fail_msg("%s: rc %d, output: %s", INVALID[i].file, rc, out);
        }
        size_t len;
        uint8_t *none = tu_read_file(path, &len);
        assert_null(none); /* nothing written */
        free(out);
    }
}

static const struct {
    const char *file, *message;
} INVALID_BIN[] = {
    {"bad_md5.bin", "MD5 entry at slot 6 does not match the MD5 of bytes 0x0..0xc0"},
    {"entry_changed_md5_stale.bin", "MD5 entry at slot 6 does not match the MD5 of bytes 0x0..0xc0"},
    {"bad_magic_entry2.bin", "slot 2 (offset 0x40) starts with aa51"},
    {"no_end_marker.bin", "no end marker in the 0xC00-byte table area"},
    {"truncated_mid_entry.bin", "the data ends at 0x50, before an end-of-table marker"},
    {"truncated_no_end_marker.bin", "the data ends at 0xe0, before an end-of-table marker"},
};

static void dump_invalid_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(INVALID_BIN) / sizeof(INVALID_BIN[0]); i++) {
        char *out = NULL;
        int rc = tu_runf(&out, "'%s' parttable dump '" VEC "invalid-bin/%s' 2>&1", WEBOTA_BIN, INVALID_BIN[i].file);
        if (rc != 1 || strstr(out, INVALID_BIN[i].message) == NULL) {
            fail_msg("%s: rc %d, output: %s", INVALID_BIN[i].file, rc, out);
        }
        free(out);
        rc = tu_runf(&out, "'%s' parttable dump --json '" VEC "invalid-bin/%s' 2>/dev/null", WEBOTA_BIN,
                 INVALID_BIN[i].file);
        assert_int_equal(rc, 1);
        assert_string_equal(out, "");
        free(out);
    }
}

static void dump_json(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "'%s' parttable dump --json '" VEC "flags.bin'", WEBOTA_BIN), 0);
    assert_string_equal(out, "[{\"label\":\"nvs\",\"type\":1,\"subtype\":2,\"offset\":36864,\"size\":24576,\"flags\":0},"
                             "{\"label\":\"ro_nvs\",\"type\":1,\"subtype\":2,\"offset\":61440,\"size\":8192,\"flags\":2},"
                             "{\"label\":\"phy_init\",\"type\":1,\"subtype\":1,\"offset\":69632,\"size\":4096,\"flags\":0},"
                             "{\"label\":\"factory\",\"type\":0,\"subtype\":0,\"offset\":131072,\"size\":1048576,\"flags\":1},"
                             "{\"label\":\"fw_cfg\",\"type\":1,\"subtype\":130,\"offset\":1179648,\"size\":131072,\"flags\":2},"
                             "{\"label\":\"secrets\",\"type\":1,\"subtype\":4,\"offset\":1310720,\"size\":4096,\"flags\":3}]\n");
    free(out);
}

/* A whole flash image: the table is read at 0x8000, or at --offset. */
static void dump_flash_image(void **state)
{
    (void)state;
    size_t len;
    uint8_t *table = tu_read_vector("parttable/table_at_0x9000.bin", &len);
    size_t size = 0x20000;
    uint8_t *img = malloc(size);
    memset(img, 0xFF, size);
    memcpy(img + 0x9000, table, len);
    char path[1024];
    snprintf(path, sizeof(path), "%s/flash.img", tu_tmpdir());
    tu_write_file(path, img, size);
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "'%s' parttable dump --offset 0x9000 '%s'", WEBOTA_BIN, path), 0);
    size_t rlen;
    char *ref = (char *)tu_read_vector("parttable/table_at_0x9000.roundtrip.csv", &rlen);
    assert_string_equal(out, ref);
    free(out);
    /* at the default offset there is only erased flash */
    assert_int_equal(tu_runf(&out, "'%s' parttable dump '%s' 2>&1", WEBOTA_BIN, path), 1);
    assert_non_null(strstr(out, "partition table has no entries"));
    free(out);
    assert_int_equal(tu_runf(&out, "'%s' parttable dump --offset 0x40000 '%s' 2>&1", WEBOTA_BIN, path), 1);
    assert_non_null(strstr(out, "no partition table at 0x40000"));
    free(out);
    free(ref);
    free(img);
    free(table);
}

static void gen_environment(void **state)
{
    (void)state;
    char csv[1024], bin[1024];
    snprintf(csv, sizeof(csv), "%s/env.csv", tu_tmpdir());
    snprintf(bin, sizeof(bin), "%s/env.bin", tu_tmpdir());
    const char *text = "nvs, data, nvs, , $WEBOTA_T_NVS\nfactory, app, factory, , ${WEBOTA_T_APP}\n";
    tu_write_file(csv, text, strlen(text));
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "WEBOTA_T_NVS=0x4000 WEBOTA_T_APP=1M '%s' parttable gen '%s' '%s' && '%s' parttable dump '%s'",
                         WEBOTA_BIN, csv, bin, WEBOTA_BIN, bin),
                     0);
    assert_non_null(strstr(out, "nvs,data,nvs,0x9000,16K,\nfactory,app,factory,0x10000,1M,\n"));
    free(out);
    const char *unknown = "$WEBOTA_T_UNSET_VARIABLE, data, nvs, , 0x4000\n";
    tu_write_file(csv, unknown, strlen(unknown));
    assert_int_equal(tu_runf(&out, "'%s' parttable gen '%s' '%s' 2>&1", WEBOTA_BIN, csv, bin), 1);
    assert_non_null(strstr(out, "unknown variable 'WEBOTA_T_UNSET_VARIABLE'"));
    free(out);
}

static void secure_option(void **state)
{
    (void)state;
    char csv[1024], bin[1024];
    snprintf(csv, sizeof(csv), "%s/secure.csv", tu_tmpdir());
    snprintf(bin, sizeof(bin), "%s/secure.bin", tu_tmpdir());
    const char *text = "factory, app, factory, , 0x18000\n";
    tu_write_file(csv, text, strlen(text));
    char *out = NULL;
    assert_int_equal(tu_runf(NULL, "'%s' parttable gen --secure v2 '%s' '%s'", WEBOTA_BIN, csv, bin), 0);
    assert_int_equal(tu_runf(&out, "'%s' parttable gen --secure v1 '%s' '%s' 2>&1", WEBOTA_BIN, csv, bin), 1);
    assert_non_null(strstr(out, "Size 0x18000 is not aligned to 0x10000"));
    free(out);
}

static void usage_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "parttable",
        "parttable frobnicate",
        "parttable gen",
        "parttable gen only-one.csv",
        "parttable gen a.csv b.bin c",
        "parttable gen --bogus a.csv b.bin",
        "parttable gen --secure v3 a.csv b.bin",
        "parttable gen --offset zz a.csv b.bin",
        "parttable gen --flash-size 0 a.csv b.bin",
        "parttable gen a.csv b.bin --offset",
        "parttable dump",
        "parttable dump --json",
        "parttable dump a.bin b.bin",
        "parttable dump --bogus a.bin",
        "parttable dump --offset -1 a.bin",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *out = NULL;
        int rc = tu_runf(&out, "'%s' %s 2>&1", WEBOTA_BIN, bad[i]);
        if (rc != 2 || out[0] == 0) {
            fail_msg("'%s': rc %d (want 2), output '%s'", bad[i], rc, out);
        }
        free(out);
    }
    static const char *const help[] = {"parttable --help", "parttable gen --help", "parttable dump --help"};
    for (size_t i = 0; i < 3; i++) {
        char *out = NULL;
        assert_int_equal(tu_runf(&out, "'%s' %s", WEBOTA_BIN, help[i]), 0);
        assert_non_null(strstr(out, "usage: webota parttable"));
        free(out);
    }
    /* missing input files and a binary given to gen are invalid input (1) */
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "'%s' parttable gen /nonexistent/x.csv /tmp/x.bin 2>&1", WEBOTA_BIN), 1);
    free(out);
    assert_int_equal(tu_runf(&out, "'%s' parttable dump /nonexistent/x.bin 2>&1", WEBOTA_BIN), 1);
    free(out);
    assert_int_equal(tu_runf(&out, "'%s' parttable gen '" VEC "flags.bin' /tmp/x.bin 2>&1", WEBOTA_BIN), 1);
    assert_non_null(strstr(out, "is a binary partition table"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gen_and_dump_vectors), cmocka_unit_test(gen_to_stdout),
        cmocka_unit_test(gen_invalid_vectors),  cmocka_unit_test(dump_invalid_vectors),
        cmocka_unit_test(dump_json),            cmocka_unit_test(dump_flash_image),
        cmocka_unit_test(gen_environment),      cmocka_unit_test(secure_option),
        cmocka_unit_test(usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
