/* Secure Boot V2 signature sector: the 4096 bytes that `espsecure sign_data
 * --version 2` appends to an app image, and a streaming verifier for it.
 *
 * Layout (docs/signing.md): the signed data is the image (with its SHA-256)
 * padded to a multiple of 4096 bytes; the sector follows at
 * align_up(image length, 4096) and holds up to three 1216-byte blocks at
 * sector offsets 0, 1216 and 2432 (the rest is 0xFF). Each block: magic 0xE7,
 * version (2 = RSA-3072-PSS, 3 = ECDSA), the digest of the signed data, the
 * public key, the signature, a CRC-32 (zlib's, of bytes 0..1195) at 1196 and
 * 16 zero bytes. Numbers are little-endian. A key is named by its digest:
 * SHA-256 of the block's key bytes (RSA: n, e, R^2 mod n, -1/n mod 2^32, 776
 * bytes at 36; ECDSA: curve id and X, Y: 65 bytes at 36, or 97 at 52 for
 * P-384), the value ESP-IDF burns into eFuse.
 *
 * The verifier rides on an image checker (webota/image.h): it learns from it
 * where the image ends, and takes over the checker's SHA-256 at the checksum
 * byte (webota_image_tap_sha256), so the image is hashed once; only the
 * bytes after the checksum (hash, 0xFF padding) are hashed here. A SHA-384
 * pass of its own runs only when a trusted key is a P-384 key. It buffers
 * one block at a time and judges each when its last byte arrives. No malloc.
 *
 * Verdict (webota_sig_finish), as ESP-IDF judges blocks (a block is usable
 * when its magic, CRC, version and curve are right; the others are skipped):
 *   OK             a usable block whose key digest is trusted verifies: its
 *                  stored digest equals the computed one and the signature
 *                  checks out over the computed digest;
 *   SIG_UNSIGNED   the stream ends at or before the sector offset, or no
 *                  block of the sector has the magic;
 *   SIG_MALFORMED  the sector is shorter than 4096 bytes, bytes follow it,
 *                  or blocks have the magic but none is usable;
 *   SIG_MISMATCH   a usable block has a trusted key but does not verify;
 *   SIG_UNTRUSTED  usable blocks, none with a trusted key.
 * An accepted block wins over failing ones (any trusted block that verifies
 * suffices, as in ESP-IDF). P-192 blocks are usable (shown with their key
 * digest) but never trusted. */
#ifndef WEBOTA_SIGBLOCK_H
#define WEBOTA_SIGBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/crypto.h"
#include "webota/err.h"
#include "webota/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_SIG_SECTOR_LEN 4096u
#define WEBOTA_SIG_BLOCK_LEN 1216u
#define WEBOTA_SIG_BLOCKS 3u
#define WEBOTA_SIG_CRC_OFFSET 1196u /* the CRC covers bytes 0..1195 */
#define WEBOTA_SIG_MAGIC 0xE7u
#define WEBOTA_SIG_VERSION_RSA 2u
#define WEBOTA_SIG_VERSION_ECDSA 3u
#define WEBOTA_SIG_KEY_DIGEST_LEN 32u
#define WEBOTA_SIG_RSA_KEY_LEN 776u /* n, e, rinv, mdash as in the block */
#define WEBOTA_SIG_KEY_MAX_LEN WEBOTA_SIG_RSA_KEY_LEN

/* What a block (or a key) is. */
typedef enum {
    WEBOTA_SIG_SCHEME_NONE = 0,
    WEBOTA_SIG_SCHEME_RSA3072 = 1,  /* version 2: RSA-3072, PSS, SHA-256 digest */
    WEBOTA_SIG_SCHEME_ECDSA256 = 2, /* version 3, curve 2: P-256, SHA-256 digest */
    WEBOTA_SIG_SCHEME_ECDSA384 = 3, /* version 3, curve 3: P-384, SHA-384 digest */
    WEBOTA_SIG_SCHEME_ECDSA192 = 4, /* version 3, curve 1: P-192; shown, never trusted */
} webota_sig_scheme_t;

/* "rsa3072", "ecdsa256", "ecdsa384", "ecdsa192", "none" (espsecure's names). */
const char *webota_sig_scheme_name(webota_sig_scheme_t scheme);

/* A trusted key: its scheme and SBv2 key digest. */
typedef struct webota_sig_key {
    uint8_t scheme; /* webota_sig_scheme_t */
    uint8_t digest[WEBOTA_SIG_KEY_DIGEST_LEN];
} webota_sig_key_t;

/* Why a block is not usable (or not accepted). */
typedef enum {
    WEBOTA_SIG_BLOCK_EMPTY = 0,   /* no magic: no block in this slot */
    WEBOTA_SIG_BLOCK_BAD_CRC,     /* magic but the CRC does not match */
    WEBOTA_SIG_BLOCK_BAD_VERSION, /* version not 2 or 3, or an unknown digest/curve */
    WEBOTA_SIG_BLOCK_UNTRUSTED,   /* usable, key digest not trusted */
    WEBOTA_SIG_BLOCK_DIGEST_DIFFERS, /* trusted key; stored digest differs from the data's */
    WEBOTA_SIG_BLOCK_BAD_SIGNATURE,  /* trusted key; the signature does not verify */
    WEBOTA_SIG_BLOCK_VERIFIED,    /* trusted key, verified */
    WEBOTA_SIG_BLOCK_SKIPPED,     /* beyond max_blocks: not examined */
} webota_sig_block_state_t;

/* A short phrase for a block state ("CRC does not match", ...). */
const char *webota_sig_block_state_text(webota_sig_block_state_t st);

/* What the verifier found in one block slot. */
typedef struct webota_sig_block {
    uint8_t state;        /* webota_sig_block_state_t */
    uint8_t scheme;       /* webota_sig_scheme_t (usable blocks) */
    uint8_t version;      /* byte 1 as found */
    int8_t trusted_key;   /* index into the trusted keys, or -1 */
    int8_t digest_match;  /* 1 stored digest = computed, 0 differs, -1 not computed */
    uint8_t key_digest[WEBOTA_SIG_KEY_DIGEST_LEN]; /* usable blocks */
} webota_sig_block_t;

typedef struct webota_sig_config {
    const webota_sig_key_t *keys; /* trusted keys (must outlive the verifier) */
    size_t key_count;
    uint8_t max_blocks;  /* block slots examined, 1..3 (ESP32: 1); 0 = 3 */
    bool all_digests;    /* compute the SHA-256 and SHA-384 digests whatever the keys,
                            so that every block's stored digest is checked (image info) */
} webota_sig_config_t;

/* The verdict and what it is based on. */
typedef struct webota_sig_result {
    webota_err_t err;     /* OK or a SIG_* code (STATE: the image was not complete) */
    uint32_t err_offset;  /* stream offset the verdict refers to */
    uint32_t sector;      /* sector offset (0 until the image end is known) */
    int8_t block;         /* the block that verified (or that the verdict names), or -1 */
    int8_t key;           /* index of the trusted key that verified, or -1 */
    uint8_t blocks;       /* blocks with the magic */
    bool sha256_done, sha384_done;
    uint8_t sha256[WEBOTA_SHA256_LEN]; /* digest of the signed data, when computed */
    uint8_t sha384[WEBOTA_SHA384_LEN];
    webota_sig_block_t block_info[WEBOTA_SIG_BLOCKS];
} webota_sig_result_t;

/* Caller-allocated; fields private. */
typedef struct webota_sig_verifier {
    webota_image_sha_tap_t tap;   /* the checker's SHA-256, handed over at the checksum */
    webota_hash_t sha384;
    const webota_sig_config_t *cfg;
    const webota_image_status_t *img;
    webota_sig_result_t res;
    uint32_t pos;                 /* bytes fed so far */
    uint16_t block_len;           /* bytes of the current block slot buffered */
    uint8_t slot;                 /* current block slot 0..2 */
    bool need256, need384, sha384_active, extra, finished;
    uint8_t block[WEBOTA_SIG_BLOCK_LEN];
} webota_sig_verifier_t;

/* Starts a verifier on checker c, which must have been initialised and not
 * fed yet (the verifier takes over its SHA-256 at the checksum byte). cfg
 * must outlive the verifier. Feed each chunk to the checker first, then to
 * the verifier. */
webota_err_t webota_sig_init(webota_sig_verifier_t *v, const webota_sig_config_t *cfg,
                             webota_image_checker_t *c);
/* The same bytes the checker was just fed. Returns OK or CRYPTO (sticky). */
webota_err_t webota_sig_feed(webota_sig_verifier_t *v, const void *data, size_t len);
/* The verdict (see above); releases the hash operations. */
webota_err_t webota_sig_finish(webota_sig_verifier_t *v);
/* Releases the hash operations without a verdict (safe after finish). */
void webota_sig_abort(webota_sig_verifier_t *v);
/* Verdict and per-block findings (complete after finish). */
const webota_sig_result_t *webota_sig_result(const webota_sig_verifier_t *v);

/* One block in isolation (1216 bytes): its scheme and key digest, with the
 * CRC and version checks of the verifier. Returns OK, or SIG_MALFORMED with
 * *state saying why (EMPTY, BAD_CRC, BAD_VERSION). Used by `image info` and
 * the signer. */
webota_err_t webota_sig_block_parse(const uint8_t block[WEBOTA_SIG_BLOCK_LEN],
                                    webota_sig_scheme_t *scheme,
                                    uint8_t key_digest[WEBOTA_SIG_KEY_DIGEST_LEN],
                                    webota_sig_block_state_t *state);

/* Offset and length of the key bytes inside a block of a scheme (what the
 * key digest covers); false for NONE. */
bool webota_sig_key_span(webota_sig_scheme_t scheme, size_t *offset, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
