/* Signed updates against the real simulator started with --trusted-key (two
 * keys) on 127.0.0.1 (a free port), driven by `webota push` and `webota status`:
 * an unsigned image, one signed by an untrusted key, one whose signature does
 * not match and one with a malformed sector are each refused 422 with their
 * code, otadata and the running firmware byte for byte unchanged in the flash
 * file; forcing does not skip the signature; an image signed by a trusted key
 * is installed and boots. The status reports the trusted keys. And with
 * --anti-rollback on: a confirmed firmware with a higher secure_version raises
 * the emulated eFuse counter, kept in FLASH.efuse across restarts, and an
 * image below it is refused 422 with the device's version named. */
#include "sim_proc.h"
#include "webota/crc32.h"

static int sim_start_signed(void **state)
{
    (void)state;
    static const char *const args[] = {"--trusted-key", WEBOTA_VECTORS "/sbv2/keys/p256_a.pub.pem",
                                       "--trusted-key", WEBOTA_VECTORS "/sbv2/keys/rsa3072.pem", NULL};
    return sim_start_args(args);
}

#define KEYS WEBOTA_VECTORS "/sbv2/keys"

/* The flash file's bytes outside ota_0 (0x110000..0x210000 in the two-ota layout). */
static uint8_t *flash_outside_ota0(size_t *n)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/flash.bin", dir);
    uint8_t *f = tu_read_file(path, n);
    assert_non_null(f);
    assert_true(*n >= 0x210000);
    memset(f + 0x110000, 0, 0x100000);
    return f;
}

static void sign(const char *key, const char *out)
{
    char *o = NULL;
    if (tu_runf(&o, "%s image sign --key %s/%s.pem %s -o %s 2>&1", WEBOTA_BIN, KEYS, key, good, out) != 0) {
        fail_msg("image sign: %s", o);
    }
    free(o);
}

static void test_status_names_trusted_keys(void **state)
{
    (void)state;
    find_demo_images();
    char *out = NULL;
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"signed_only\":true");
    assert_contains(out, "\"ecdsa256:8efe9920bf1fccab5f12c03cd4dec835b097b98d155e1a0e388f419ca282cb30\"");
    assert_contains(out, "\"rsa3072:cdff11e14b95e69d470b83b4b327bce8b6506fbad9f3de882565b6107d9846bb\"");
    free(out);
}

static void test_refusals_leave_flash_untouched(void **state)
{
    (void)state;
    char p_untrusted[700], p_mismatch[700], p_crc[700];
    snprintf(p_untrusted, sizeof p_untrusted, "%s/untrusted.bin", dir);
    snprintf(p_mismatch, sizeof p_mismatch, "%s/mismatch.bin", dir);
    snprintf(p_crc, sizeof p_crc, "%s/crc.bin", dir);
    sign("p256_b", p_untrusted);
    sign("p256_a", p_mismatch);
    sign("p256_a", p_crc);
    size_t n;
    uint8_t *d = tu_read_file(p_mismatch, &n);
    d[n - 4096 + 101] ^= 0x01; /* the P-256 signature (r), the block's CRC made right again */
    uint32_t crc = webota_crc32_le(0, d + n - 4096, 1196);
    for (int i = 0; i < 4; i++) {
        d[n - 4096 + 1196 + i] = (uint8_t)(crc >> (8 * i));
    }
    tu_write_file(p_mismatch, d, n);
    free(d);
    d = tu_read_file(p_crc, &n);
    d[n - 4096 + 1196] ^= 0x01; /* block 0's CRC */
    tu_write_file(p_crc, d, n);
    free(d);
    static const struct {
        const char *which, *args, *code;
    } cases[] = {
        {"good", "", "error: unsigned: "},
        {"good", "--force ", "error: unsigned: "},
        {"untrusted", "", "error: untrusted_key: "},
        {"mismatch", "", "error: bad_signature: "},
        {"crc", "", "error: bad_signature_sector: "},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t before_n, after_n;
        uint8_t *before = flash_outside_ota0(&before_n);
        const char *path = strcmp(cases[i].which, "good") == 0        ? good
                           : strcmp(cases[i].which, "untrusted") == 0 ? p_untrusted
                           : strcmp(cases[i].which, "mismatch") == 0  ? p_mismatch
                                                                      : p_crc;
        char *out, *err;
        assert_int_equal(run(&out, &err, "push %s%s %s", cases[i].args, url, path), 1);
        assert_contains(err, cases[i].code);
        free(out);
        free(err);
        /* the HTTP status itself */
        assert_int_equal(tu_runf(&out, "curl -s -m 20 -o /dev/null -w '%%{http_code}' -H 'Content-Type: "
                                       "application/octet-stream' --data-binary @'%s' '%s/api/update%s'",
                                 path, url, cases[i].args[0] ? "?force=1" : ""),
                         0);
        assert_string_equal(out, "422");
        free(out);
        uint8_t *after = flash_outside_ota0(&after_n);
        assert_int_equal(before_n, after_n);
        if (memcmp(before, after, before_n) != 0) {
            fail_msg("%s: the flash outside ota_0 changed", cases[i].which);
        }
        free(before);
        free(after);
    }
    char *out = NULL;
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"version\":\"1.0.0\"");
    assert_contains(out, "\"label\":\"factory\"");
    free(out);
}

static void test_trusted_signature_installs(void **state)
{
    (void)state;
    char p[700];
    snprintf(p, sizeof p, "%s/signed.bin", dir);
    sign("rsa3072", p);
    char *out, *err;
    assert_int_equal(run(&out, &err, "push %s %s", url, p), 0);
    assert_contains(out, "installed 1.1.0 into ota_0");
    free(out);
    free(err);
    wait_for("\"version\":\"1.1.0\"");
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"running\":{\"label\":\"ota_0\"");
    free(out);
}

static const char *const arb_args[] = {"--anti-rollback", "on", NULL};

static int sim_start_arb(void **state)
{
    (void)state;
    return sim_start_args(arb_args);
}

static void make_image(const char *name, const char *version, unsigned sv, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    char *o = NULL;
    if (tu_runf(&o, "%s image make --chip esp32 --project webota-demo --version %s --secure-version %u "
                    "--size 100000 -o %s 2>&1",
                WEBOTA_BIN, version, sv, path) != 0) {
        fail_msg("image make: %s", o);
    }
    free(o);
}

static void test_anti_rollback_counter(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL, sv2[700], sv1[700], efuse[700];
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"security_version\":0");
    free(out);
    make_image("sv2.bin", "1.3.0", 2, sv2, sizeof sv2);
    make_image("sv1.bin", "1.4.0", 1, sv1, sizeof sv1);
    assert_int_equal(run(&out, &err, "push %s %s", url, sv2), 0);
    free(out);
    free(err);
    wait_for("\"version\":\"1.3.0\""); /* its first status request confirms it */
    wait_for("\"security_version\":2");
    snprintf(efuse, sizeof efuse, "%s/flash.bin.efuse", dir);
    size_t n;
    char *text = (char *)tu_read_file(efuse, &n);
    assert_non_null(text);
    assert_true(n >= 16 && memcmp(text, "secure_version 2", 16) == 0);
    free(text);
    /* restarted on the same flash file: the counter is still 2 */
    assert_int_equal(sim_halt(), 0);
    sim_reuse_dir = true;
    assert_int_equal(sim_start_args(arb_args), 0);
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"security_version\":2");
    assert_contains(out, "\"version\":\"1.3.0\"");
    free(out);
    /* below it: refused, named */
    assert_int_equal(run(&out, &err, "push %s %s", url, sv1), 1);
    assert_contains(err, "error: secure_version_too_low: ");
    assert_contains(err, "device security version 2");
    free(out);
    free(err);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(240); /* bounded, whatever the simulator does */
    const struct CMUnitTest signed_tests[] = {
        cmocka_unit_test(test_status_names_trusted_keys),
        cmocka_unit_test(test_refusals_leave_flash_untouched),
        cmocka_unit_test(test_trusted_signature_installs),
    };
    const struct CMUnitTest arb_tests[] = {
        cmocka_unit_test(test_anti_rollback_counter),
    };
    int failed = cmocka_run_group_tests_name("signed", signed_tests, sim_start_signed, sim_stop);
    return failed + cmocka_run_group_tests_name("anti-rollback", arb_tests, sim_start_arb, sim_stop);
}
