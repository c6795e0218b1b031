/* `webota release publish|revoke|show|sign` on real files: what publish
 * writes (image, manifest, signature that the device's check accepts), the
 * rollout widened by publishing again, revoke, and every refusal (nothing
 * written, or nothing changed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "webota/pull.h"
#include "webota/release.h"

static char d[512];

/* fmt has one %s, replaced by arg (the cases are data, not format strings) */
static int run(char **out, const char *fmt, const char *arg)
{
    char cmd[2048];
    const char *p = strstr(fmt, "%s");
    assert_non_null(p);
    snprintf(cmd, sizeof(cmd), "%.*s%s%s", (int)(p - fmt), fmt, arg, p + 2);
    return tu_runf(out, "cd '%s' && '%s' %s 2>&1", d, WEBOTA_BIN, cmd);
}

static void read_release(const char *rel, webota_release_t *r, uint8_t **raw, size_t *len)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", d, rel);
    *raw = tu_read_file(path, len);
    assert_non_null(*raw);
    assert_int_equal(webota_release_parse((const char *)*raw, *len, r, NULL), WEBOTA_OK);
}

static bool exists(const char *rel)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", d, rel);
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
    }
    return f != NULL;
}

static void test_publish_revoke(void **state)
{
    (void)state;
    snprintf(d, sizeof(d), "%s", tu_tmpdir());
    char *out = NULL;
    assert_int_equal(run(NULL, "keygen --scheme %s -o k.pem --pub k.pub.pem", "ecdsa384"), 0);
    assert_int_equal(run(NULL, "keygen --scheme %s -o o.pem --pub o.pub.pem", "ecdsa256"), 0);
    assert_int_equal(run(NULL, "image make --chip esp32c3 --project app --version %s --size 40K -o a.bin", "2.0.1"), 0);
    assert_int_equal(run(NULL, "image make --chip esp32c3 --project app --version %s --seed 9 --size 40K -o b.bin", "2.0.1"), 0);
    assert_int_equal(run(NULL, "image make --chip esp32 --project app --version %s --no-marker -o nm.bin", "3.0"), 0);
    assert_int_equal(run(&out, "release publish --key k.pem --dir www/fw --channel beta --rollout %s a.bin", "25"), 0);
    assert_non_null(strstr(out, "rollout 25%"));
    free(out);
    webota_release_t r;
    uint8_t *raw;
    size_t len;
    read_release("www/fw/beta.json", &r, &raw, &len);
    assert_string_equal(r.project, "app");
    assert_string_equal(r.version, "2.0.1");
    assert_string_equal(r.chip, "esp32c3");
    assert_string_equal(r.channel, "beta");
    assert_string_equal(r.image, "images/app-2.0.1.bin");
    assert_int_equal(r.rollout, 25);
    assert_false(r.revoked);
    size_t il;
    char path[700];
    snprintf(path, sizeof(path), "%s/www/fw/images/app-2.0.1.bin", d);
    uint8_t *img = tu_read_file(path, &il);
    assert_non_null(img);
    uint8_t sha[32];
    assert_int_equal(webota_sha256(img, il, sha), WEBOTA_OK);
    assert_memory_equal(sha, r.sha256, 32);
    assert_int_equal(r.size, il);
    free(img);
    /* the signature verifies with the device's own check (public key digest from show) */
    assert_int_equal(run(&out, "release show --key k.pub.pem %s", "www/fw/beta.json"), 0);
    assert_non_null(strstr(out, "signature verified"));
    free(out);
    assert_int_not_equal(run(&out, "release show --key o.pub.pem %s", "www/fw/beta.json"), 0);
    assert_non_null(strstr(out, "bad_manifest_signature"));
    free(out);
    free(raw);
    /* widening: same image, another rollout */
    assert_int_equal(run(NULL, "release publish --key k.pem --dir www/fw --channel beta --rollout %s a.bin", "100"), 0);
    read_release("www/fw/beta.json", &r, &raw, &len);
    assert_int_equal(r.rollout, 100);
    free(raw);
    /* refusals: nothing changes */
    struct {
        const char *args, *arg, *msg;
        int rc;
    } bad[] = {
        {"release publish --key k.pem --dir www/fw --channel beta %s", "b.bin", "exists with other contents", 1},
        {"release publish --key k.pem --dir www/fw %s", "nm.bin", "no webota updater", 1},
        {"release publish --key k.pem --dir www/fw %s", "k.pem", "not a valid app image", 1},
        {"release publish --key k.pub.pem --dir www/fw %s", "a.bin", "private", 1},
        {"release publish --key k.pem --dir www/fw --rollout 101 %s", "a.bin", "0..100", 2},
        {"release publish --key k.pem --dir www/fw --rollout -1 %s", "a.bin", "0..100", 2},
        {"release publish --key k.pem --dir www/fw --channel ../x %s", "a.bin", "--channel", 2},
        {"release publish --dir www/fw %s", "a.bin", "required", 2},
        {"release publish --key k.pem --dir www/fw --bogus %s", "a.bin", "unknown option", 2},
        {"release revoke --key k.pem --dir www/fw --channel %s", "nochannel", "cannot", 1},
        {"release %s", "frobnicate", "unknown subcommand", 2},
        {"release sign --key k.pem %s", "a.bin", "malformed manifest", 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = run(&out, bad[i].args, bad[i].arg);
        if (rc != bad[i].rc || strstr(out, bad[i].msg) == NULL) {
            print_error("%s -> %d: %s\n", bad[i].args, rc, out);
        }
        assert_int_equal(rc, bad[i].rc);
        assert_non_null(strstr(out, bad[i].msg));
        free(out);
    }
    read_release("www/fw/beta.json", &r, &raw, &len);
    assert_int_equal(r.rollout, 100);
    free(raw);
    assert_false(exists("www/fw/stable.json"));
    /* revoke: the same release, revoked, signed again */
    assert_int_equal(run(&out, "release revoke --key k.pem --dir www/fw --channel %s", "beta"), 0);
    assert_non_null(strstr(out, "REVOKED"));
    free(out);
    read_release("www/fw/beta.json", &r, &raw, &len);
    assert_true(r.revoked);
    assert_string_equal(r.version, "2.0.1");
    free(raw);
    assert_int_equal(run(&out, "release show --key k.pub.pem %s", "www/fw/beta.json"), 0);
    assert_non_null(strstr(out, "revoked yes"));
    free(out);
    /* sign: a manifest written by other tools */
    assert_int_equal(run(NULL, "release sign --key o.pem %s", "www/fw/beta.json"), 0);
    assert_int_equal(run(&out, "release show --key o.pub.pem %s", "www/fw/beta.json"), 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_publish_revoke)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
