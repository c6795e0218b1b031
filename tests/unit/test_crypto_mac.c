/* HMAC-SHA-256, PBKDF2-HMAC-SHA-256 and random bytes of the crypto seam
 * (src/crypto/crypto_mac.c) against published vectors (RFC 4231, RFC 7914), and
 * the password verifiers and login macs built on them (src/core/api_auth.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "webota/api.h"
#include "webota/crypto.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", d[i]);
    }
}

static void hmac_rfc4231(void **state)
{
    (void)state;
    uint8_t d[32];
    char s[65];
    /* test case 2 */
    assert_int_equal(webota_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d), WEBOTA_OK);
    hex(d, 32, s);
    assert_string_equal(s, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* test case 6: a 131-byte key (longer than a block: hashed first) */
    uint8_t key[131];
    memset(key, 0xaa, sizeof(key));
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    assert_int_equal(webota_hmac_sha256(key, sizeof(key), msg, strlen(msg), d), WEBOTA_OK);
    hex(d, 32, s);
    assert_string_equal(s, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    assert_int_equal(webota_hmac_sha256(NULL, 3, "x", 1, d), WEBOTA_ERR_ARG);
    assert_int_equal(webota_hmac_sha256("k", 1, NULL, 1, d), WEBOTA_ERR_ARG);
}

static void pbkdf2_rfc7914(void **state)
{
    (void)state;
    uint8_t d[32];
    char s[65];
    assert_int_equal(webota_pbkdf2_sha256("passwd", 6, "salt", 4, 1, d), WEBOTA_OK);
    hex(d, 32, s);
    assert_string_equal(s, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
    assert_int_equal(webota_pbkdf2_sha256("Password", 8, "NaCl", 4, 80000, d), WEBOTA_OK);
    hex(d, 32, s);
    assert_string_equal(s, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56");
    assert_int_equal(webota_pbkdf2_sha256("p", 1, "s", 1, 0, d), WEBOTA_ERR_ARG);
}

static void random_bytes(void **state)
{
    (void)state;
    uint8_t a[16], b[16];
    assert_int_equal(webota_random(a, sizeof(a)), WEBOTA_OK);
    assert_int_equal(webota_random(b, sizeof(b)), WEBOTA_OK);
    assert_memory_not_equal(a, b, sizeof(a)); /* 2^-128 to fail by chance */
}

static void verifiers(void **state)
{
    (void)state;
    uint8_t salt[16];
    for (int i = 0; i < 16; i++) {
        salt[i] = (uint8_t)i;
    }
    webota_auth_verifier_t v, w;
    assert_int_equal(webota_auth_verifier_make("s3cret", 6, salt, 1000, &v), WEBOTA_OK);
    char s[65], text[WEBOTA_AUTH_VERIFIER_MAX];
    hex(v.key, 32, s);
    /* hashlib.pbkdf2_hmac('sha256', b's3cret', bytes(range(16)), 1000) */
    assert_string_equal(s, "33a78c377ca7b6590fa1b215cc970fba516076f108ecb68af58ec95d86021701");
    assert_int_equal(webota_auth_verifier_format(&v, text, sizeof(text)), WEBOTA_OK);
    assert_string_equal(text, "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
                              "33a78c377ca7b6590fa1b215cc970fba516076f108ecb68af58ec95d86021701");
    assert_int_equal(webota_auth_verifier_format(&v, text, 20), WEBOTA_ERR_NO_SPACE);
    assert_int_equal(webota_auth_verifier_format(&v, text, sizeof(text)), WEBOTA_OK);
    strcat(text, "\r\n"); /* as read from a file */
    assert_int_equal(webota_auth_verifier_parse(text, &w), WEBOTA_OK);
    assert_memory_equal(&v, &w, sizeof(v));
    static const char *const bad[] = {
        "",
        "pbkdf2-sha256$",
        "sha1$1000$000102030405060708090a0b0c0d0e0f$33a78c377ca7b6590fa1b215cc970fba516076f108ecb68af58ec95d86021701",
        "pbkdf2-sha256$0$000102030405060708090a0b0c0d0e0f$33a78c377ca7b6590fa1b215cc970fba516076f108ecb68af58ec95d86021701",
        "pbkdf2-sha256$10000000$000102030405060708090a0b0c0d0e0f$33a78c377ca7b6590fa1b215cc970fba516076f108ecb68af58ec95d86021701",
        "pbkdf2-sha256$1000$0001020304050607$33a78c377ca7b6590fa1b215cc970fba516076f108ecb68af58ec95d86021701",
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$33a78c",
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0g$33a78c377ca7b6590fa1b215cc970fba516076f108ecb68af58ec95d86021701",
        "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f",
        "pbkdf2-sha256$x$000102030405060708090a0b0c0d0e0f$33a78c377ca7b6590fa1b215cc970fba516076f108ecb68af58ec95d86021701",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(webota_auth_verifier_parse(bad[i], &w), WEBOTA_ERR_ARG);
    }
    assert_int_equal(webota_auth_verifier_make("", 0, salt, 1000, &v), WEBOTA_ERR_ARG);
    assert_int_equal(webota_auth_verifier_make("x", 1, salt, 0, &v), WEBOTA_ERR_ARG);
}

/* The login mac: HMAC-SHA-256(key, nonce "\n" method "\n" path ["?" query]). */
static void login_mac(void **state)
{
    (void)state;
    uint8_t key[32];
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)(0x20 + i);
    }
    char mac[65], mac2[65];
    assert_int_equal(webota_auth_mac(key, "00112233445566778899aabbccddeeff", "POST", "/api/update",
                                     "force=1", mac),
                     WEBOTA_OK);
    /* python3: hmac.new(bytes(range(0x20,0x40)),
     *   b'00112233445566778899aabbccddeeff\nPOST\n/api/update?force=1', 'sha256').hexdigest() */
    assert_string_equal(mac, "69746a0482e3994b2e4076d44b5f12346eecf55902664ffc999459aa62141796");
    assert_int_equal(webota_auth_mac(key, "00112233445566778899aabbccddeeff", "POST", "/api/update",
                                     NULL, mac2),
                     WEBOTA_OK);
    assert_string_not_equal(mac, mac2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hmac_rfc4231), cmocka_unit_test(pbkdf2_rfc7914),
        cmocka_unit_test(random_bytes), cmocka_unit_test(verifiers),
        cmocka_unit_test(login_mac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
