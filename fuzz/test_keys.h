/* The four Secure Boot V2 test keys of tests/vectors/sbv2/keys as trusted
 * keys (scheme and SBv2 key digest, the *.digest.hex files), for the fuzz
 * targets that verify signatures. Static: include once per target. */
#ifndef WEBOTA_FUZZ_TEST_KEYS_H
#define WEBOTA_FUZZ_TEST_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "webota/sigblock.h"

static const struct {
    uint8_t scheme;
    const char *hex;
} test_keys[] = {
    {WEBOTA_SIG_SCHEME_ECDSA256, "8efe9920bf1fccab5f12c03cd4dec835b097b98d155e1a0e388f419ca282cb30"},
    {WEBOTA_SIG_SCHEME_ECDSA256, "4e1675fcf56418eca30164fa946a37eb2c498c88fdbb512758619aabf74b5da2"},
    {WEBOTA_SIG_SCHEME_ECDSA384, "2e82ea89c121bc8557ae965f524e00d6e3d459233ac1f5eadaf6988bcae2575f"},
    {WEBOTA_SIG_SCHEME_RSA3072, "cdff11e14b95e69d470b83b4b327bce8b6506fbad9f3de882565b6107d9846bb"},
};
#define NTEST (sizeof(test_keys) / sizeof(test_keys[0]))

static uint8_t nibble(char c)
{
    return (uint8_t)(c <= '9' ? c - '0' : c - 'a' + 10);
}

/* Fills keys[0..NTEST) with the test keys. */
static void test_keys_load(webota_sig_key_t *keys)
{
    for (size_t i = 0; i < NTEST; i++) {
        keys[i].scheme = test_keys[i].scheme;
        for (size_t j = 0; j < 32; j++) {
            keys[i].digest[j] = (uint8_t)(nibble(test_keys[i].hex[2 * j]) << 4 | nibble(test_keys[i].hex[2 * j + 1]));
        }
    }
}

#endif
