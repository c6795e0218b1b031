/* The crypto seam against published digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "webota/crypto.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        static const char h[] = "0123456789abcdef";
        out[2 * i] = h[d[i] >> 4];
        out[2 * i + 1] = h[d[i] & 15];
    }
    out[2 * n] = 0;
}

static void sha256_abc(void **state)
{
    (void)state;
    uint8_t d[32];
    char s[65];
    assert_int_equal(webota_sha256("abc", 3, d), WEBOTA_OK);
    hex(d, 32, s);
    assert_string_equal(s, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void md5_abc(void **state)
{
    (void)state;
    uint8_t d[16];
    char s[33];
    assert_int_equal(webota_md5("abc", 3, d), WEBOTA_OK);
    hex(d, 16, s);
    assert_string_equal(s, "900150983cd24fb0d6963f7d28e17f72");
}

static void sha384_streamed(void **state)
{
    (void)state;
    webota_hash_t h;
    uint8_t d[48];
    char s[97];
    assert_int_equal(webota_hash_start(&h, WEBOTA_HASH_SHA384), WEBOTA_OK);
    assert_int_equal(webota_hash_update(&h, "a", 1), WEBOTA_OK);
    assert_int_equal(webota_hash_update(&h, "bc", 2), WEBOTA_OK);
    assert_int_equal(webota_hash_finish(&h, d, sizeof(d)), WEBOTA_OK);
    hex(d, 48, s);
    assert_string_equal(s, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                           "8086072ba1e7cc2358baeca134c825a7");
}

static void misuse_is_refused(void **state)
{
    (void)state;
    webota_hash_t h;
    uint8_t d[16];
    assert_int_equal(webota_hash_start(NULL, WEBOTA_HASH_SHA256), WEBOTA_ERR_ARG);
    assert_int_equal(webota_hash_start(&h, (webota_hash_alg_t)99), WEBOTA_ERR_ARG);
    assert_int_equal(webota_hash_start(&h, WEBOTA_HASH_SHA256), WEBOTA_OK);
    assert_int_equal(webota_hash_update(&h, NULL, 3), WEBOTA_ERR_ARG);
    assert_int_equal(webota_hash_finish(&h, d, sizeof(d)), WEBOTA_ERR_NO_SPACE);
    assert_int_equal(webota_hash_update(&h, "x", 1), WEBOTA_ERR_ARG);
    webota_hash_abort(&h);
}

static void error_names(void **state)
{
    (void)state;
    assert_string_equal(webota_err_name(WEBOTA_ERR_IMG_CHECKSUM), "bad_checksum");
    assert_string_equal(webota_strerror(WEBOTA_OK), "success");
    assert_string_equal(webota_err_name((webota_err_t)9999), "unknown");
    assert_string_equal(webota_strerror((webota_err_t)-1), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_abc),      cmocka_unit_test(md5_abc),
        cmocka_unit_test(sha384_streamed), cmocka_unit_test(misuse_is_refused),
        cmocka_unit_test(error_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
