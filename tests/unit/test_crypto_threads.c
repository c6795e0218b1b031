/* The crypto port from several threads at once, as the simulator's fleet
 * runs it (one thread per device): with the lock the simulator installs
 * (sim_crypto_threads), 8 threads compute 20000 HMACs each, and verify a
 * P-256 Secure Boot V2 signature (and a damaged one) and draw random bytes
 * 20 times each; every answer is right.
 * Without the lock mbedTLS 2.28's shared key store is corrupted within a few
 * hundred calls (the fleet test once failed with crypto_error that way). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/crypto_lock.h"
#include "testutil.h"
#include "webota/crypto.h"
#include "webota/sigblock.h"

#define THREADS 8
#define ROUNDS 20000

/* A P-256 block of an espsecure-signed image and the digest it signs (at 4),
 * verified as a device does (webota_sig_block_verify, on a copy: it turns
 * the numbers around in place); the same block with a flipped signature bit. */
static uint8_t block[WEBOTA_SIG_BLOCK_LEN], bad_block[WEBOTA_SIG_BLOCK_LEN], mac_want[32];

static webota_err_t verify(const uint8_t *b)
{
    uint8_t copy[WEBOTA_SIG_BLOCK_LEN];
    memcpy(copy, b, sizeof(copy));
    return webota_sig_block_verify(copy, WEBOTA_SIG_SCHEME_ECDSA256, b + 4);
}

static void *worker(void *arg)
{
    unsigned *wrong = arg;
    for (int i = 0; i < ROUNDS; i++) {
        uint8_t mac[32];
        *wrong += webota_hmac_sha256("fleet", 5, "device", 6, mac) != WEBOTA_OK || memcmp(mac, mac_want, 32) != 0;
        if (i % 1000 == 0) { /* slower: fewer, for the verifier's own key imports and the RNG */
            uint8_t rnd[16];
            *wrong += verify(block) != WEBOTA_OK;
            *wrong += verify(bad_block) != WEBOTA_ERR_SIG_MISMATCH;
            *wrong += webota_random(rnd, sizeof(rnd)) != WEBOTA_OK;
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *img = tu_read_file(WEBOTA_VECTORS "/sbv2/esp32c6_small.sbv2_p256.bin", &len);
    assert_non_null(img);
    memcpy(block, img + len - WEBOTA_SIG_SECTOR_LEN, sizeof(block));
    assert_int_equal(block[0], 0xE7);
    memcpy(bad_block, block, sizeof(block));
    bad_block[110] ^= 0x01; /* in r */
    free(img);
    assert_true(sim_crypto_threads());
    assert_int_equal(verify(block), WEBOTA_OK);
    assert_int_equal(verify(bad_block), WEBOTA_ERR_SIG_MISMATCH);
    assert_int_equal(webota_hmac_sha256("fleet", 5, "device", 6, mac_want), WEBOTA_OK);
    pthread_t t[THREADS];
    unsigned wrong[THREADS] = {0};
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, worker, &wrong[i]), 0);
    }
    unsigned total = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        total += wrong[i];
    }
    assert_int_equal(total, 0);
    webota_crypto_set_lock(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_threads)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
