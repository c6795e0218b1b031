/* HMAC-SHA-256, PBKDF2 and random bytes on the PSA Crypto API: what the
 * password check of the HTTP API needs (src/core/api_auth.c). The key lives in
 * a volatile PSA key slot only for the duration of one call. */
#include <string.h>

#include <psa/crypto.h>

#include "webota/crypto.h"

#include "crypto_lock.h"

/* Imports key as an HMAC-SHA-256 signing key. */
static webota_err_t import_hmac_key(const void *key, size_t key_len, psa_key_id_t *id)
{
    if (webota_crypto_init() != WEBOTA_OK) {
        return WEBOTA_ERR_CRYPTO;
    }
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&attr, PSA_KEY_TYPE_HMAC);
    psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_MESSAGE);
    psa_set_key_algorithm(&attr, PSA_ALG_HMAC(PSA_ALG_SHA_256));
    /* PSA refuses empty keys; HMAC pads every key shorter than a block with
     * zeros, so an empty key and one zero byte are the same HMAC key */
    static const uint8_t zero = 0;
    if (key_len == 0) {
        key = &zero;
        key_len = 1;
    }
    psa_status_t st = psa_import_key(&attr, key, key_len, id);
    psa_reset_key_attributes(&attr);
    return st == PSA_SUCCESS ? WEBOTA_OK : WEBOTA_ERR_CRYPTO;
}

static webota_err_t mac(psa_key_id_t id, const void *msg, size_t msg_len, uint8_t out[32])
{
    size_t got = 0;
    psa_status_t st = psa_mac_compute(id, PSA_ALG_HMAC(PSA_ALG_SHA_256), msg, msg_len, out,
                                      WEBOTA_SHA256_LEN, &got);
    return st == PSA_SUCCESS && got == WEBOTA_SHA256_LEN ? WEBOTA_OK : WEBOTA_ERR_CRYPTO;
}

webota_err_t webota_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                                uint8_t out[WEBOTA_SHA256_LEN])
{
    if ((key == NULL && key_len != 0) || (msg == NULL && msg_len != 0) || out == NULL) {
        return WEBOTA_ERR_ARG;
    }
    psa_key_id_t id = 0;
    webota_crypto_key_lock();
    webota_err_t err = import_hmac_key(key, key_len, &id);
    if (err == WEBOTA_OK) {
        err = mac(id, msg, msg_len, out);
        psa_destroy_key(id);
    }
    webota_crypto_key_unlock();
    return err;
}

webota_err_t webota_pbkdf2_sha256(const void *password, size_t password_len, const void *salt,
                                  size_t salt_len, uint32_t iterations,
                                  uint8_t out[WEBOTA_SHA256_LEN])
{
    uint8_t first[64];
    if ((password == NULL && password_len != 0) || salt == NULL || iterations == 0 ||
        out == NULL || salt_len > sizeof(first) - 4) {
        return WEBOTA_ERR_ARG;
    }
    psa_key_id_t id = 0;
    webota_crypto_key_lock(); /* the key lives in the shared store for the whole derivation */
    webota_err_t err = import_hmac_key(password, password_len, &id);
    if (err != WEBOTA_OK) {
        webota_crypto_key_unlock();
        return err;
    }
    /* block 1 only: U1 = HMAC(P, S || 00 00 00 01), Ui = HMAC(P, Ui-1), T = U1 ^ ... ^ Un */
    memcpy(first, salt, salt_len);
    memcpy(first + salt_len, "\0\0\0\1", 4);
    uint8_t u[WEBOTA_SHA256_LEN];
    err = mac(id, first, salt_len + 4, u);
    memcpy(out, u, sizeof(u));
    for (uint32_t i = 1; i < iterations && err == WEBOTA_OK; i++) {
        uint8_t prev[WEBOTA_SHA256_LEN];
        memcpy(prev, u, sizeof(u));
        err = mac(id, prev, sizeof(prev), u);
        for (size_t k = 0; k < sizeof(u); k++) {
            out[k] ^= u[k];
        }
    }
    psa_destroy_key(id);
    webota_crypto_key_unlock();
    memset(u, 0, sizeof(u));
    if (err != WEBOTA_OK) {
        memset(out, 0, WEBOTA_SHA256_LEN);
    }
    return err;
}

webota_err_t webota_random(void *out, size_t len)
{
    if (out == NULL && len != 0) {
        return WEBOTA_ERR_ARG;
    }
    if (webota_crypto_init() != WEBOTA_OK) {
        return WEBOTA_ERR_CRYPTO;
    }
    webota_crypto_key_lock();
    psa_status_t st = psa_generate_random(out, len);
    webota_crypto_key_unlock();
    return st == PSA_SUCCESS ? WEBOTA_OK : WEBOTA_ERR_CRYPTO;
}
