/* The crypto seam: streaming hashes and signature verification used by the
 * core. One implementation on mbedTLS's PSA Crypto API (src/crypto/), the same on
 * the PC and on ESP-IDF. Contexts are caller-owned opaque storage so that core
 * headers do not depend on mbedTLS headers. */
#ifndef WEBOTA_CRYPTO_H
#define WEBOTA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "webota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_SHA256_LEN 32
#define WEBOTA_SHA384_LEN 48
#define WEBOTA_MD5_LEN 16

/* Large enough for psa_hash_operation_t of mbedTLS 2.28 (232 bytes) and of
 * ESP-IDF's mbedTLS 3.x with its hardware SHA-512 context (240: id, alg and a
 * 224-byte context); a static assertion in src/crypto/crypto_psa.c checks it
 * on every build, so a larger one fails to compile instead of overflowing. */
#define WEBOTA_HASH_CTX_SIZE 256

typedef enum {
    WEBOTA_HASH_MD5,
    WEBOTA_HASH_SHA256,
    WEBOTA_HASH_SHA384,
} webota_hash_alg_t;

typedef struct {
    union {
        unsigned char bytes[WEBOTA_HASH_CTX_SIZE];
        long long align_ll;
        void *align_p;
    } opaque;
    uint8_t alg;
    uint8_t active;
} webota_hash_t;

/* Initialise the crypto library once (idempotent). */
webota_err_t webota_crypto_init(void);

/* PSA Crypto's key store and random generator are shared by the whole
 * program, and mbedTLS before 3.6 does not lock them: two threads importing
 * keys at once corrupt the store. A program that verifies signatures or
 * computes MACs from several threads at once (the simulator's fleet: one
 * thread per device) installs a lock, taken around every key operation and
 * random draw (not a recursive one: it is never taken twice). Call
 * webota_crypto_init before the threads start. NULL (the default): no lock,
 * for one thread or callers that serialise their calls already (the ESP-IDF
 * port's mutex). Hashes need none. */
typedef struct webota_crypto_lock {
    void (*lock)(void *ctx);
    void (*unlock)(void *ctx);
    void *ctx;
} webota_crypto_lock_t;
void webota_crypto_set_lock(const webota_crypto_lock_t *lock);

webota_err_t webota_hash_start(webota_hash_t *h, webota_hash_alg_t alg);
webota_err_t webota_hash_update(webota_hash_t *h, const void *data, size_t len);
/* Writes the digest (16, 32 or 48 bytes by algorithm) to out; ends the operation. */
webota_err_t webota_hash_finish(webota_hash_t *h, uint8_t *out, size_t out_size);
/* Releases an operation that will not be finished (safe on a finished one). */
void webota_hash_abort(webota_hash_t *h);

/* Copies a running operation into dst (which needs no start): both then go
 * on independently, e.g. the image checker's SHA-256 handed on to the
 * signature verifier so that the image is hashed once. */
webota_err_t webota_hash_clone(const webota_hash_t *src, webota_hash_t *dst);

/* One-shot helpers. */
webota_err_t webota_sha256(const void *data, size_t len, uint8_t out[WEBOTA_SHA256_LEN]);
webota_err_t webota_md5(const void *data, size_t len, uint8_t out[WEBOTA_MD5_LEN]);

/* Signature schemes of Secure Boot V2 that the verifier accepts. */
typedef enum {
    WEBOTA_SIG_ALG_RSA3072_PSS = 1, /* RSA-3072, PSS with SHA-256, MGF1-SHA-256, salt 32 */
    WEBOTA_SIG_ALG_ECDSA_P256 = 2,  /* ECDSA on NIST P-256 over a SHA-256 digest */
    WEBOTA_SIG_ALG_ECDSA_P384 = 3,  /* ECDSA on NIST P-384 over a SHA-384 digest */
} webota_sig_alg_t;

/* Verifies a signature over a precomputed digest. All numbers big-endian:
 *   RSA-3072: key = modulus (384 bytes) then public exponent (4 bytes), 388
 *             bytes; sig = 384 bytes; hash = 32 bytes (SHA-256).
 *   P-256:    key = X then Y (32 + 32); sig = r then s (32 + 32); hash 32.
 *   P-384:    key = X then Y (48 + 48); sig = r then s (48 + 48); hash 48.
 * Returns OK when it verifies; SIG_MISMATCH when the signature does not
 * match (or the key is no valid key of the scheme); ARG for wrong lengths;
 * CRYPTO when the library failed otherwise (out of key slots, ...). */
webota_err_t webota_sig_verify(webota_sig_alg_t alg, const uint8_t *key, size_t key_len,
                               const uint8_t *hash, size_t hash_len, const uint8_t *sig,
                               size_t sig_len);

/* HMAC-SHA-256 (PSA MAC with a volatile key; src/crypto/crypto_mac.c). */
webota_err_t webota_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                                uint8_t out[WEBOTA_SHA256_LEN]);
/* PBKDF2-HMAC-SHA-256 (RFC 8018), one 32-byte block: the password verifier's
 * key. iterations >= 1. */
webota_err_t webota_pbkdf2_sha256(const void *password, size_t password_len, const void *salt,
                                  size_t salt_len, uint32_t iterations,
                                  uint8_t out[WEBOTA_SHA256_LEN]);
/* Cryptographically secure random bytes (login nonces, salts). */
webota_err_t webota_random(void *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif
