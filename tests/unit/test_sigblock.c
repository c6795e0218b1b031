/* The Secure Boot V2 verifier against the espsecure vectors of
 * tests/vectors/sbv2 (manifest.tsv: for every signed or tampered file, which
 * of the four test keys ESP-IDF accepts), the verdict code of every failure
 * path, chunking independence, the digest taken over from the image checker,
 * and hand-made sectors for the cases espsecure does not produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "webota/crc32.h"
#include "webota/sigblock.h"

/* ---- keys ---- */

static const struct {
    const char *name;
    webota_sig_scheme_t scheme;
} key_names[] = {
    {"p256_a", WEBOTA_SIG_SCHEME_ECDSA256},
    {"p256_b", WEBOTA_SIG_SCHEME_ECDSA256},
    {"p384", WEBOTA_SIG_SCHEME_ECDSA384},
    {"rsa3072", WEBOTA_SIG_SCHEME_RSA3072},
};
#define NKEYS (sizeof(key_names) / sizeof(key_names[0]))

static webota_sig_key_t keys[NKEYS];

static int load_keys(void **state)
{
    (void)state;
    for (size_t i = 0; i < NKEYS; i++) {
        char rel[128];
        size_t n;
        snprintf(rel, sizeof rel, "sbv2/keys/%s.digest.bin", key_names[i].name);
        uint8_t *d = tu_read_vector(rel, &n);
        if (n != 32) {
            free(d);
            return -1;
        }
        keys[i].scheme = (uint8_t)key_names[i].scheme;
        memcpy(keys[i].digest, d, 32);
        free(d);
    }
    return webota_crypto_init() == WEBOTA_OK ? 0 : -1;
}

static int key_index(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(key_names[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* ---- running checker + verifier ---- */

typedef struct {
    webota_image_checker_t c;
    webota_sig_verifier_t v;
    webota_sig_config_t cfg;
} run_t;

/* chunk 0 = whole buffer at once; rnd != 0: random chunk sizes */
static webota_err_t verify_chunked(run_t *r, const uint8_t *d, size_t n, const webota_sig_key_t *k, size_t nk,
                                   size_t chunk, unsigned rnd)
{
    memset(&r->cfg, 0, sizeof r->cfg);
    r->cfg.keys = k;
    r->cfg.key_count = nk;
    webota_image_init(&r->c, NULL, NULL);
    assert_int_equal(webota_sig_init(&r->v, &r->cfg, &r->c), WEBOTA_OK);
    size_t off = 0;
    while (off < n) {
        size_t step = chunk == 0 ? n : chunk;
        if (rnd != 0) {
            rnd = rnd * 1103515245u + 12345u;
            step = 1 + (rnd >> 8) % 3000;
        }
        if (step > n - off) {
            step = n - off;
        }
        webota_image_feed(&r->c, d + off, step);
        webota_sig_feed(&r->v, d + off, step);
        off += step;
    }
    (void)webota_image_finish(&r->c); /* tampered data also fails the image's own checksum */
    return webota_sig_finish(&r->v);
}

/* The same verdict, block and key for 1, 7, 1216, 4096 and random chunks. */
static webota_err_t verify_all_chunkings(const uint8_t *d, size_t n, const webota_sig_key_t *k, size_t nk,
                                         webota_sig_result_t *out)
{
    static run_t ref, r;
    webota_err_t e = verify_chunked(&ref, d, n, k, nk, 0, 0);
    const size_t chunks[] = {1, 7, 1216, 4096};
    for (size_t i = 0; i < 5; i++) {
        webota_err_t e2 = i < 4 ? verify_chunked(&r, d, n, k, nk, chunks[i], 0) : verify_chunked(&r, d, n, k, nk, 0, 99);
        assert_int_equal(e2, e);
        const webota_sig_result_t *a = webota_sig_result(&ref.v), *b = webota_sig_result(&r.v);
        assert_int_equal(a->err_offset, b->err_offset);
        assert_int_equal(a->block, b->block);
        assert_int_equal(a->key, b->key);
        assert_int_equal(a->blocks, b->blocks);
        assert_memory_equal(a->block_info, b->block_info, sizeof a->block_info);
    }
    *out = *webota_sig_result(&ref.v);
    return e;
}

/* ---- the manifest: every signed/tampered vector with every key ---- */

static void test_manifest_verdicts(void **state)
{
    (void)state;
    size_t n;
    char *tsv = (char *)tu_read_vector("manifest.tsv", &n);
    tsv = realloc(tsv, n + 1);
    tsv[n] = '\0';
    unsigned files = 0, checks = 0;
    for (char *line = strtok(tsv, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char path[256], kind[64], expected[256];
        if (sscanf(line, "%255[^\t]\t%63[^\t]\t%255[^\t]", path, kind, expected) != 3 ||
            (strcmp(kind, "sbv2.signed") != 0 && strcmp(kind, "sbv2.tampered") != 0)) {
            continue;
        }
        size_t len;
        uint8_t *d = tu_read_vector(path, &len);
        char *save = NULL;
        char exp_copy[256];
        snprintf(exp_copy, sizeof exp_copy, "%s", expected);
        for (char *kv = strtok_r(exp_copy, " ", &save); kv != NULL; kv = strtok_r(NULL, " ", &save)) {
            char name[32], verdict[8];
            assert_int_equal(sscanf(kv, "%31[^=]=%7s", name, verdict), 2);
            int k = key_index(name);
            assert_true(k >= 0);
            webota_sig_result_t res;
            webota_err_t e = verify_all_chunkings(d, len, &keys[k], 1, &res);
            bool pass = strcmp(verdict, "pass") == 0;
            if ((e == WEBOTA_OK) != pass) {
                fail_msg("%s with %s: expected %s, got %s", path, name, verdict, webota_err_name(e));
            }
            if (pass) {
                assert_int_equal(res.key, 0);
                assert_int_equal(res.block_info[res.block].state, WEBOTA_SIG_BLOCK_VERIFIED);
            }
            checks++;
        }
        files++;
        free(d);
    }
    free(tsv);
    assert_true(files >= 16);
    assert_int_equal(checks, files * NKEYS);
}

/* ---- each failure path with its code ---- */

typedef struct {
    const char *path;
    const char *key; /* NULL = no trusted key */
    webota_err_t err;
    int block; /* the block the verdict names, -1 none */
    uint32_t offset;
} verdict_case_t;

static void test_verdict_codes(void **state)
{
    (void)state;
    static const verdict_case_t cases[] = {
        {"sbv2/esp32c6_small.sbv2_p256.bin", "p256_a", WEBOTA_OK, 0, 0x1000},
        {"sbv2/esp32c6_small.sbv2_p256.bin", "p256_b", WEBOTA_ERR_SIG_UNTRUSTED, 0, 0x1000},
        {"sbv2/esp32c6_small.sbv2_p256.bin", "rsa3072", WEBOTA_ERR_SIG_UNTRUSTED, 0, 0x1000},
        {"sbv2/esp32c6_small.sbv2_p256.bin", NULL, WEBOTA_ERR_SIG_UNTRUSTED, 0, 0x1000},
        {"sbv2/esp32c6_small.sbv2_2keys.bin", "p256_b", WEBOTA_OK, 1, 0x1000 + 1216},
        {"sbv2/esp32c5_small.sbv2_p384.bin", "p384", WEBOTA_OK, 0, 0x1000},
        {"sbv2/esp32c3_small.sbv2_rsa3072.bin", "rsa3072", WEBOTA_OK, 0, 0x1000},
        {"sbv2/esp32c3_secure_pad.sbv2_rsa3072.bin", "rsa3072", WEBOTA_OK, 0, 0x10000},
        {"sbv2/webota_esp32c3.sbv2_3keys.bin", "p256_a", WEBOTA_OK, 0, 0x5000},
        {"sbv2/webota_esp32c3.sbv2_3keys.bin", "rsa3072", WEBOTA_OK, 1, 0x5000 + 1216},
        {"sbv2/webota_esp32c3.sbv2_3keys.bin", "p384", WEBOTA_OK, 2, 0x5000 + 2432},
        {"sbv2/webota_esp32c3.sbv2_3keys.bin", "p256_b", WEBOTA_ERR_SIG_UNTRUSTED, 0, 0x5000},
        {"sbv2/webota_esp32c3.sbv2_p256.block_in_slot1.bin", "p256_a", WEBOTA_OK, 1, 0x5000 + 1216},
        {"sbv2/webota_esp32c3.sbv2_p256.bad_version.bin", "p256_a", WEBOTA_ERR_SIG_MALFORMED, 0, 0x5000},
        {"sbv2/esp32c6_small.sbv2_p192.bin", "p256_a", WEBOTA_ERR_SIG_UNTRUSTED, 0, 0x1000},
        /* the data is not what was signed: the stored digest differs */
        {"sbv2/esp32c6_small.sbv2_p256.payload_flip.bin", "p256_a", WEBOTA_ERR_SIG_MISMATCH, 0, 0x1000},
        {"sbv2/esp32c6_small.sbv2_p256.pad_flip.bin", "p256_a", WEBOTA_ERR_SIG_MISMATCH, 0, 0x1000},
        {"sbv2/esp32c3_small.sbv2_rsa3072.payload_flip.bin", "rsa3072", WEBOTA_ERR_SIG_MISMATCH, 0, 0x1000},
        /* the signature itself is damaged (CRC recomputed) */
        {"sbv2/esp32c6_small.sbv2_p256.sig_flip.bin", "p256_a", WEBOTA_ERR_SIG_MISMATCH, 0, 0x1000},
        {"sbv2/esp32c5_small.sbv2_p384.sig_flip.bin", "p384", WEBOTA_ERR_SIG_MISMATCH, 0, 0x1000},
        {"sbv2/esp32c3_small.sbv2_rsa3072.sig_flip.bin", "rsa3072", WEBOTA_ERR_SIG_MISMATCH, 0, 0x1000},
        /* a block naming key b with key a's signature */
        {"sbv2/esp32c6_small.sbv2_p256.pubkey_swapped.bin", "p256_a", WEBOTA_ERR_SIG_UNTRUSTED, 0, 0x1000},
        {"sbv2/esp32c6_small.sbv2_p256.pubkey_swapped.bin", "p256_b", WEBOTA_ERR_SIG_MISMATCH, 0, 0x1000},
        /* the only block has a broken CRC: malformed, whatever the key */
        {"sbv2/esp32c6_small.sbv2_p256.crc_broken.bin", "p256_a", WEBOTA_ERR_SIG_MALFORMED, 0, 0x1000},
        {"sbv2/esp32c3_small.sbv2_rsa3072.crc_broken.bin", "rsa3072", WEBOTA_ERR_SIG_MALFORMED, 0, 0x1000},
        /* a broken block 0 is skipped; block 1 decides */
        {"sbv2/esp32c6_small.sbv2_2keys.block0_crc_broken.bin", "p256_b", WEBOTA_OK, 1, 0x1000 + 1216},
        {"sbv2/esp32c6_small.sbv2_2keys.block0_crc_broken.bin", "p256_a", WEBOTA_ERR_SIG_UNTRUSTED, 1, 0x1000 + 1216},
        /* 16 bytes short: the sector is truncated */
        {"sbv2/esp32c6_small.sbv2_p256.truncated.bin", "p256_a", WEBOTA_ERR_SIG_MALFORMED, -1, 0x1ff0},
        /* no signature sector at all */
        {"image/esp32c6_small.bin", "p256_a", WEBOTA_ERR_SIG_UNSIGNED, -1, 0x1000},
        {"image/esp32c3_pad_to_4k.bin", "rsa3072", WEBOTA_ERR_SIG_UNSIGNED, -1, 0x1000},
        {"image/esp32c3_secure_pad.bin", "rsa3072", WEBOTA_ERR_SIG_UNSIGNED, -1, 0x10000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const verdict_case_t *c = &cases[i];
        size_t len;
        uint8_t *d = tu_read_vector(c->path, &len);
        int k = c->key ? key_index(c->key) : -1;
        webota_sig_result_t res;
        webota_err_t e = verify_all_chunkings(d, len, k < 0 ? NULL : &keys[k], k < 0 ? 0 : 1, &res);
        if (e != c->err || res.block != c->block || res.err_offset != c->offset) {
            fail_msg("%s with %s: expected %s block %d at 0x%x, got %s block %d at 0x%x", c->path,
                     c->key ? c->key : "no key", webota_err_name(c->err), c->block, (unsigned)c->offset,
                     webota_err_name(e), res.block, (unsigned)res.err_offset);
        }
        free(d);
    }
}

/* The block of the signer's vector, with the key digest espsecure computed. */
static void test_block_key_digests(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *key;
        webota_sig_scheme_t scheme;
    } v[] = {
        {"sbv2/esp32c6_small.sbv2_p256.bin", "p256_a", WEBOTA_SIG_SCHEME_ECDSA256},
        {"sbv2/esp32c6_small.sbv2_p256_keyb.bin", "p256_b", WEBOTA_SIG_SCHEME_ECDSA256},
        {"sbv2/esp32c5_small.sbv2_p384.bin", "p384", WEBOTA_SIG_SCHEME_ECDSA384},
        {"sbv2/esp32c3_small.sbv2_rsa3072.bin", "rsa3072", WEBOTA_SIG_SCHEME_RSA3072},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t len;
        uint8_t *d = tu_read_vector(v[i].path, &len);
        webota_sig_scheme_t scheme;
        webota_sig_block_state_t st;
        uint8_t dig[32];
        assert_int_equal(webota_sig_block_parse(d + len - 4096, &scheme, dig, &st), WEBOTA_OK);
        assert_int_equal(scheme, v[i].scheme);
        assert_int_equal(st, WEBOTA_SIG_BLOCK_UNTRUSTED);
        assert_memory_equal(dig, keys[key_index(v[i].key)].digest, 32);
        /* the second slot is empty */
        assert_int_equal(webota_sig_block_parse(d + len - 4096 + 1216, &scheme, dig, &st), WEBOTA_ERR_SIG_MALFORMED);
        assert_int_equal(st, WEBOTA_SIG_BLOCK_EMPTY);
        free(d);
    }
}

/* The SHA-256 taken over from the checker and finished by the verifier equals
 * a one-shot hash of everything before the sector, as does the SHA-384. */
static void test_digest_shared_with_checker(void **state)
{
    (void)state;
    const char *paths[] = {"sbv2/esp32c6_small.sbv2_p256.bin", "sbv2/esp32c3_secure_pad.sbv2_rsa3072.bin",
                           "sbv2/esp32c5_small.sbv2_p384.bin"};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        uint8_t *d = tu_read_vector(paths[i], &len);
        static run_t r;
        memset(&r.cfg, 0, sizeof r.cfg);
        r.cfg.all_digests = true;
        webota_image_init(&r.c, NULL, NULL);
        assert_int_equal(webota_sig_init(&r.v, &r.cfg, &r.c), WEBOTA_OK);
        for (size_t off = 0; off < len; off += 333) {
            size_t k = len - off < 333 ? len - off : 333;
            webota_image_feed(&r.c, d + off, k);
            webota_sig_feed(&r.v, d + off, k);
        }
        assert_int_equal(webota_image_finish(&r.c), WEBOTA_OK);
        assert_int_equal(webota_sig_finish(&r.v), WEBOTA_ERR_SIG_UNTRUSTED);
        const webota_sig_result_t *res = webota_sig_result(&r.v);
        uint8_t want[48];
        assert_true(res->sha256_done && res->sha384_done);
        assert_int_equal(webota_sha256(d, len - 4096, want), WEBOTA_OK);
        assert_memory_equal(res->sha256, want, 32);
        webota_hash_t h;
        assert_int_equal(webota_hash_start(&h, WEBOTA_HASH_SHA384), WEBOTA_OK);
        assert_int_equal(webota_hash_update(&h, d, len - 4096), WEBOTA_OK);
        assert_int_equal(webota_hash_finish(&h, want, 48), WEBOTA_OK);
        assert_memory_equal(res->sha384, want, 48);
        assert_int_equal(res->block_info[0].digest_match, 1);
        free(d);
    }
}

/* ---- sectors espsecure does not make ---- */

static uint8_t *vector_copy(const char *rel, size_t *len, size_t extra)
{
    uint8_t *d = tu_read_vector(rel, len);
    d = realloc(d, *len + extra);
    assert_non_null(d);
    return d;
}

static void fix_crc(uint8_t *block)
{
    uint32_t crc = webota_crc32_le(0, block, 1196);
    block[1196] = (uint8_t)crc, block[1197] = (uint8_t)(crc >> 8);
    block[1198] = (uint8_t)(crc >> 16), block[1199] = (uint8_t)(crc >> 24);
}

static void test_crafted_sectors(void **state)
{
    (void)state;
    size_t len;
    webota_sig_result_t res;
    int a = key_index("p256_a"), b = key_index("p256_b");

    /* bytes after the sector */
    uint8_t *d = vector_copy("sbv2/esp32c6_small.sbv2_p256.bin", &len, 1);
    d[len] = 0xFF;
    assert_int_equal(verify_all_chunkings(d, len + 1, &keys[a], 1, &res), WEBOTA_ERR_SIG_MALFORMED);
    assert_int_equal(res.err_offset, len);
    /* an unknown version, CRC right: malformed */
    d[len - 4096 + 1] = 4;
    fix_crc(d + len - 4096);
    assert_int_equal(verify_all_chunkings(d, len, &keys[a], 1, &res), WEBOTA_ERR_SIG_MALFORMED);
    assert_int_equal(res.block_info[0].state, WEBOTA_SIG_BLOCK_BAD_VERSION);
    /* ECDSA with an unknown curve id */
    d[len - 4096 + 1] = 3;
    d[len - 4096 + 36] = 9;
    fix_crc(d + len - 4096);
    assert_int_equal(verify_all_chunkings(d, len, &keys[a], 1, &res), WEBOTA_ERR_SIG_MALFORMED);
    assert_int_equal(res.block_info[0].state, WEBOTA_SIG_BLOCK_BAD_VERSION);
    /* sector of 0xFF only (an erased sector): unsigned */
    memset(d + len - 4096, 0xFF, 4096);
    assert_int_equal(verify_all_chunkings(d, len, &keys[a], 1, &res), WEBOTA_ERR_SIG_UNSIGNED);
    assert_int_equal(res.blocks, 0);
    /* the stream stops inside the 0xFF padding before the sector: unsigned */
    assert_int_equal(verify_all_chunkings(d, 0x800, &keys[a], 1, &res), WEBOTA_ERR_SIG_UNSIGNED);
    free(d);

    /* ESP32 examines only block 0: key b in block 1 is not looked at */
    d = tu_read_vector("sbv2/esp32c6_small.sbv2_2keys.bin", &len);
    static run_t r;
    memset(&r.cfg, 0, sizeof r.cfg);
    r.cfg.keys = &keys[b];
    r.cfg.key_count = 1;
    r.cfg.max_blocks = 1;
    webota_image_init(&r.c, NULL, NULL);
    assert_int_equal(webota_sig_init(&r.v, &r.cfg, &r.c), WEBOTA_OK);
    webota_image_feed(&r.c, d, len);
    webota_sig_feed(&r.v, d, len);
    webota_image_finish(&r.c);
    assert_int_equal(webota_sig_finish(&r.v), WEBOTA_ERR_SIG_UNTRUSTED);
    assert_int_equal(webota_sig_result(&r.v)->block_info[1].state, WEBOTA_SIG_BLOCK_SKIPPED);
    /* both keys trusted: the first block verifies with key index 1 (a) */
    webota_sig_key_t both[2] = {keys[b], keys[a]};
    assert_int_equal(verify_all_chunkings(d, len, both, 2, &res), WEBOTA_OK);
    assert_int_equal(res.block, 0);
    assert_int_equal(res.key, 1);
    /* a trusted key whose scheme differs from the block's is not that key */
    webota_sig_key_t wrong = keys[a];
    wrong.scheme = WEBOTA_SIG_SCHEME_ECDSA384;
    assert_int_equal(verify_all_chunkings(d, len, &wrong, 1, &res), WEBOTA_ERR_SIG_UNTRUSTED);
    free(d);
}

/* P-192 blocks are read (key digest as espsecure's) but never trusted, even
 * when their digest is given as a trusted key. */
static void test_p192_never_trusted(void **state)
{
    (void)state;
    size_t n, len;
    uint8_t *dig = tu_read_vector("sbv2/keys/p192.digest.bin", &n);
    assert_int_equal(n, 32);
    webota_sig_key_t k = {.scheme = WEBOTA_SIG_SCHEME_ECDSA192};
    memcpy(k.digest, dig, 32);
    free(dig);
    uint8_t *d = tu_read_vector("sbv2/esp32c6_small.sbv2_p192.bin", &len);
    webota_sig_result_t res;
    assert_int_equal(verify_all_chunkings(d, len, &k, 1, &res), WEBOTA_ERR_SIG_UNTRUSTED);
    assert_int_equal(res.block_info[0].scheme, WEBOTA_SIG_SCHEME_ECDSA192);
    assert_memory_equal(res.block_info[0].key_digest, k.digest, 32);
    assert_int_equal(res.block_info[0].trusted_key, -1);
    free(d);
}

/* API misuse is refused; finish before the image end says STATE. */
static void test_misuse(void **state)
{
    (void)state;
    static run_t r;
    webota_sig_config_t cfg = {0};
    webota_image_init(&r.c, NULL, NULL);
    assert_int_equal(webota_sig_init(&r.v, NULL, &r.c), WEBOTA_ERR_ARG);
    assert_int_equal(webota_sig_init(&r.v, &cfg, NULL), WEBOTA_ERR_ARG);
    cfg.key_count = 1;
    assert_int_equal(webota_sig_init(&r.v, &cfg, &r.c), WEBOTA_ERR_ARG);
    cfg.key_count = 0;
    size_t len;
    uint8_t *d = tu_read_vector("sbv2/esp32c6_small.sbv2_p256.bin", &len);
    webota_image_feed(&r.c, d, 100);
    assert_int_equal(webota_sig_init(&r.v, &cfg, &r.c), WEBOTA_ERR_ARG); /* checker already fed */
    webota_image_abort(&r.c);
    webota_image_init(&r.c, NULL, NULL);
    cfg.keys = keys;
    cfg.key_count = NKEYS;
    assert_int_equal(webota_sig_init(&r.v, &cfg, &r.c), WEBOTA_OK);
    webota_image_feed(&r.c, d, 100);
    webota_sig_feed(&r.v, d, 100);
    assert_int_equal(webota_sig_finish(&r.v), WEBOTA_ERR_STATE);
    webota_image_abort(&r.c);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_verdicts),
        cmocka_unit_test(test_verdict_codes),
        cmocka_unit_test(test_block_key_digests),
        cmocka_unit_test(test_digest_shared_with_checker),
        cmocka_unit_test(test_crafted_sectors),
        cmocka_unit_test(test_p192_never_trusted),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, load_keys, NULL);
}
