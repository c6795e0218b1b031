/* The Secure Boot V2 sector parser and streaming verifier on arbitrary
 * files (seeded with the signed vectors): fed at once and in pseudo-random
 * chunks, verdict and per-block findings must agree; every block slot is
 * parsed on its own too. Besides the four test keys, the key found in the
 * first slot is trusted, so that mutated keys and signatures reach the PSA
 * import and verification. Nothing may read outside the chunks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webota/sigblock.h"

#include "test_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static webota_err_t run(const uint8_t *data, size_t size, const webota_sig_config_t *cfg, uint32_t seed,
                        webota_image_checker_t *c, webota_sig_verifier_t *v)
{
    webota_image_init(c, NULL, NULL);
    if (webota_sig_init(v, cfg, c) != WEBOTA_OK) {
        abort();
    }
    size_t off = 0;
    while (off < size) {
        size_t k = size - off;
        if (seed != 0) {
            seed = seed * 1103515245u + 12345u;
            k = 1 + (seed >> 16) % ((seed & 0x100) ? 7 : 1500);
            k = k < size - off ? k : size - off;
        }
        uint8_t *chunk = malloc(k);
        memcpy(chunk, data + off, k);
        webota_image_feed(c, chunk, k);
        webota_sig_feed(v, chunk, k);
        free(chunk);
        off += k;
    }
    webota_image_finish(c);
    return webota_sig_finish(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static webota_image_checker_t c1, c2;
    static webota_sig_verifier_t v1, v2;
    if (webota_crypto_init() != WEBOTA_OK) {
        abort();
    }
    webota_sig_key_t keys[NTEST + 1];
    test_keys_load(keys);
    size_t nkeys = NTEST;
    /* every block slot of the last sector on its own; the first one's key is trusted */
    for (size_t s = 0; s < WEBOTA_SIG_BLOCKS; s++) {
        size_t at = (size >= WEBOTA_SIG_SECTOR_LEN ? size - WEBOTA_SIG_SECTOR_LEN : 0) + s * WEBOTA_SIG_BLOCK_LEN;
        if (at + WEBOTA_SIG_BLOCK_LEN > size) {
            break;
        }
        webota_sig_scheme_t scheme;
        webota_sig_block_state_t st;
        uint8_t digest[32];
        webota_err_t e = webota_sig_block_parse(data + at, &scheme, digest, &st);
        if ((e == WEBOTA_OK) != (scheme != WEBOTA_SIG_SCHEME_NONE)) {
            abort();
        }
        if (e == WEBOTA_OK && nkeys == NTEST) {
            keys[nkeys].scheme = (uint8_t)scheme;
            memcpy(keys[nkeys].digest, digest, 32);
            nkeys++;
        }
    }
    uint32_t seed = (uint32_t)size * 2654435761u;
    for (size_t i = 0; i < size && i < 64; i++) {
        seed = seed * 31u + data[i];
    }
    webota_sig_config_t cfg = {.keys = keys, .key_count = nkeys, .max_blocks = (uint8_t)(seed % 4),
                               .all_digests = (seed & 4) != 0};
    webota_err_t e1 = run(data, size, &cfg, 0, &c1, &v1);
    webota_err_t e2 = run(data, size, &cfg, seed | 1, &c2, &v2);
    const webota_sig_result_t *r1 = webota_sig_result(&v1), *r2 = webota_sig_result(&v2);
    if (e1 != e2 || r1->err_offset != r2->err_offset || r1->block != r2->block || r1->key != r2->key ||
        memcmp(r1->block_info, r2->block_info, sizeof r1->block_info) != 0) {
        abort();
    }
    /* an accepted verdict names a verified block of a trusted key */
    if (e1 == WEBOTA_OK && (r1->block < 0 || r1->key < 0 || r1->block_info[r1->block].state != WEBOTA_SIG_BLOCK_VERIFIED)) {
        abort();
    }
    return 0;
}
