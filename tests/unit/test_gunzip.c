/* The gzip member parser over zlib's inflater (src/sim/inflate_zlib.c):
 * streams made by zlib's deflate come out byte for byte under any chunking;
 * every header flag; every damaged stream is refused with its own error and
 * nothing past the damage reaches the sink; a bomb stops at the limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gz_util.h"
#include "sim/inflate_zlib.h"
#include "webota/crc32.h"
#include "webota/gunzip.h"

typedef struct {
    uint8_t *p;
    size_t n, cap;
    size_t fail_after; /* 0 = never */
} out_t;

static webota_err_t to_out(void *ctx, const void *data, size_t len)
{
    out_t *o = ctx;
    if (o->fail_after != 0 && o->n + len > o->fail_after) {
        return WEBOTA_ERR_IMG_CHIP; /* stands for a refusal by the update session */
    }
    if (o->n + len > o->cap) {
        o->cap = (o->n + len) * 2;
        o->p = realloc(o->p, o->cap);
    }
    memcpy(o->p + o->n, data, len);
    o->n += len;
    return WEBOTA_OK;
}

static sim_inflate_zlib_t zl;

/* Feeds gz in `step`-byte chunks and finishes; returns the first error. */
static webota_err_t run(const uint8_t *gz, size_t len, size_t step, uint32_t limit, out_t *o,
                        webota_gunzip_t *g)
{
    const webota_inflate_ops_t *ops = sim_inflate_zlib_init(&zl);
    assert_int_equal(webota_gunzip_init(g, ops, limit, to_out, o), WEBOTA_OK);
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        webota_err_t err = webota_gunzip_feed(g, gz + off, n);
        if (err != WEBOTA_OK) {
            assert_int_equal(webota_gunzip_finish(g), err); /* sticky */
            return err;
        }
    }
    return webota_gunzip_finish(g);
}

/* Pseudo-random bytes with runs, as firmware is: code, tables, zeros. */
static uint8_t *sample(size_t len, uint32_t seed)
{
    uint8_t *p = malloc(len);
    uint32_t x = seed | 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = (i / 4096) % 3 == 0 ? 0 : (i / 4096) % 3 == 1 ? (uint8_t)x : (uint8_t)(x & 7);
    }
    return p;
}

static void test_round_trip_any_chunking(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 1000, 70000, 300000};
    static const size_t steps[] = {1, 7, 255, 4096, 65536, (size_t)-1};
    for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
        uint8_t *data = sample(lens[li], (uint32_t)li + 1);
        size_t gl;
        uint8_t *gz = gz_make(data, lens[li], &gl);
        assert_non_null(gz);
        for (size_t si = 0; si < sizeof(steps) / sizeof(steps[0]); si++) {
            if (lens[li] > 70000 && steps[si] < 255) {
                continue; /* byte-sized chunks of the big one add nothing but time */
            }
            out_t o = {0};
            webota_gunzip_t g;
            size_t step = steps[si] == (size_t)-1 ? (gl ? gl : 1) : steps[si];
            assert_int_equal(run(gz, gl, step, 0, &o, &g), WEBOTA_OK);
            assert_int_equal(o.n, lens[li]);
            if (lens[li] > 0) {
                assert_memory_equal(o.p, data, lens[li]);
            }
            assert_int_equal(webota_gunzip_in(&g), gl);
            assert_int_equal(webota_gunzip_out(&g), lens[li]);
            assert_int_equal(webota_gunzip_error(&g), WEBOTA_OK);
            free(o.p);
        }
        free(gz);
        free(data);
    }
}

/* A member with a hand-built header around zlib's raw DEFLATE data. */
static uint8_t *member(const uint8_t *data, size_t len, uint8_t flags, bool good_hcrc, size_t *out)
{
    size_t rl;
    uint8_t *raw = gz_deflate(data, len, 6, -15, &rl);
    uint8_t *m = malloc(rl + 200);
    size_t n = 0;
    const uint8_t fixed[10] = {0x1f, 0x8b, 8, flags, 1, 2, 3, 4, 0, 3};
    memcpy(m, fixed, 10);
    n = 10;
    if (flags & 0x04) {
        m[n++] = 5, m[n++] = 0;
        memcpy(m + n, "AB\3\0x", 5);
        n += 5;
    }
    if (flags & 0x08) {
        memcpy(m + n, "app.bin", 8);
        n += 8;
    }
    if (flags & 0x10) {
        memcpy(m + n, "a comment", 10);
        n += 10;
    }
    if (flags & 0x02) {
        uint32_t c = webota_crc32_le(0, m, n);
        m[n++] = (uint8_t)(c & 0xFF) ^ (good_hcrc ? 0 : 1);
        m[n++] = (uint8_t)(c >> 8);
    }
    memcpy(m + n, raw, rl);
    n += rl;
    uint32_t c = webota_crc32_le(0, data, len);
    for (int i = 0; i < 4; i++) {
        m[n++] = (uint8_t)(c >> (8 * i));
    }
    for (int i = 0; i < 4; i++) {
        m[n++] = (uint8_t)(len >> (8 * i));
    }
    free(raw);
    *out = n;
    return m;
}

static void test_header_flags(void **state)
{
    (void)state;
    uint8_t *data = sample(20000, 9);
    for (unsigned flags = 0; flags < 32; flags++) {
        size_t ml;
        uint8_t *m = member(data, 20000, (uint8_t)flags, true, &ml);
        for (size_t step = 1; step <= 4096; step *= 64) {
            out_t o = {0};
            webota_gunzip_t g;
            assert_int_equal(run(m, ml, step, 0, &o, &g), WEBOTA_OK);
            assert_int_equal(o.n, 20000);
            assert_memory_equal(o.p, data, 20000);
            free(o.p);
        }
        if (flags & 0x02) {
            free(m);
            m = member(data, 20000, (uint8_t)flags, false, &ml);
            out_t o = {0};
            webota_gunzip_t g;
            assert_int_equal(run(m, ml, 100, 0, &o, &g), WEBOTA_ERR_GZ_HEADER);
            assert_int_equal(o.n, 0);
        }
        free(m);
    }
    /* not gzip, another method, a reserved flag: refused where they are */
    static const struct {
        uint8_t at, value;
    } bad[] = {{0, 0xE9}, {1, 0x8c}, {2, 7}, {3, 0x20}, {3, 0x80}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t ml;
        uint8_t *m = member(data, 20000, 0, true, &ml);
        m[bad[i].at] = bad[i].value;
        out_t o = {0};
        webota_gunzip_t g;
        assert_int_equal(run(m, ml, 3, 0, &o, &g), WEBOTA_ERR_GZ_HEADER);
        assert_int_equal(webota_gunzip_error_offset(&g), bad[i].at);
        assert_int_equal(o.n, 0);
        free(m);
    }
    free(data);
}

static void test_damaged_streams(void **state)
{
    (void)state;
    size_t len = 50000, gl;
    uint8_t *data = sample(len, 3);
    uint8_t *gz = gz_make(data, len, &gl);

    /* truncated anywhere: never accepted, and what came out is a prefix */
    for (size_t cut = 0; cut < gl; cut += (cut < 40 ? 1 : 97)) {
        out_t o = {0};
        webota_gunzip_t g;
        webota_err_t err = run(gz, cut, 512, 0, &o, &g);
        assert_int_equal(err, WEBOTA_ERR_GZ_TRUNCATED);
        assert_int_equal(webota_gunzip_error_offset(&g), cut);
        assert_true(o.n <= len);
        if (o.n > 0) {
            assert_memory_equal(o.p, data, o.n);
        }
        free(o.p);
    }
    /* trailer: CRC, ISIZE */
    struct {
        size_t at;
        webota_err_t want;
    } trail[] = {{gl - 8, WEBOTA_ERR_GZ_CRC}, {gl - 5, WEBOTA_ERR_GZ_CRC},
                 {gl - 4, WEBOTA_ERR_GZ_SIZE}, {gl - 1, WEBOTA_ERR_GZ_SIZE}};
    for (size_t i = 0; i < 4; i++) {
        gz[trail[i].at] ^= 0x10;
        out_t o = {0};
        webota_gunzip_t g;
        assert_int_equal(run(gz, gl, 4096, 0, &o, &g), trail[i].want);
        assert_int_equal(o.n, len); /* all inflated, refused only at the trailer */
        gz[trail[i].at] ^= 0x10;
        free(o.p);
    }
    /* data after the member (a second member or garbage) */
    uint8_t *two = malloc(gl * 2);
    memcpy(two, gz, gl);
    memcpy(two + gl, gz, gl);
    for (size_t extra = 1; extra <= gl; extra = extra * 5 + 1) {
        out_t o = {0};
        webota_gunzip_t g;
        assert_int_equal(run(two, gl + extra, 1000, 0, &o, &g), WEBOTA_ERR_GZ_TRAILING);
        assert_int_equal(webota_gunzip_error_offset(&g), gl);
        free(o.p);
    }
    free(two);
    /* a corrupt DEFLATE stream: reserved block type 3 at the first block */
    gz[10] = 0x07;
    out_t o = {0};
    webota_gunzip_t g;
    assert_int_equal(run(gz, gl, 4096, 0, &o, &g), WEBOTA_ERR_GZ_DATA);
    assert_int_equal(o.n, 0);
    free(gz);
    free(data);
}

/* 64 MiB of zeros in ~64 KiB: stops at the limit, the sink never sees more. */
static void test_bomb_stops_at_limit(void **state)
{
    (void)state;
    size_t len = 64u << 20, gl;
    uint8_t *zeros = calloc(1, len);
    uint8_t *gz = gz_make(zeros, len, &gl);
    free(zeros);
    assert_true(gl < 100000);
    out_t o = {0};
    webota_gunzip_t g;
    assert_int_equal(run(gz, gl, 4096, 1u << 20, &o, &g), WEBOTA_ERR_GZ_TOO_BIG);
    assert_true(o.n <= 1u << 20);
    assert_true(webota_gunzip_out(&g) <= 1u << 20);
    free(o.p);
    /* exactly at the limit is fine */
    uint8_t *d = sample(100000, 5);
    free(gz);
    gz = gz_make(d, 100000, &gl);
    out_t o2 = {0};
    assert_int_equal(run(gz, gl, 4096, 100000, &o2, &g), WEBOTA_OK);
    free(o2.p);
    out_t o3 = {0};
    assert_int_equal(run(gz, gl, 4096, 99999, &o3, &g), WEBOTA_ERR_GZ_TOO_BIG);
    free(o3.p);
    free(gz);
    free(d);
}

static void test_sink_error_and_stop(void **state)
{
    (void)state;
    size_t gl;
    uint8_t *d = sample(200000, 6);
    uint8_t *gz = gz_make(d, 200000, &gl);
    out_t o = {0};
    o.fail_after = 50000;
    webota_gunzip_t g;
    assert_int_equal(run(gz, gl, 4096, 0, &o, &g), WEBOTA_ERR_IMG_CHIP);
    assert_true(o.n <= 50000);
    free(o.p);
    /* stopped halfway (the client went away): aborted, later calls say so */
    out_t o2 = {0};
    const webota_inflate_ops_t *ops = sim_inflate_zlib_init(&zl);
    assert_int_equal(webota_gunzip_init(&g, ops, 0, to_out, &o2), WEBOTA_OK);
    assert_int_equal(webota_gunzip_feed(&g, gz, gl / 2), WEBOTA_OK);
    webota_gunzip_stop(&g);
    webota_gunzip_stop(&g);
    assert_int_equal(webota_gunzip_feed(&g, gz + gl / 2, 10), WEBOTA_ERR_UPD_ABORTED);
    assert_int_equal(webota_gunzip_finish(&g), WEBOTA_ERR_UPD_ABORTED);
    free(o2.p);
    /* arguments */
    assert_int_equal(webota_gunzip_init(&g, NULL, 0, to_out, &o2), WEBOTA_ERR_ARG);
    assert_int_equal(webota_gunzip_feed(&g, gz, 1), WEBOTA_ERR_ARG);
    assert_int_equal(webota_gunzip_init(&g, ops, 0, NULL, &o2), WEBOTA_ERR_ARG);
    assert_true(webota_gunzip_sniff(gz, gl));
    assert_true(webota_gunzip_sniff(gz, 1));
    assert_false(webota_gunzip_sniff("\xe9", 1));
    assert_false(webota_gunzip_sniff("\x1f\x8c", 2));
    assert_false(webota_gunzip_sniff(gz, 0));
    /* the reported RAM is what zlib used, inside the arena */
    assert_true(zl.arena_peak > 32768 && zl.arena_peak <= SIM_INFLATE_ARENA);
    assert_int_equal(ops->window_bytes, 32768);
    assert_int_equal(ops->state_bytes, sizeof(sim_inflate_zlib_t));
    sim_inflate_zlib_close(&zl);
    free(gz);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_any_chunking),
        cmocka_unit_test(test_header_flags),
        cmocka_unit_test(test_damaged_streams),
        cmocka_unit_test(test_bomb_stops_at_limit),
        cmocka_unit_test(test_sink_error_and_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
