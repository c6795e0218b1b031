/* The crypto seam on the PSA Crypto API (mbedTLS 2.28 on Debian, 3.x on ESP-IDF). */
#include <string.h>

#include <psa/crypto.h>

#include "webota/crypto.h"

#include "crypto_lock.h"

_Static_assert(sizeof(psa_hash_operation_t) <= WEBOTA_HASH_CTX_SIZE,
               "WEBOTA_HASH_CTX_SIZE too small for psa_hash_operation_t");

static psa_hash_operation_t *op_of(webota_hash_t *h)
{
    return (psa_hash_operation_t *)(void *)h->opaque.bytes;
}

static const psa_hash_operation_t *cop_of(const webota_hash_t *h)
{
    return (const psa_hash_operation_t *)(const void *)h->opaque.bytes;
}

/* The platform's lock (none by default): the one piece of global state the
 * port keeps, set once before threads start. */
static webota_crypto_lock_t s_lock;

void webota_crypto_set_lock(const webota_crypto_lock_t *lock)
{
    if (lock != NULL) {
        s_lock = *lock;
    } else {
        memset(&s_lock, 0, sizeof(s_lock));
    }
}

void webota_crypto_key_lock(void)
{
    if (s_lock.lock != NULL) {
        s_lock.lock(s_lock.ctx);
    }
}

void webota_crypto_key_unlock(void)
{
    if (s_lock.unlock != NULL) {
        s_lock.unlock(s_lock.ctx);
    }
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

webota_err_t webota_hash_clone(const webota_hash_t *src, webota_hash_t *dst)
{
    if (src == NULL || dst == NULL || !src->active || src == dst) {
        return WEBOTA_ERR_ARG;
    }
    memset(dst, 0, sizeof(*dst));
    psa_hash_operation_t init = PSA_HASH_OPERATION_INIT;
    *op_of(dst) = init;
    if (psa_hash_clone(cop_of(src), op_of(dst)) != PSA_SUCCESS) {
        return WEBOTA_ERR_CRYPTO;
    }
    dst->alg = src->alg;
    dst->active = 1;
    return WEBOTA_OK;
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

/* ---- signature verification ---- */

/* DER length field (the lengths here are below 64 KiB). */
static size_t der_len(uint8_t *p, size_t len)
{
    if (len < 0x80) {
        p[0] = (uint8_t)len;
        return 1;
    }
    if (len < 0x100) {
        p[0] = 0x81;
        p[1] = (uint8_t)len;
        return 2;
    }
    p[0] = 0x82;
    p[1] = (uint8_t)(len >> 8);
    p[2] = (uint8_t)len;
    return 3;
}

/* A DER INTEGER of an unsigned big-endian number (leading zeros dropped, a 0x00
 * added when the top bit is set); returns its length (p may be NULL to size). */
static size_t der_uint(uint8_t *p, const uint8_t *n, size_t len)
{
    while (len > 1 && n[0] == 0) {
        n++;
        len--;
    }
    size_t pad = (n[0] & 0x80) ? 1 : 0;
    uint8_t hdr[4];
    hdr[0] = 0x02;
    size_t h = 1 + der_len(hdr + 1, len + pad);
    if (p != NULL) {
        memcpy(p, hdr, h);
        if (pad) {
            p[h] = 0;
        }
        memcpy(p + h + pad, n, len);
    }
    return h + pad + len;
}

/* PSA imports an RSA public key as the DER RSAPublicKey SEQUENCE { n, e }. */
static size_t rsa_public_der(uint8_t *out, size_t out_size, const uint8_t *n, size_t n_len,
                             const uint8_t e[4])
{
    size_t body = der_uint(NULL, n, n_len) + der_uint(NULL, e, 4);
    uint8_t hdr[4];
    hdr[0] = 0x30;
    size_t h = 1 + der_len(hdr + 1, body);
    if (h + body > out_size) {
        return 0;
    }
    memcpy(out, hdr, h);
    size_t at = h + der_uint(out + h, n, n_len);
    return at + der_uint(out + at, e, 4);
}

webota_err_t webota_sig_verify(webota_sig_alg_t alg, const uint8_t *key, size_t key_len,
                               const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                               size_t sig_len)
{
    size_t want_key, want_hash, want_sig, bits;
    psa_key_type_t type;
    psa_algorithm_t palg;
    switch (alg) {
    case WEBOTA_SIG_ALG_RSA3072_PSS:
        want_key = 388, want_hash = 32, want_sig = 384, bits = 3072;
        type = PSA_KEY_TYPE_RSA_PUBLIC_KEY;
        palg = PSA_ALG_RSA_PSS(PSA_ALG_SHA_256);
        break;
    case WEBOTA_SIG_ALG_ECDSA_P256:
        want_key = 64, want_hash = 32, want_sig = 64, bits = 256;
        type = PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1);
        palg = PSA_ALG_ECDSA(PSA_ALG_SHA_256);
        break;
    case WEBOTA_SIG_ALG_ECDSA_P384:
        want_key = 96, want_hash = 48, want_sig = 96, bits = 384;
        type = PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1);
        palg = PSA_ALG_ECDSA(PSA_ALG_SHA_384);
        break;
    default:
        return WEBOTA_ERR_ARG;
    }
    if (key == NULL || hash == NULL || sig == NULL || key_len != want_key || hash_len != want_hash ||
        sig_len != want_sig) {
        return WEBOTA_ERR_ARG;
    }
    if (webota_crypto_init() != WEBOTA_OK) {
        return WEBOTA_ERR_CRYPTO;
    }
    /* RSA: DER of n (384 bytes + 0x00) and e, < 400 bytes; EC: 0x04 X Y. */
    uint8_t material[400];
    size_t material_len;
    if (type == PSA_KEY_TYPE_RSA_PUBLIC_KEY) {
        material_len = rsa_public_der(material, sizeof(material), key, 384, key + 384);
    } else {
        material[0] = 0x04;
        memcpy(material + 1, key, key_len);
        material_len = key_len + 1;
    }
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&attr, type);
    psa_set_key_bits(&attr, bits);
    psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_VERIFY_HASH);
    psa_set_key_algorithm(&attr, palg);
    psa_key_id_t id = 0;
    webota_crypto_key_lock();
    psa_status_t st = psa_import_key(&attr, material, material_len, &id);
    psa_reset_key_attributes(&attr);
    if (st == PSA_SUCCESS) {
        st = psa_verify_hash(id, palg, hash, hash_len, sig, sig_len);
        psa_destroy_key(id);
        webota_crypto_key_unlock();
        if (st == PSA_SUCCESS) {
            return WEBOTA_OK;
        }
        return st == PSA_ERROR_INVALID_SIGNATURE || st == PSA_ERROR_INVALID_ARGUMENT ? WEBOTA_ERR_SIG_MISMATCH
                                                                                   : WEBOTA_ERR_CRYPTO;
    }
    webota_crypto_key_unlock();
    if (st == PSA_ERROR_INVALID_ARGUMENT) {
        return WEBOTA_ERR_SIG_MISMATCH; /* not a key of this scheme (e.g. a point off the curve) */
    }
    if (st == PSA_ERROR_NOT_SUPPORTED) {
        return WEBOTA_ERR_UNSUPPORTED; /* the library was built without the scheme */
    }
    return WEBOTA_ERR_CRYPTO;
}
