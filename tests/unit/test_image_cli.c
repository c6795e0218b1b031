/* `webota image info|check|make` end to end through the built binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

/* Every "key: value" line and segment row of esptool's output appears, in
 * order, in ours. */
static void test_info_matches_esptool(void **state)
{
    (void)state;
    static const char *const vecs[] = {
        "esp32_app",       "esp32_small",    "esp32c3_app",   "esp32c3_app_esptool5", "esp32c3_no_elf_sha",
        "esp32c3_no_hash", "esp32c3_pad_to_4k", "esp32c3_secure_pad", "esp32c3_small", "esp32c5_small",
        "esp32c6_app",     "esp32c6_small",  "esp32s3_app",
    };
    for (unsigned i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        char rel[128], *out = NULL;
        snprintf(rel, sizeof rel, "image/%s.info.txt", vecs[i]);
        size_t n;
        char *want = (char *)tu_read_vector(rel, &n);
        assert_int_equal(tu_runf(&out, "%s image info %s/image/%s.bin", WEBOTA_BIN, WEBOTA_VECTORS, vecs[i]), 0);
        const char *cursor = out;
        unsigned compared = 0;
        for (char *line = strtok(want, "\n"); line; line = strtok(NULL, "\n")) {
            bool row = line[0] == ' ' && strstr(line, "  0x") != NULL;
            if ((!row && strstr(line, ": ") == NULL) || strncmp(line, "esptool", 7) == 0 ||
                strncmp(line, "File size", 9) == 0 || strncmp(line, "Image size", 10) == 0) {
                continue;
            }
            const char *hit = strstr(cursor, line);
            if (hit == NULL) {
                fail_msg("%s: line '%s' missing or out of order in:\n%s", vecs[i], line, out);
            }
            cursor = hit + strlen(line);
            compared++;
        }
        assert_true(compared >= 25);
        assert_non_null(strstr(out, "Verdict: valid"));
        free(want);
        free(out);
    }
}

static void test_info_json_and_invalid(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "%s image info --json %s/image/esp32c3_app.bin", WEBOTA_BIN, WEBOTA_VECTORS), 0);
    static const char *const keys[] = {
        "\"chip\":\"esp32c3\"", "\"chip_id\":5", "\"entry\":1077411840", "\"segments\":[",
        "{\"load\":1006632992,\"length\":276,\"offset\":24,\"type\":\"DROM\"}",
        "\"type\":\"PADDING\"", "\"checksum_valid\":true", "\"hash_valid\":true",
        "\"project\":\"vec-esp32c3-app\"", "\"version\":\"2.0.0-rc.1\"", "\"secure_version\":3",
        "\"idf_ver\":\"v5.5.5\"", "\"length\":65616", "\"marker\":false", "\"valid\":true",
    };
    for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strstr(out, keys[i]) == NULL) {
            fail_msg("missing %s in %s", keys[i], out);
        }
    }
    assert_null(strstr(out, "\"error\""));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image info --json %s/image/corrupt/esp32_small.sha_flip.bin", WEBOTA_BIN,
                         WEBOTA_VECTORS),
                     1);
    assert_non_null(strstr(out, "\"error\":\"bad_sha256\""));
    assert_non_null(strstr(out, "\"error_offset\":368"));
    assert_non_null(strstr(out, "\"checksum_valid\":true"));
    assert_non_null(strstr(out, "\"hash_valid\":false"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image info %s/image/corrupt/esp32_small.checksum_flip.bin", WEBOTA_BIN,
                         WEBOTA_VECTORS),
                     1);
    assert_non_null(strstr(out, "Checksum: 0xe6 (invalid - calculated e7)"));
    assert_non_null(strstr(out, "Verdict: invalid: bad_checksum: image checksum does not match at offset 367"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image info %s/image/corrupt/esp32_small.bad_magic.bin", WEBOTA_BIN,
                         WEBOTA_VECTORS),
                     1);
    assert_non_null(strstr(out, "bad_magic"));
    free(out);
    /* signed image: signature blocks reported */
    assert_int_equal(tu_runf(&out, "%s image info --json %s/sbv2/esp32c3_small.sbv2_rsa3072.bin", WEBOTA_BIN,
                         WEBOTA_VECTORS),
                     0);
    assert_non_null(strstr(out, "\"signature_blocks\":true"));
    assert_non_null(strstr(out, "\"length\":400"));
    free(out);
}

static void test_check(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "%s image check %s/image/esp32_small.bin 2>&1", WEBOTA_BIN, WEBOTA_VECTORS), 0);
    assert_non_null(strstr(out, "valid ESP32 app image"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image check --chip esp32 %s/image/corrupt/esp32_small.chipid_esp32c3.bin 2>&1",
                         WEBOTA_BIN, WEBOTA_VECTORS),
                     1);
    assert_string_equal(out, "error: wrong_chip: image is built for another chip at offset 12\n");
    free(out);
    assert_int_equal(tu_runf(&out, "%s image check --chip esp32s3 --chip-rev 1.0 %s/image/esp32s3_app.bin 2>&1",
                         WEBOTA_BIN, WEBOTA_VECTORS),
                     1);
    assert_string_equal(out, "error: chip_rev_too_high: chip revision is above the image's maximum at offset 17\n");
    free(out);
    assert_int_equal(tu_runf(&out, "%s image check --chip-rev 0.0 %s/image/esp32s3_app.bin 2>&1", WEBOTA_BIN,
                         WEBOTA_VECTORS),
                     1);
    assert_non_null(strstr(out, "chip_rev_too_low"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image check --chip esp32s3 --chip-rev 0.5 --max-size 64K %s/image/esp32s3_app.bin 2>&1",
                         WEBOTA_BIN, WEBOTA_VECTORS),
                     1);
    assert_non_null(strstr(out, "error: too_big: "));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image check --max-size 0x10050 %s/image/esp32s3_app.bin 2>&1", WEBOTA_BIN,
                         WEBOTA_VECTORS),
                     0);
    free(out);
    assert_int_equal(tu_runf(&out, "%s image check %s/image/corrupt/esp32_small.trunc_in_segment.bin 2>&1", WEBOTA_BIN,
                         WEBOTA_VECTORS),
                     1);
    assert_string_equal(out, "error: truncated: image ends before its declared contents at offset 165\n");
    free(out);
    /* usage errors */
    assert_int_equal(tu_runf(NULL, "%s image check --chip esp8266 x.bin 2>/dev/null", WEBOTA_BIN), 2);
    assert_int_equal(tu_runf(NULL, "%s image check --chip-rev 1 x.bin 2>/dev/null", WEBOTA_BIN), 2);
    assert_int_equal(tu_runf(NULL, "%s image check --max-size lots x.bin 2>/dev/null", WEBOTA_BIN), 2);
    assert_int_equal(tu_runf(NULL, "%s image check 2>/dev/null", WEBOTA_BIN), 2);
    assert_int_equal(tu_runf(NULL, "%s image check /nonexistent/file.bin 2>/dev/null", WEBOTA_BIN), 2);
    assert_int_equal(tu_runf(NULL, "%s image info --bogus x 2>/dev/null", WEBOTA_BIN), 2);
    assert_int_equal(tu_runf(NULL, "%s image frobnicate 2>/dev/null", WEBOTA_BIN), 2);
    assert_int_equal(tu_runf(NULL, "%s image 2>/dev/null", WEBOTA_BIN), 2);
    static const char *const helps[] = {"", "info ", "check ", "make "};
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(tu_runf(&out, "%s image %s--help", WEBOTA_BIN, helps[i]), 0);
        assert_non_null(strstr(out, "usage: webota image"));
        free(out);
    }
}

static void test_make(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir();
    static const char *const chips[] = {"esp32", "esp32s2", "esp32s3", "esp32c2", "esp32c3",
                                        "esp32c5", "esp32c6", "esp32c61", "esp32h2", "esp32p4"};
    char *out = NULL;
    for (unsigned i = 0; i < 10; i++) {
        assert_int_equal(tu_runf(NULL, "%s image make --chip %s --project proj-%s --version 1.%u --secure-version 4 "
                                   "--idf-ver v5.3.2 --size 150K --seed 9 -o %s/%s.bin >/dev/null",
                             WEBOTA_BIN, chips[i], chips[i], i, dir, chips[i]),
                         0);
        assert_int_equal(tu_runf(&out, "%s image check --chip %s %s/%s.bin", WEBOTA_BIN, chips[i], dir, chips[i]), 0);
        assert_non_null(strstr(out, "updater marker present"));
        free(out);
        assert_int_equal(tu_runf(&out, "%s image info --json %s/%s.bin", WEBOTA_BIN, dir, chips[i]), 0);
        assert_non_null(strstr(out, "\"secure_version\":4"));
        assert_non_null(strstr(out, "\"idf_ver\":\"v5.3.2\""));
        assert_non_null(strstr(out, "\"marker\":true"));
        assert_non_null(strstr(out, "\"file_size\":153600"));
        free(out);
    }
    assert_int_equal(tu_runf(NULL, "%s image make --chip esp32c3 --project p --version v --no-marker --no-hash -o %s/n.bin "
                               ">/dev/null",
                         WEBOTA_BIN, dir),
                     0);
    assert_int_equal(tu_runf(&out, "%s image info --json %s/n.bin", WEBOTA_BIN, dir), 0);
    assert_non_null(strstr(out, "\"marker\":false"));
    assert_non_null(strstr(out, "\"hash_appended\":false"));
    free(out);
    /* deterministic: the same options give the same file */
    assert_int_equal(tu_runf(NULL, "%s image make --chip esp32 --project proj-esp32 --version 1.0 --secure-version 4 "
                               "--idf-ver v5.3.2 --size 150K --seed 9 -o %s/again.bin >/dev/null && cmp -s %s/again.bin %s/esp32.bin",
                         WEBOTA_BIN, dir, dir, dir),
                     0);
    /* usage errors */
    assert_int_equal(tu_runf(NULL, "%s image make --chip esp32 --project p --version v 2>/dev/null", WEBOTA_BIN), 2);
    assert_int_equal(tu_runf(NULL, "%s image make --chip esp32h4 --project p --version v -o %s/x.bin 2>/dev/null",
                         WEBOTA_BIN, dir),
                     2);
    assert_int_equal(tu_runf(NULL, "%s image make --chip esp32 --project 0123456789012345678901234567890123 --version v "
                               "-o %s/x.bin 2>/dev/null",
                         WEBOTA_BIN, dir),
                     2);
    assert_int_equal(tu_runf(NULL, "%s image make --chip esp32 --project p --version v --size 20M -o %s/x.bin 2>/dev/null",
                         WEBOTA_BIN, dir),
                     2);
    assert_int_equal(tu_runf(NULL, "%s image make --chip esp32 --project p --version v --seed x -o %s/x.bin 2>/dev/null",
                         WEBOTA_BIN, dir),
                     2);
    assert_int_equal(tu_runf(NULL, "%s image make --chip esp32 --project p --version v --frob -o %s/x.bin 2>/dev/null",
                         WEBOTA_BIN, dir),
                     2);
    /* nothing was written by any of them */
    assert_int_equal(tu_runf(NULL, "test ! -e %s/x.bin", dir), 0);
    /* an output that cannot be written is a failure, not a usage error */
    assert_int_equal(tu_runf(NULL, "%s image make --chip esp32 --project p --version v -o /nonexistent/dir/x.bin 2>/dev/null",
                         WEBOTA_BIN),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_matches_esptool),
        cmocka_unit_test(test_info_json_and_invalid),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_make),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
