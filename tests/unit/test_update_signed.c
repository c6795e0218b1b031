/* Signed images through the update session over the flash slot writer: with
 * trusted keys an image is activated only when a trusted block verifies; each
 * refusal (unsigned, untrusted key, signature mismatch, malformed sector) has
 * its code and message, leaves otadata and the running firmware byte for byte
 * as they were, and the device boots the old firmware. Images are made by the
 * image maker and signed by the real `webota image sign` with the espsecure
 * test keys. */
#include <stdio.h>

#include "engine_fixture.h"
#include "testutil.h"
#include "webota/crc32.h"
#include "webota/sigblock.h"

#define KEYS WEBOTA_VECTORS "/sbv2/keys"

static webota_sig_key_t key_of(const char *name, webota_sig_scheme_t scheme)
{
    char rel[128];
    size_t n;
    snprintf(rel, sizeof rel, "sbv2/keys/%s.digest.bin", name);
    uint8_t *d = tu_read_vector(rel, &n);
    assert_int_equal(n, 32);
    webota_sig_key_t k = {.scheme = (uint8_t)scheme};
    memcpy(k.digest, d, 32);
    free(d);
    return k;
}

/* fx_image signed by `webota image sign --key keys/<key>.pem` (key NULL: unsigned). */
static uint8_t *signed_image(const char *version, const char *key, size_t *len)
{
    uint8_t *img = fx_image(version, 30000, len);
    if (key == NULL) {
        return img;
    }
    char in[600], out[600];
    snprintf(in, sizeof in, "%s/in-%s.bin", tu_tmpdir(), version);
    snprintf(out, sizeof out, "%s/out-%s-%s.bin", tu_tmpdir(), version, key);
    tu_write_file(in, img, *len);
    free(img);
    char *o = NULL;
    int rc = tu_runf(&o, "%s image sign --key %s/%s.pem %s -o %s 2>&1", WEBOTA_BIN, KEYS, key, in, out);
    if (rc != 0) {
        fail_msg("image sign: %s", o);
    }
    free(o);
    img = tu_read_file(out, len);
    assert_non_null(img);
    return img;
}

static void device(fx_t *f)
{
    size_t flen;
    uint8_t *fimg = fx_image("1.0", 20000, &flen);
    fx_new(f, "two-ota", fimg, flen, true);
    free(fimg);
    assert_int_equal(fx_power_on(f), WEBOTA_OK);
}

static webota_update_policy_t policy(const webota_sig_config_t *sig)
{
    webota_update_policy_t p;
    webota_update_policy_init(&p);
    p.check_chip = true;
    p.chip = WEBOTA_CHIP_ESP32;
    p.check_chip_rev = true;
    p.chip_rev = 0;
    p.signature = sig;
    return p;
}

/* Each scheme: accepted with its key trusted (also among others), in any
 * chunking; the slot holds the image, its padding and the sector; it boots. */
static void test_signed_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        webota_sig_scheme_t scheme;
    } k[] = {{"rsa3072", WEBOTA_SIG_SCHEME_RSA3072},
             {"p256_a", WEBOTA_SIG_SCHEME_ECDSA256},
             {"p384", WEBOTA_SIG_SCHEME_ECDSA384}};
    static const size_t chunks[] = {1, 1000, 4096, 1 << 20};
    for (unsigned i = 0; i < 3; i++) {
        size_t len;
        uint8_t *img = signed_image("2.0", k[i].key, &len);
        assert_int_equal(len % 4096, 0);
        webota_sig_key_t trusted[2] = {key_of("p256_b", WEBOTA_SIG_SCHEME_ECDSA256), key_of(k[i].key, k[i].scheme)};
        webota_sig_config_t cfg = {.keys = trusted, .key_count = 2};
        for (unsigned c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            if (chunks[c] == 1 && i != 1) {
                continue; /* byte by byte once is enough */
            }
            fx_t f;
            device(&f);
            static webota_update_t u;
            webota_update_policy_t pol = policy(&cfg);
            assert_int_equal(fx_update_with(&f, &u, &pol, img, len, chunks[c], false), WEBOTA_OK);
            const webota_sig_result_t *r = webota_update_signature(&u);
            assert_non_null(r);
            assert_int_equal(r->err, WEBOTA_OK);
            assert_int_equal(r->block, 0);
            assert_int_equal(r->key, 1);
            assert_memory_equal(sim_nor_data(f.nor) + 0x110000, img, len);
            assert_int_equal(fx_power_on(&f), WEBOTA_OK);
            assert_int_equal(f.run.boot.index, 0);
            assert_string_equal(f.run.boot.desc.version, "2.0");
            fx_free(&f);
        }
        free(img);
    }
}

/* Without trusted keys signatures are not checked: signed and unsigned images
 * are accepted as before, and no signature verdict is reported. */
static void test_no_keys_no_check(void **state)
{
    (void)state;
    webota_sig_config_t empty = {0};
    const char *keys[] = {NULL, "p256_b"};
    for (unsigned i = 0; i < 2; i++) {
        size_t len;
        uint8_t *img = signed_image("2.0", keys[i], &len);
        for (unsigned j = 0; j < 2; j++) {
            fx_t f;
            device(&f);
            static webota_update_t u;
            webota_update_policy_t pol = policy(j ? &empty : NULL);
            assert_int_equal(fx_update_with(&f, &u, &pol, img, len, 4096, false), WEBOTA_OK);
            assert_null(webota_update_signature(&u));
            fx_free(&f);
        }
        free(img);
    }
}

static void put_crc(uint8_t *block)
{
    uint32_t crc = webota_crc32_le(0, block, 1196);
    for (int i = 0; i < 4; i++) {
        block[1196 + i] = (uint8_t)(crc >> (8 * i));
    }
}

/* Every refusal: code, message, offset; otadata and the running firmware
 * unchanged; the old firmware boots; force does not bypass a signature. */
static void test_refusals_leave_device_untouched(void **state)
{
    (void)state;
    webota_sig_key_t trusted = key_of("p256_a", WEBOTA_SIG_SCHEME_ECDSA256);
    webota_sig_config_t cfg = {.keys = &trusted, .key_count = 1};
    size_t slen, ulen, blen;
    uint8_t *good = signed_image("2.0", "p256_a", &slen);
    uint8_t *unsigned_img = signed_image("2.0", NULL, &ulen);
    uint8_t *other = signed_image("2.0", "p256_b", &blen);
    const uint32_t sector = (uint32_t)slen - 4096;
    unsigned cases = 0;
    for (int n = 0;; n++) {
        uint8_t *img = malloc(slen + 4096);
        memcpy(img, good, slen);
        size_t len = slen;
        bool force = false;
        webota_err_t want;
        uint32_t off = sector;
        const char *msg;
        switch (n) {
        case 0:
            memcpy(img, unsigned_img, ulen);
            len = ulen;
            want = WEBOTA_ERR_SIG_UNSIGNED;
            msg = "image is not signed and this device requires a signature (no signature sector after the image)";
            break;
        case 1: /* forced: still refused */
            memcpy(img, unsigned_img, ulen);
            len = ulen;
            force = true;
            want = WEBOTA_ERR_SIG_UNSIGNED;
            msg = NULL;
            break;
        case 2:
            memcpy(img, other, blen);
            want = WEBOTA_ERR_SIG_UNTRUSTED;
            msg = "image is not signed by a key this device trusts (block 0: key not trusted, ecdsa256 key "
                  "4e1675fcf56418eca30164fa946a37eb2c498c88fdbb512758619aabf74b5da2)";
            break;
        case 3: /* a byte of the signed 0xFF padding changed */
            img[sector - 1] ^= 0x01;
            want = WEBOTA_ERR_SIG_MISMATCH;
            msg = "signature does not match the image (block 0: image digest differs from the signed one, ecdsa256 "
                  "key 8efe9920bf1fccab5f12c03cd4dec835b097b98d155e1a0e388f419ca282cb30)";
            break;
        case 4: /* the signature changed, the block's CRC made right again */
            img[sector + 101] ^= 0x01;
            put_crc(img + sector);
            want = WEBOTA_ERR_SIG_MISMATCH;
            msg = NULL;
            break;
        case 5:
            img[sector + 1196] ^= 0x01;
            want = WEBOTA_ERR_SIG_MALFORMED;
            msg = "signature sector is malformed (block 0: CRC does not match)";
            break;
        case 6:
            len = slen - 16;
            want = WEBOTA_ERR_SIG_MALFORMED;
            off = (uint32_t)len;
            msg = NULL;
            break;
        case 7:
            memset(img + slen, 0xFF, 4096);
            len = slen + 4096;
            want = WEBOTA_ERR_SIG_MALFORMED;
            off = (uint32_t)slen;
            msg = NULL;
            break;
        default:
            want = WEBOTA_OK;
            break;
        }
        if (want == WEBOTA_OK) {
            free(img);
            break;
        }
        fx_t f;
        device(&f);
        uint8_t *before = fx_snapshot(&f);
        static webota_update_t u;
        webota_update_policy_t pol = policy(&cfg);
        webota_err_t err = fx_update_with(&f, &u, &pol, img, len, 3000, force);
        if (err != want || (msg != NULL && strncmp(webota_update_message(&u), msg, strlen(msg)) != 0)) {
            fail_msg("case %d: got %s \"%s\"", n, webota_err_name(err), webota_update_message(&u));
        }
        assert_int_equal(webota_update_error_offset(&u), off);
        sim_nor_power_on(f.nor);
        const webota_partition_t *ota0 = webota_pt_find_label(&f.pt, "ota_0");
        assert_true(fx_same_outside(before, sim_nor_data(f.nor), ota0->offset, ota0->size));
        assert_int_equal(fx_power_on(&f), WEBOTA_OK);
        assert_int_equal(f.run.boot.index, -1);
        assert_string_equal(f.run.boot.desc.version, "1.0");
        /* a good signed update still works afterwards */
        assert_int_equal(fx_update_with(&f, &u, &pol, good, slen, 4096, false), WEBOTA_OK);
        free(before);
        free(img);
        fx_free(&f);
        cases++;
    }
    printf("signed update refusals: %u cases, otadata and running firmware unchanged in each\n", cases);
    assert_int_equal(cases, 8);
    free(good);
    free(unsigned_img);
    free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_accepted),
        cmocka_unit_test(test_no_keys_no_check),
        cmocka_unit_test(test_refusals_leave_device_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
