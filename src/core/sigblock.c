/* Secure Boot V2 signature sector: block parsing and the streaming verifier
 * (format and verdict rules in webota/sigblock.h and docs/signing.md). */
#include <string.h>

#include "webota/crc32.h"
#include "webota/sigblock.h"

#include "bytes.h"

#define SLOTS_LEN (WEBOTA_SIG_BLOCKS * WEBOTA_SIG_BLOCK_LEN) /* 3648: the rest of the sector is padding */
#define ECDSA_SHA256 0u /* byte 2 of an ECDSA block: which digest it signs */
#define ECDSA_SHA384 1u
#define CURVE_P192 1u
#define CURVE_P256 2u
#define CURVE_P384 3u

const char *webota_sig_scheme_name(webota_sig_scheme_t scheme)
{
    switch (scheme) {
    case WEBOTA_SIG_SCHEME_RSA3072:
        return "rsa3072";
    case WEBOTA_SIG_SCHEME_ECDSA256:
        return "ecdsa256";
    case WEBOTA_SIG_SCHEME_ECDSA384:
        return "ecdsa384";
    case WEBOTA_SIG_SCHEME_ECDSA192:
        return "ecdsa192";
    default:
        return "none";
    }
}

const char *webota_sig_block_state_text(webota_sig_block_state_t st)
{
    switch (st) {
    case WEBOTA_SIG_BLOCK_EMPTY:
        return "no block";
    case WEBOTA_SIG_BLOCK_BAD_CRC:
        return "CRC does not match";
    case WEBOTA_SIG_BLOCK_BAD_VERSION:
        return "unknown version or curve";
    case WEBOTA_SIG_BLOCK_UNTRUSTED:
        return "key not trusted";
    case WEBOTA_SIG_BLOCK_DIGEST_DIFFERS:
        return "image digest differs from the signed one";
    case WEBOTA_SIG_BLOCK_BAD_SIGNATURE:
        return "signature does not verify";
    case WEBOTA_SIG_BLOCK_VERIFIED:
        return "verified";
    case WEBOTA_SIG_BLOCK_SKIPPED:
        return "not examined";
    }
    return "unknown";
}

bool webota_sig_key_span(webota_sig_scheme_t scheme, size_t *offset, size_t *len)
{
    switch (scheme) {
    case WEBOTA_SIG_SCHEME_RSA3072:
        *offset = 36, *len = WEBOTA_SIG_RSA_KEY_LEN;
        return true;
    case WEBOTA_SIG_SCHEME_ECDSA256:
    case WEBOTA_SIG_SCHEME_ECDSA192:
        *offset = 36, *len = 65;
        return true;
    case WEBOTA_SIG_SCHEME_ECDSA384:
        *offset = 52, *len = 97;
        return true;
    default:
        return false;
    }
}

webota_err_t webota_sig_block_parse(const uint8_t block[WEBOTA_SIG_BLOCK_LEN], webota_sig_scheme_t *scheme,
                                    uint8_t key_digest[WEBOTA_SIG_KEY_DIGEST_LEN],
                                    webota_sig_block_state_t *state)
{
    *scheme = WEBOTA_SIG_SCHEME_NONE;
    if (block[0] != WEBOTA_SIG_MAGIC) {
        *state = WEBOTA_SIG_BLOCK_EMPTY;
        return WEBOTA_ERR_SIG_MALFORMED;
    }
    /* ESP-IDF: esp_rom_crc32_le(0, block, 1196), i.e. zlib's crc32 */
    if (webota_crc32_le(0, block, WEBOTA_SIG_CRC_OFFSET) != webota_le32_get(block + WEBOTA_SIG_CRC_OFFSET)) {
        *state = WEBOTA_SIG_BLOCK_BAD_CRC;
        return WEBOTA_ERR_SIG_MALFORMED;
    }
    webota_sig_scheme_t s = WEBOTA_SIG_SCHEME_NONE;
    if (block[1] == WEBOTA_SIG_VERSION_RSA) {
        s = WEBOTA_SIG_SCHEME_RSA3072;
    } else if (block[1] == WEBOTA_SIG_VERSION_ECDSA && block[2] == ECDSA_SHA256) {
        s = block[36] == CURVE_P256   ? WEBOTA_SIG_SCHEME_ECDSA256
            : block[36] == CURVE_P192 ? WEBOTA_SIG_SCHEME_ECDSA192
                                      : WEBOTA_SIG_SCHEME_NONE;
    } else if (block[1] == WEBOTA_SIG_VERSION_ECDSA && block[2] == ECDSA_SHA384 && block[52] == CURVE_P384) {
        s = WEBOTA_SIG_SCHEME_ECDSA384;
    }
    size_t off, len;
    if (!webota_sig_key_span(s, &off, &len)) {
        *state = WEBOTA_SIG_BLOCK_BAD_VERSION;
        return WEBOTA_ERR_SIG_MALFORMED;
    }
    if (webota_sha256(block + off, len, key_digest) != WEBOTA_OK) {
        return WEBOTA_ERR_CRYPTO;
    }
    *scheme = s;
    *state = WEBOTA_SIG_BLOCK_UNTRUSTED; /* usable; trust is the verifier's business */
    return WEBOTA_OK;
}

/* ---- streaming verifier ---- */

static bool scheme_uses_sha384(uint8_t scheme)
{
    return scheme == WEBOTA_SIG_SCHEME_ECDSA384;
}

webota_err_t webota_sig_init(webota_sig_verifier_t *v, const webota_sig_config_t *cfg, webota_image_checker_t *c)
{
    if (v == NULL) {
        return WEBOTA_ERR_ARG;
    }
    memset(v, 0, sizeof(*v));
    v->res.err = WEBOTA_ERR_STATE;
    v->res.block = -1;
    v->res.key = -1;
    for (unsigned i = 0; i < WEBOTA_SIG_BLOCKS; i++) {
        v->res.block_info[i].trusted_key = -1;
        v->res.block_info[i].digest_match = -1;
    }
    if (cfg == NULL || c == NULL || (cfg->keys == NULL && cfg->key_count != 0) ||
        webota_image_status(c)->received != 0) {
        v->finished = true;
        return WEBOTA_ERR_ARG;
    }
    v->cfg = cfg;
    v->img = webota_image_status(c);
    v->need256 = cfg->all_digests;
    v->need384 = cfg->all_digests;
    for (size_t i = 0; i < cfg->key_count; i++) {
        if (scheme_uses_sha384(cfg->keys[i].scheme)) {
            v->need384 = true;
        } else {
            v->need256 = true;
        }
    }
    if (v->need256) {
        webota_image_tap_sha256(c, &v->tap); /* the checker hands its SHA-256 over */
    }
    if (v->need384) {
        if (webota_hash_start(&v->sha384, WEBOTA_HASH_SHA384) != WEBOTA_OK) {
            v->finished = true;
            v->res.err = WEBOTA_ERR_CRYPTO;
            return WEBOTA_ERR_CRYPTO;
        }
        v->sha384_active = true;
    }
    return WEBOTA_OK;
}

void webota_sig_abort(webota_sig_verifier_t *v)
{
    if (v == NULL) {
        return;
    }
    webota_hash_abort(&v->tap.sha256);
    if (v->sha384_active) {
        webota_hash_abort(&v->sha384);
        v->sha384_active = false;
    }
}

const webota_sig_result_t *webota_sig_result(const webota_sig_verifier_t *v)
{
    return &v->res;
}

static void crypto_failed(webota_sig_verifier_t *v, webota_err_t err)
{
    if (!v->finished) {
        v->finished = true;
        v->res.err = err;
        v->res.err_offset = v->pos;
        webota_sig_abort(v);
    }
}

/* Bytes of the signed data at stream offset at. The SHA-256 covers what the
 * checker has not: from the tap's end on (before the tap exists, the checker
 * is still hashing these bytes itself). */
static void hash_data(webota_sig_verifier_t *v, const uint8_t *p, size_t n, uint32_t at)
{
    if (v->sha384_active && webota_hash_update(&v->sha384, p, n) != WEBOTA_OK) {
        crypto_failed(v, WEBOTA_ERR_CRYPTO);
        return;
    }
    if (v->need256 && v->tap.covered != 0 && at + n > v->tap.covered) {
        size_t skip = at < v->tap.covered ? v->tap.covered - at : 0;
        if (webota_hash_update(&v->tap.sha256, p + skip, n - skip) != WEBOTA_OK) {
            crypto_failed(v, WEBOTA_ERR_CRYPTO);
        }
    }
}

/* The stream has reached the sector: the digests of the signed data are final. */
static void finish_digests(webota_sig_verifier_t *v)
{
    if (v->need256) {
        if (v->tap.failed || v->tap.covered == 0 ||
            webota_hash_finish(&v->tap.sha256, v->res.sha256, sizeof(v->res.sha256)) != WEBOTA_OK) {
            crypto_failed(v, WEBOTA_ERR_CRYPTO);
            return;
        }
        v->res.sha256_done = true;
    }
    if (v->sha384_active) {
        v->sha384_active = false;
        if (webota_hash_finish(&v->sha384, v->res.sha384, sizeof(v->res.sha384)) != WEBOTA_OK) {
            crypto_failed(v, WEBOTA_ERR_CRYPTO);
            return;
        }
        v->res.sha384_done = true;
    }
}

static void reverse(uint8_t *p, size_t n)
{
    for (size_t i = 0, j = n - 1; i < j; i++, j--) {
        uint8_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

/* Checks the block's signature with its own key over the computed digest.
 * The block stores its numbers little-endian; the crypto seam takes them
 * big-endian, so they are reversed in place (the block has been judged
 * otherwise already). */
static webota_err_t verify_block(webota_sig_verifier_t *v, uint8_t *b, webota_sig_scheme_t scheme)
{
    switch (scheme) {
    case WEBOTA_SIG_SCHEME_RSA3072:
        reverse(b + 36, 384);  /* n */
        reverse(b + 420, 4);   /* e: now right after n, big-endian */
        reverse(b + 812, 384); /* signature */
        return webota_sig_verify(WEBOTA_SIG_ALG_RSA3072_PSS, b + 36, 388, v->res.sha256, 32, b + 812, 384);
    case WEBOTA_SIG_SCHEME_ECDSA256:
        reverse(b + 37, 32), reverse(b + 69, 32);   /* X, Y */
        reverse(b + 101, 32), reverse(b + 133, 32); /* r, s */
        return webota_sig_verify(WEBOTA_SIG_ALG_ECDSA_P256, b + 37, 64, v->res.sha256, 32, b + 101, 64);
    case WEBOTA_SIG_SCHEME_ECDSA384:
        reverse(b + 53, 48), reverse(b + 101, 48);
        reverse(b + 149, 48), reverse(b + 197, 48);
        return webota_sig_verify(WEBOTA_SIG_ALG_ECDSA_P384, b + 53, 96, v->res.sha384, 48, b + 149, 96);
    default:
        return WEBOTA_ERR_SIG_MISMATCH;
    }
}

static int trusted_index(const webota_sig_config_t *cfg, webota_sig_scheme_t scheme, const uint8_t *digest)
{
    if (scheme == WEBOTA_SIG_SCHEME_ECDSA192) {
        return -1; /* too weak to trust */
    }
    for (size_t i = 0; i < cfg->key_count && i < 127; i++) {
        if (cfg->keys[i].scheme == scheme && memcmp(cfg->keys[i].digest, digest, WEBOTA_SIG_KEY_DIGEST_LEN) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* The 1216 bytes of block slot i have arrived. */
static void judge_block(webota_sig_verifier_t *v, unsigned i)
{
    webota_sig_block_t *bi = &v->res.block_info[i];
    uint8_t *b = v->block;
    unsigned max = v->cfg->max_blocks == 0 || v->cfg->max_blocks > WEBOTA_SIG_BLOCKS ? WEBOTA_SIG_BLOCKS
                                                                                      : v->cfg->max_blocks;
    bi->version = b[1];
    if (i >= max) {
        bi->state = b[0] == WEBOTA_SIG_MAGIC ? WEBOTA_SIG_BLOCK_SKIPPED : WEBOTA_SIG_BLOCK_EMPTY;
        return;
    }
    webota_sig_scheme_t scheme;
    webota_sig_block_state_t state;
    webota_err_t err = webota_sig_block_parse(b, &scheme, bi->key_digest, &state);
    if (err == WEBOTA_ERR_CRYPTO) {
        crypto_failed(v, err);
        return;
    }
    bi->state = (uint8_t)state;
    if (state != WEBOTA_SIG_BLOCK_EMPTY) {
        v->res.blocks++;
    }
    if (err != WEBOTA_OK) {
        return;
    }
    bi->scheme = (uint8_t)scheme;
    bool big = scheme_uses_sha384(scheme);
    if (big ? v->res.sha384_done : v->res.sha256_done) {
        bi->digest_match = memcmp(b + 4, big ? v->res.sha384 : v->res.sha256, big ? 48 : 32) == 0;
    }
    int k = trusted_index(v->cfg, scheme, bi->key_digest);
    if (k < 0) {
        return; /* UNTRUSTED */
    }
    bi->trusted_key = (int8_t)k;
    if (bi->digest_match != 1) {
        bi->state = WEBOTA_SIG_BLOCK_DIGEST_DIFFERS; /* the data is not what was signed */
        return;
    }
    err = verify_block(v, b, scheme);
    if (err == WEBOTA_OK) {
        bi->state = WEBOTA_SIG_BLOCK_VERIFIED;
    } else if (err == WEBOTA_ERR_SIG_MISMATCH) {
        bi->state = WEBOTA_SIG_BLOCK_BAD_SIGNATURE;
    } else {
        crypto_failed(v, err);
    }
}

/* n bytes at sector offset off. */
static void sector_bytes(webota_sig_verifier_t *v, const uint8_t *p, size_t n, uint32_t off)
{
    while (n > 0 && !v->finished) {
        size_t take;
        if (off < SLOTS_LEN) {
            uint32_t in = off % WEBOTA_SIG_BLOCK_LEN;
            take = WEBOTA_SIG_BLOCK_LEN - in;
            take = take < n ? take : n;
            memcpy(v->block + in, p, take);
            if (in + take == WEBOTA_SIG_BLOCK_LEN) {
                judge_block(v, off / WEBOTA_SIG_BLOCK_LEN);
            }
        } else {
            take = n; /* 0xFF padding after the third slot: not examined, as in ESP-IDF */
        }
        p += take, n -= take, off += (uint32_t)take;
    }
}

static uint32_t sector_offset(webota_sig_verifier_t *v)
{
    if (v->res.sector == 0 && v->img->complete && v->img->length != 0) {
        v->res.sector = (v->img->length + WEBOTA_SIG_SECTOR_LEN - 1u) & ~(WEBOTA_SIG_SECTOR_LEN - 1u);
    }
    return v->res.sector;
}

webota_err_t webota_sig_feed(webota_sig_verifier_t *v, const void *data, size_t len)
{
    if (v == NULL || (data == NULL && len != 0)) {
        return WEBOTA_ERR_ARG;
    }
    const uint8_t *p = data;
    while (len > 0 && !v->finished) {
        uint32_t sector = sector_offset(v);
        uint32_t pos = v->pos;
        size_t take = len;
        if (sector == 0 || pos < sector) {
            /* signed data; the checker saw these bytes first, so an unknown
             * sector offset means the image end is still ahead */
            if (sector != 0 && take > sector - pos) {
                take = sector - pos;
            }
            hash_data(v, p, take, pos);
            if (sector != 0 && pos + take == sector) {
                finish_digests(v);
            }
        } else if (pos < sector + WEBOTA_SIG_SECTOR_LEN) {
            if (pos == sector && !v->res.sha256_done && !v->res.sha384_done && (v->need256 || v->need384)) {
                finish_digests(v); /* the image ends on a 4 KiB boundary: no padding */
                if (v->finished) {
                    break;
                }
            }
            uint32_t room = sector + WEBOTA_SIG_SECTOR_LEN - pos;
            take = take < room ? take : room;
            sector_bytes(v, p, take, pos - sector);
        } else {
            v->extra = true;
        }
        if ((uint64_t)v->pos + take > 0xFFFFFFFFu) {
            v->extra = true;
            break;
        }
        v->pos += (uint32_t)take;
        p += take;
        len -= take;
    }
    return v->finished ? v->res.err : WEBOTA_OK;
}

/* The verdict naming block i (offset of its slot). */
static webota_err_t verdict(webota_sig_verifier_t *v, webota_err_t err, int block, uint32_t off)
{
    v->res.err = err;
    v->res.block = (int8_t)block;
    v->res.err_offset = block >= 0 ? v->res.sector + (uint32_t)block * WEBOTA_SIG_BLOCK_LEN : off;
    return err;
}

static int first_in_state(const webota_sig_verifier_t *v, webota_sig_block_state_t a, webota_sig_block_state_t b)
{
    for (unsigned i = 0; i < WEBOTA_SIG_BLOCKS; i++) {
        uint8_t st = v->res.block_info[i].state;
        if (st == a || st == b) {
            return (int)i;
        }
    }
    return -1;
}

static webota_err_t judge(webota_sig_verifier_t *v)
{
    if (!v->img->complete) {
        return verdict(v, WEBOTA_ERR_STATE, -1, v->pos);
    }
    uint32_t sector = sector_offset(v);
    if (v->pos <= sector) {
        return verdict(v, WEBOTA_ERR_SIG_UNSIGNED, -1, sector);
    }
    if (v->pos < sector + WEBOTA_SIG_SECTOR_LEN) {
        return verdict(v, WEBOTA_ERR_SIG_MALFORMED, -1, v->pos); /* truncated sector */
    }
    if (v->extra) {
        return verdict(v, WEBOTA_ERR_SIG_MALFORMED, -1, sector + WEBOTA_SIG_SECTOR_LEN);
    }
    int i = first_in_state(v, WEBOTA_SIG_BLOCK_VERIFIED, WEBOTA_SIG_BLOCK_VERIFIED);
    if (i >= 0) {
        v->res.key = v->res.block_info[i].trusted_key;
        return verdict(v, WEBOTA_OK, i, 0);
    }
    if (v->res.blocks == 0) {
        return verdict(v, WEBOTA_ERR_SIG_UNSIGNED, -1, sector);
    }
    i = first_in_state(v, WEBOTA_SIG_BLOCK_DIGEST_DIFFERS, WEBOTA_SIG_BLOCK_BAD_SIGNATURE);
    if (i >= 0) {
        return verdict(v, WEBOTA_ERR_SIG_MISMATCH, i, 0);
    }
    i = first_in_state(v, WEBOTA_SIG_BLOCK_UNTRUSTED, WEBOTA_SIG_BLOCK_UNTRUSTED);
    if (i >= 0) {
        return verdict(v, WEBOTA_ERR_SIG_UNTRUSTED, i, 0);
    }
    return verdict(v, WEBOTA_ERR_SIG_MALFORMED, first_in_state(v, WEBOTA_SIG_BLOCK_BAD_CRC, WEBOTA_SIG_BLOCK_BAD_VERSION),
                   sector);
}

webota_err_t webota_sig_finish(webota_sig_verifier_t *v)
{
    if (v == NULL) {
        return WEBOTA_ERR_ARG;
    }
    if (v->finished) {
        return v->res.err;
    }
    webota_err_t err = judge(v);
    v->finished = true;
    webota_sig_abort(v);
    return err;
}
