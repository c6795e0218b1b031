/* The crypto seam on the PSA Crypto API (mbedTLS 2.28 on Debian, 3.x on ESP-IDF). */
#include <string.h>

#include <psa/crypto.h>

#include "webota/crypto.h"

_Static_assert(sizeof(psa_hash_operation_t) <= WEBOTA_HASH_CTX_SIZE,
               "WEBOTA_HASH_CTX_SIZE too small for psa_hash_operation_t");

static psa_hash_operation_t *op_of(webota_hash_t *h)
{
    return (psa_hash_operation_t *)(void *)h->opaque.bytes;
}

webota_err_t webota_crypto_init(void)
{
    return psa_crypto_init() == PSA_SUCCESS ? WEBOTA_OK : WEBOTA_ERR_CRYPTO;
}

static psa_algorithm_t psa_alg(webota_hash_alg_t alg)
{
    switch (alg) {
    case WEBOTA_HASH_MD5:
        return PSA_ALG_MD5;
    case WEBOTA_HASH_SHA256:
        return PSA_ALG_SHA_256;
    case WEBOTA_HASH_SHA384:
        return PSA_ALG_SHA_384;
    }
    return 0;
}

webota_err_t webota_hash_start(webota_hash_t *h, webota_hash_alg_t alg)
{
    if (h == NULL || psa_alg(alg) == 0) {
        return WEBOTA_ERR_ARG;
    }
    if (webota_crypto_init() != WEBOTA_OK) {
        return WEBOTA_ERR_CRYPTO;
    }
    memset(h, 0, sizeof(*h));
    psa_hash_operation_t init = PSA_HASH_OPERATION_INIT;
    *op_of(h) = init;
    if (psa_hash_setup(op_of(h), psa_alg(alg)) != PSA_SUCCESS) {
        return WEBOTA_ERR_CRYPTO;
    }
    h->alg = (uint8_t)alg;
    h->active = 1;
    return WEBOTA_OK;
}

webota_err_t webota_hash_update(webota_hash_t *h, const void *data, size_t len)
{
    if (h == NULL || !h->active || (data == NULL && len != 0)) {
        return WEBOTA_ERR_ARG;
    }
    if (len == 0) {
        return WEBOTA_OK;
    }
    return psa_hash_update(op_of(h), data, len) == PSA_SUCCESS ? WEBOTA_OK : WEBOTA_ERR_CRYPTO;
}

webota_err_t webota_hash_finish(webota_hash_t *h, uint8_t *out, size_t out_size)
{
    if (h == NULL || !h->active || out == NULL) {
        return WEBOTA_ERR_ARG;
    }
    size_t got = 0;
    psa_status_t st = psa_hash_finish(op_of(h), out, out_size, &got);
    h->active = 0;
    if (st == PSA_ERROR_BUFFER_TOO_SMALL) {
        psa_hash_abort(op_of(h));
        return WEBOTA_ERR_NO_SPACE;
    }
    return st == PSA_SUCCESS ? WEBOTA_OK : WEBOTA_ERR_CRYPTO;
}

void webota_hash_abort(webota_hash_t *h)
{
    if (h != NULL && h->active) {
        psa_hash_abort(op_of(h));
        h->active = 0;
    }
}

static webota_err_t one_shot(webota_hash_alg_t alg, const void *data, size_t len, uint8_t *out,
                             size_t out_size)
{
    webota_hash_t h;
    webota_err_t err = webota_hash_start(&h, alg);
    if (err == WEBOTA_OK) {
        err = webota_hash_update(&h, data, len);
    }
    if (err == WEBOTA_OK) {
        return webota_hash_finish(&h, out, out_size);
    }
    webota_hash_abort(&h);
    return err;
}

webota_err_t webota_sha256(const void *data, size_t len, uint8_t out[WEBOTA_SHA256_LEN])
{
    return one_shot(WEBOTA_HASH_SHA256, data, len, out, WEBOTA_SHA256_LEN);
}

webota_err_t webota_md5(const void *data, size_t len, uint8_t out[WEBOTA_MD5_LEN])
{
    return one_shot(WEBOTA_HASH_MD5, data, len, out, WEBOTA_MD5_LEN);
}
