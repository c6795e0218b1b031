/* `webota keygen`, `image sign`, `image verify` and the signature lines of
 * `image info`, end to end through the built binary on the espsecure vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "testutil.h"

#define V WEBOTA_VECTORS "/sbv2"

static const char *const schemes[] = {"rsa3072", "ecdsa256", "ecdsa384"};

/* No output may carry key material. */
static void assert_no_key_text(const char *out)
{
    assert_null(strstr(out, "BEGIN"));
    assert_null(strstr(out, "PRIVATE"));
}

static void test_keygen_sign_verify_each_scheme(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir();
    for (unsigned i = 0; i < 3; i++) {
        char *out = NULL;
        assert_int_equal(tu_runf(&out, "%s keygen --scheme %s -o %s/k_%s.pem --pub %s/k_%s.pub 2>&1", WEBOTA_BIN,
                                 schemes[i], dir, schemes[i], dir, schemes[i]),
                         0);
        assert_non_null(strstr(out, "key digest (SBv2, as burned into eFuse): "));
        assert_no_key_text(out);
        free(out);
        char path[600];
        snprintf(path, sizeof path, "%s/k_%s.pem", dir, schemes[i]);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        /* never overwritten */
        assert_int_equal(tu_runf(&out, "%s keygen --scheme %s -o %s 2>&1", WEBOTA_BIN, schemes[i], path), 1);
        assert_non_null(strstr(out, "exists already"));
        free(out);
        /* sign the webota image with it, verify with the public key */
        assert_int_equal(tu_runf(&out, "%s image sign --key %s %s/webota_esp32c3.bin -o %s/s_%s.bin 2>&1", WEBOTA_BIN,
                                 path, V, dir, schemes[i]),
                         0);
        assert_non_null(strstr(out, "signature sector at 0x5000"));
        assert_no_key_text(out);
        free(out);
        assert_int_equal(tu_runf(&out, "%s image verify --key %s/k_%s.pub %s/s_%s.bin 2>&1", WEBOTA_BIN, dir,
                                 schemes[i], dir, schemes[i]),
                         0);
        assert_non_null(strstr(out, "signature verified: block 0"));
        free(out);
        /* another key: untrusted */
        assert_int_equal(tu_runf(&out, "%s image verify --key %s/keys/p256_b.pub.pem %s/s_%s.bin 2>&1", WEBOTA_BIN, V,
                                 dir, schemes[i]),
                         1);
        assert_non_null(strstr(out, "error: untrusted_key:"));
        free(out);
    }
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "%s keygen --scheme ecdsa192 -o %s/x.pem 2>&1", WEBOTA_BIN, dir), 2);
    free(out);
    assert_int_equal(tu_runf(&out, "%s keygen -o %s/x.pem 2>&1", WEBOTA_BIN, dir), 2);
    free(out);
}

/* Deterministic ECDSA: signing the vector image again gives the committed
 * bytes, which espsecure verify_signature accepted (MANIFEST.md). */
static void test_sign_reproduces_espsecure_checked_vectors(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir();
    const char *keys[] = {"p256_a", "p384"};
    for (unsigned i = 0; i < 2; i++) {
        char *out = NULL;
        assert_int_equal(tu_runf(&out, "%s image sign --key %s/keys/%s.pem %s/webota_esp32c3.bin -o %s/r_%s.bin 2>&1",
                                 WEBOTA_BIN, V, keys[i], V, dir, keys[i]),
                         0);
        free(out);
        char rel[128], path[600];
        snprintf(rel, sizeof rel, "sbv2/webota_esp32c3.webota_signed_%s.bin", keys[i]);
        snprintf(path, sizeof path, "%s/r_%s.bin", dir, keys[i]);
        size_t a, b;
        uint8_t *want = tu_read_vector(rel, &a);
        uint8_t *got = tu_read_file(path, &b);
        assert_non_null(got);
        assert_int_equal(a, b);
        assert_memory_equal(want, got, a);
        free(want);
        free(got);
    }
    /* RSA-PSS has a random salt: a new signature, but it verifies */
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "%s image sign --key %s/keys/rsa3072.pem %s/webota_esp32c3.bin -o %s/r_rsa.bin 2>&1",
                             WEBOTA_BIN, V, V, dir),
                     0);
    free(out);
    assert_int_equal(
        tu_runf(&out, "%s image verify --key %s/keys/rsa3072.pub.pem %s/r_rsa.bin 2>&1", WEBOTA_BIN, V, dir), 0);
    free(out);
}

/* Each refusal of verify with its code, on espsecure's vectors. */
static void test_verify_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *file, *key, *code;
    } cases[] = {
        {"esp32c6_small.sbv2_p256.bin", "p256_a", NULL},
        {"webota_esp32c3.sbv2_3keys.bin", "p384", NULL},
        {"esp32c6_small.sbv2_p256.bin", "p256_b", "untrusted_key"},
        {"esp32c6_small.sbv2_p256.sig_flip.bin", "p256_a", "bad_signature"},
        {"esp32c3_small.sbv2_rsa3072.sig_flip.bin", "rsa3072", "bad_signature"},
        {"esp32c5_small.sbv2_p384.sig_flip.bin", "p384", "bad_signature"},
        {"esp32c6_small.sbv2_p256.crc_broken.bin", "p256_a", "bad_signature_sector"},
        {"esp32c6_small.sbv2_p256.truncated.bin", "p256_a", "bad_signature_sector"},
        {"webota_esp32c3.sbv2_p256.bad_version.bin", "p256_a", "bad_signature_sector"},
        {"webota_esp32c3.bin", "p256_a", "unsigned"},
        /* the image's own checks come first */
        {"esp32c6_small.sbv2_p256.payload_flip.bin", "p256_a", "bad_checksum"},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        int rc = tu_runf(&out, "%s image verify --key %s/keys/%s.pub.pem %s/%s 2>&1", WEBOTA_BIN, V, cases[i].key, V,
                         cases[i].file);
        if (cases[i].code == NULL) {
            if (rc != 0) {
                fail_msg("%s: expected verified, got %d: %s", cases[i].file, rc, out);
            }
        } else {
            char want[64];
            snprintf(want, sizeof want, "error: %s:", cases[i].code);
            if (rc != 1 || strstr(out, want) == NULL) {
                fail_msg("%s with %s: expected %s, got %d: %s", cases[i].file, cases[i].key, cases[i].code, rc, out);
            }
        }
        free(out);
    }
    /* ESP32 looks at block 0 only: the P-384 block (2) of the 3-key image is not examined */
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "%s image verify --blocks 1 --key %s/keys/p384.pub.pem %s/webota_esp32c3.sbv2_3keys.bin 2>&1",
                             WEBOTA_BIN, V, V),
                     1);
    assert_non_null(strstr(out, "untrusted_key"));
    free(out);
    /* several keys: any one suffices, the one used is named */
    assert_int_equal(tu_runf(&out, "%s image verify --key %s/keys/p256_b.pub.pem --key %s/keys/rsa3072.pem "
                                   "%s/esp32c3_small.sbv2_rsa3072.bin 2>&1",
                             WEBOTA_BIN, V, V, V),
                     0);
    assert_non_null(strstr(out, "rsa3072.pem)"));
    assert_no_key_text(out);
    free(out);
    /* usage errors */
    assert_int_equal(tu_runf(&out, "%s image verify %s/webota_esp32c3.bin 2>&1", WEBOTA_BIN, V), 2);
    free(out);
    assert_int_equal(tu_runf(&out, "%s image verify --key %s/webota_esp32c3.bin %s/webota_esp32c3.bin 2>&1",
                             WEBOTA_BIN, V, V),
                     2);
    assert_non_null(strstr(out, "not a private or public key"));
    free(out);
}

static void test_sign_refusals_and_append(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir();
    char *out = NULL;
    /* a public key cannot sign */
    assert_int_equal(tu_runf(&out, "%s image sign --key %s/keys/p256_a.pub.pem %s/webota_esp32c3.bin -o %s/x.bin 2>&1",
                             WEBOTA_BIN, V, V, dir),
                     2);
    assert_non_null(strstr(out, "not a private key"));
    free(out);
    /* P-192 keys are refused */
    assert_int_equal(tu_runf(&out, "%s image sign --key %s/keys/p192.pem %s/webota_esp32c3.bin -o %s/x.bin 2>&1",
                             WEBOTA_BIN, V, V, dir),
                     2);
    assert_non_null(strstr(out, "P-256 and P-384 only"));
    free(out);
    /* not an image */
    assert_int_equal(tu_runf(&out, "%s image sign --key %s/keys/p256_a.pem %s/verify.txt -o %s/x.bin 2>&1",
                             WEBOTA_BIN, V, V, dir),
                     1);
    assert_non_null(strstr(out, "is not a valid app image: bad_magic"));
    free(out);
    /* already signed: only with --append */
    assert_int_equal(tu_runf(&out, "%s image sign --key %s/keys/p256_b.pem %s/webota_esp32c3.sbv2_p256.bin -o %s/x.bin 2>&1",
                             WEBOTA_BIN, V, V, dir),
                     1);
    assert_non_null(strstr(out, "signed already (1 block(s))"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image sign --append --key %s/keys/p256_b.pem --key %s/keys/rsa3072.pem "
                                   "%s/webota_esp32c3.sbv2_p256.bin -o %s/three.bin 2>&1",
                             WEBOTA_BIN, V, V, V, dir),
                     0);
    assert_non_null(strstr(out, "3 block(s)"));
    free(out);
    const char *each[] = {"p256_a", "p256_b", "rsa3072"};
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(tu_runf(&out, "%s image verify --key %s/keys/%s.pub.pem %s/three.bin 2>&1", WEBOTA_BIN, V,
                                 each[i], dir),
                         0);
        char want[32];
        snprintf(want, sizeof want, "block %u", i);
        assert_non_null(strstr(out, want));
        free(out);
    }
    /* full: a fourth block does not fit */
    assert_int_equal(tu_runf(&out, "%s image sign --append --key %s/keys/p384.pem %s/three.bin -o %s/four.bin 2>&1",
                             WEBOTA_BIN, V, dir, dir),
                     1);
    assert_non_null(strstr(out, "no room"));
    free(out);
    /* bytes after the image that are no signature sector */
    size_t n;
    uint8_t *img = tu_read_vector("sbv2/webota_esp32c3.bin", &n);
    img = realloc(img, 0x6000);
    memset(img + n, 0x00, 0x6000 - n);
    char path[600];
    snprintf(path, sizeof path, "%s/junk.bin", dir);
    tu_write_file(path, img, 0x6000);
    free(img);
    assert_int_equal(tu_runf(&out, "%s image sign --key %s/keys/p256_a.pem %s -o %s/x.bin 2>&1", WEBOTA_BIN, V, path,
                             dir),
                     1);
    assert_non_null(strstr(out, "not a signature sector"));
    free(out);
    /* at most 3 keys at once */
    assert_int_equal(tu_runf(&out, "%s image sign --key a --key b --key c --key d %s/webota_esp32c3.bin -o %s/x.bin 2>&1",
                             WEBOTA_BIN, V, dir),
                     2);
    free(out);
}

static void test_info_shows_blocks(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "%s image info %s/webota_esp32c3.sbv2_3keys.bin", WEBOTA_BIN, V), 0);
    assert_non_null(strstr(out, "Signature sector: at 0x5000, 3 block(s)\n"));
    assert_non_null(strstr(out, "Signature block 0: ecdsa256, key digest "
                                "8efe9920bf1fccab5f12c03cd4dec835b097b98d155e1a0e388f419ca282cb30, image digest valid"));
    assert_non_null(strstr(out, "Signature block 1: rsa3072, key digest "
                                "cdff11e14b95e69d470b83b4b327bce8b6506fbad9f3de882565b6107d9846bb, image digest valid"));
    assert_non_null(strstr(out, "Signature block 2: ecdsa384, key digest "
                                "2e82ea89c121bc8557ae965f524e00d6e3d459233ac1f5eadaf6988bcae2575f, image digest valid"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image info %s/esp32c6_small.sbv2_2keys.block0_crc_broken.bin", WEBOTA_BIN, V), 0);
    assert_non_null(strstr(out, "Signature block 0: invalid (CRC does not match)"));
    assert_non_null(strstr(out, "Signature block 1: ecdsa256, key digest 4e1675fc"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image info %s/esp32c6_small.sbv2_p256.pad_flip.bin", WEBOTA_BIN, V), 0);
    assert_non_null(strstr(out, "image digest invalid"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image info %s/webota_esp32c3.bin", WEBOTA_BIN, V), 0);
    assert_non_null(strstr(out, "Signature sector: none"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image info %s/esp32c6_small.sbv2_p256.truncated.bin", WEBOTA_BIN, V), 0);
    assert_non_null(strstr(out, "Signature sector: at 0x1000, 1 block(s), truncated"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s image info --json %s/esp32c5_small.sbv2_p384.bin", WEBOTA_BIN, V), 0);
    assert_non_null(strstr(out, "\"signature_sector\":4096,\"signatures\":[{\"block\":0,\"valid\":true,"
                                "\"scheme\":\"ecdsa384\",\"key_digest\":"
                                "\"2e82ea89c121bc8557ae965f524e00d6e3d459233ac1f5eadaf6988bcae2575f\","
                                "\"digest_valid\":true}]}"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen_sign_verify_each_scheme),
        cmocka_unit_test(test_sign_reproduces_espsecure_checked_vectors),
        cmocka_unit_test(test_verify_refusals),
        cmocka_unit_test(test_sign_refusals_and_append),
        cmocka_unit_test(test_info_shows_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
