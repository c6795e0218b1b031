/* `webota release publish|revoke|show|sign` on real files: what publish
 * writes (image, signed by the release key when it was not, manifest,
 * signature that the device's check accepts), the
 * rollout widened by publishing again, revoke, and every refusal (nothing
 * written, or nothing changed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* The bytes of d/rel (the test fails when it cannot be read). */
static uint8_t *slurp(const char *rel, size_t *len)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", d, rel);
    uint8_t *p = tu_read_file(path, len);
    assert_non_null(p);
    return p;
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

/* The image's own signature: devices require one by a key they trust (the
 * release key). publish signs an unsigned image (the published file passes
 * `webota image verify` with the key and no other; the manifest's size and
 * SHA-256 are of it), publishes one signed by the key as it is, and refuses
 * one signed by other keys only, or with a broken signature, naming the fix
 * and writing nothing. An RSA-PSS signature differs each time: publishing
 * the same unsigned image again (to widen) keeps the file signed first. */
static void test_publish_signs(void **state)
{
    (void)state;
    snprintf(d, sizeof(d), "%s/signs", tu_tmpdir());
    assert_int_equal(mkdir(d, 0755), 0);
    char *out = NULL;
    assert_int_equal(run(NULL, "keygen --scheme %s -o k.pem --pub k.pub.pem", "ecdsa256"), 0);
    assert_int_equal(run(NULL, "keygen --scheme %s -o o.pem --pub o.pub.pem", "ecdsa256"), 0);
    assert_int_equal(run(NULL, "keygen --scheme %s -o r.pem --pub r.pub.pem", "rsa3072"), 0);
    assert_int_equal(run(NULL, "image make --chip esp32 --project app --version %s --size 30000 -o u.bin", "1.0.1"), 0);
    assert_int_equal(run(NULL, "image make --chip esp32 --project app --version %s --size 30000 -o u2.bin", "1.0.2"), 0);
    assert_int_equal(run(NULL, "image make --chip esp32 --project app --version %s --size 30000 -o u3.bin", "1.0.3"), 0);
    assert_int_equal(run(NULL, "image sign --key o.pem u2.bin -o %s", "other.bin"), 0);
    assert_int_equal(run(NULL, "image sign --key k.pem u3.bin -o %s", "mine.bin"), 0);

    /* unsigned: signed with the release key */
    assert_int_equal(run(&out, "release publish --key k.pem --dir www %s", "u.bin"), 0);
    assert_non_null(strstr(out, "u.bin had no signature: signed with ecdsa256 key"));
    free(out);
    assert_int_equal(run(&out, "image verify --key k.pub.pem %s", "www/images/app-1.0.1.bin"), 0);
    assert_non_null(strstr(out, "signature verified"));
    free(out);
    assert_int_not_equal(run(&out, "image verify --key o.pub.pem %s", "www/images/app-1.0.1.bin"), 0);
    assert_non_null(strstr(out, "untrusted_key"));
    free(out);
    webota_release_t r;
    uint8_t *raw;
    size_t len, il, ul;
    char path[700];
    read_release("www/stable.json", &r, &raw, &len);
    free(raw);
    uint8_t *img = slurp("www/images/app-1.0.1.bin", &il);
    uint8_t *uimg = slurp("u.bin", &ul);
    assert_int_equal(il % 4096, 0);
    assert_true(il >= ul + WEBOTA_SIG_SECTOR_LEN);
    assert_memory_equal(img, uimg, ul); /* the image as built, then padding and the sector */
    uint8_t sha[32];
    assert_int_equal(webota_sha256(img, il, sha), WEBOTA_OK);
    assert_memory_equal(sha, r.sha256, 32);
    assert_int_equal(r.size, il);
    free(img);
    free(uimg);

    /* signed by the release key: published as it is */
    assert_int_equal(run(&out, "release publish --key k.pem --dir www --channel mine %s", "mine.bin"), 0);
    assert_null(strstr(out, "had no signature"));
    free(out);
    uint8_t *a = slurp("mine.bin", &ul);
    uint8_t *b = slurp("www/images/app-1.0.3.bin", &il);
    assert_int_equal(il, ul);
    assert_memory_equal(a, b, il);
    free(a);
    free(b);

    /* signed by another key only, or with a signature that no longer
     * matches: refused, the fix named, nothing written */
    a = slurp("mine.bin", &ul);
    b = slurp("u3.bin", &il);
    assert_int_equal(a[il], 0xFF); /* signed padding after the 30000-byte image */
    a[il] = 0x00;
    snprintf(path, sizeof(path), "%s/broken.bin", d);
    tu_write_file(path, a, ul);
    /* junk after the image where the signature sector would be */
    memset(a + ul - WEBOTA_SIG_SECTOR_LEN, 0x5A, WEBOTA_SIG_SECTOR_LEN);
    snprintf(path, sizeof(path), "%s/junk.bin", d);
    tu_write_file(path, a, ul);
    /* a signature sector cut short */
    snprintf(path, sizeof(path), "%s/cut.bin", d);
    tu_write_file(path, a, ul - 100);
    free(a);
    free(b);
    struct {
        const char *file, *code, *fix;
    } refused[] = {
        {"other.bin", "untrusted_key", "webota image sign --append --key k.pem other.bin -o SIGNED.bin"},
        {"broken.bin", "bad_signature", "webota image sign --append --key k.pem broken.bin -o SIGNED.bin"},
        {"cut.bin", "bad_signature_sector", "publish the image as built"},
        {"junk.bin", "not a signature sector", "sign the image as built"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int rc = run(&out, "release publish --key k.pem --dir www --channel x %s", refused[i].file);
        if (rc != 1 || !strstr(out, refused[i].code) || !strstr(out, refused[i].fix)) {
            print_error("%s -> %d: %s\n", refused[i].file, rc, out);
        }
        assert_int_equal(rc, 1);
        assert_non_null(strstr(out, refused[i].code));
        assert_non_null(strstr(out, refused[i].fix));
        free(out);
        assert_false(exists("www/x.json"));
        assert_false(exists("www/x.json.sig"));
        assert_false(exists("www/images/app-1.0.2.bin"));
    }
    /* the fix it names works */
    assert_int_equal(run(NULL, "image sign --append --key k.pem other.bin -o %s", "both.bin"), 0);
    assert_int_equal(run(&out, "release publish --key k.pem --dir www --channel x %s", "both.bin"), 0);
    free(out);
    assert_int_equal(run(&out, "image verify --key k.pub.pem %s", "www/images/app-1.0.2.bin"), 0);
    free(out);

    /* RSA-PSS: the same unsigned image published twice keeps its first signed copy */
    assert_int_equal(run(&out, "release publish --key r.pem --dir rsa --rollout 10 %s", "u.bin"), 0);
    assert_non_null(strstr(out, "had no signature: signed with rsa3072 key"));
    free(out);
    a = slurp("rsa/images/app-1.0.1.bin", &ul);
    assert_int_equal(run(&out, "release publish --key r.pem --dir rsa --rollout 50 %s", "u.bin"), 0);
    assert_non_null(strstr(out, "signed by this key already"));
    free(out);
    b = slurp("rsa/images/app-1.0.1.bin", &il);
    assert_int_equal(il, ul);
    assert_memory_equal(a, b, il);
    read_release("rsa/stable.json", &r, &raw, &len);
    assert_int_equal(r.rollout, 50);
    assert_int_equal(webota_sha256(b, il, sha), WEBOTA_OK);
    assert_memory_equal(sha, r.sha256, 32);
    free(raw);
    free(a);
    free(b);
    assert_int_equal(run(&out, "image verify --key r.pub.pem %s", "rsa/images/app-1.0.1.bin"), 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_publish_revoke), cmocka_unit_test(test_publish_signs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
