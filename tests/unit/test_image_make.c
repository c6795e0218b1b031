/* The image maker: every chip's image passes the checker with the requested
 * fields, the layout is esptool's, output is deterministic and sized. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "webota/image.h"
#include "webota/image_make.h"

struct mem {
    uint8_t *p;
    size_t n, cap;
    size_t max_chunk;
    size_t fail_after; /* 0 = never */
};

static webota_err_t to_mem(void *ctx, const void *data, size_t len)
{
    struct mem *m = ctx;
    if (m->fail_after != 0 && m->n + len > m->fail_after) {
        return WEBOTA_ERR_IO;
    }
    if (m->n + len > m->cap) {
        m->cap = (m->n + len) * 2;
        m->p = realloc(m->p, m->cap);
    }
    memcpy(m->p + m->n, data, len);
    m->n += len;
    if (len > m->max_chunk) {
        m->max_chunk = len;
    }
    return WEBOTA_OK;
}

static const webota_chip_t makeable[] = {
    WEBOTA_CHIP_ESP32,   WEBOTA_CHIP_ESP32S2, WEBOTA_CHIP_ESP32S3,  WEBOTA_CHIP_ESP32C2, WEBOTA_CHIP_ESP32C3,
    WEBOTA_CHIP_ESP32C5, WEBOTA_CHIP_ESP32C6, WEBOTA_CHIP_ESP32C61, WEBOTA_CHIP_ESP32H2, WEBOTA_CHIP_ESP32P4,
};

static void test_every_chip_passes_checker(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {0, 1000, 4096, 0x10000, 0x10800, 100000, 300 * 1024, 1 << 20};
    for (unsigned ci = 0; ci < sizeof(makeable) / sizeof(makeable[0]); ci++) {
        for (unsigned si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
            for (unsigned v = 0; v < 4; v++) {
                webota_image_make_opts_t o;
                webota_image_make_defaults(&o, makeable[ci]);
                o.size = sizes[si];
                o.marker = (v & 1) != 0;
                o.hash = (v & 2) != 0;
                o.project = "maker-test";
                o.version = "9.8.7-rc";
                o.idf_ver = "v5.4.1";
                o.secure_version = 7 + v;
                o.seed = si + 1;
                o.min_rev_full = 1;
                o.max_rev_full = 199;
                struct mem m = {NULL, 0, 0, 0, 0};
                assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_OK);
                assert_int_equal(m.n, webota_image_make_length(&o));
                assert_true(m.max_chunk <= 256);
                if (sizes[si] >= 4096) {
                    /* sized to the target */
                    assert_true(m.n <= sizes[si] + 0x40);
                    assert_true(m.n + 0x40 >= sizes[si]);
                }
                webota_image_policy_t pol = {.check_chip = true, .chip = (int)makeable[ci], .check_chip_rev = true, .chip_rev = 150,
                                               .check_efuse_blk_rev = true, .efuse_blk_rev = 0};
                webota_image_checker_t c;
                webota_image_info_t info;
                webota_err_t e = webota_image_check_buffer(m.p, m.n, &pol, &info, &c);
                const webota_image_info_t *in = webota_image_info(&c);
                const webota_image_status_t *st = webota_image_status(&c);
                assert_ptr_equal(in, &info);
                if (e != WEBOTA_OK) {
                    fail_msg("chip %s size %u: %s at 0x%x", webota_chip_info(makeable[ci])->name,
                             (unsigned)sizes[si], webota_err_name(e), st->err_offset);
                }
                assert_int_equal(st->marker, o.marker);
                assert_int_equal(in->hash_appended, o.hash);
                assert_true(st->checksum_valid);
                assert_int_equal(st->hash_valid, o.hash);
                assert_int_equal(st->length, m.n);
                assert_int_equal(in->min_rev_full, 1);
                assert_int_equal(in->max_rev_full, 199);
                assert_string_equal(in->desc.project_name, "maker-test");
                assert_string_equal(in->desc.version, "9.8.7-rc");
                assert_string_equal(in->desc.idf_ver, "v5.4.1");
                assert_int_equal(in->desc.secure_version, 7 + v);
                assert_int_equal(in->desc.mmu_page_size, 16);
                /* esptool's layout: DROM first with the descriptor at 0x20, entry in IRAM, IROM last */
                assert_int_equal(in->segment[0].offset, 0x18);
                assert_true(webota_chip_is_mapped(in->chip, in->segment[0].load));
                assert_int_equal(in->entry, in->segment[2].load);
                /* elf2image sorts the RAM segments by address */
                assert_true(in->segment[1].load < in->segment[2].load);
                if (in->segment_count == 5) {
                    assert_int_equal(in->segment[3].load, 0);
                    assert_true(webota_chip_is_mapped(in->chip, in->segment[4].load));
                    assert_int_equal((in->segment[4].offset + 8) % 0x10000, 0x20);
                    assert_true(in->segment[4].offset >= 0x10000); /* not in the DROM's first page */
                } else {
                    assert_int_equal(in->segment_count, 3);
                }
                /* outside the chip's checks: a second run gives the same bytes */
                struct mem m2 = {NULL, 0, 0, 0, 0};
                assert_int_equal(webota_image_make(&o, to_mem, &m2), WEBOTA_OK);
                assert_int_equal(m2.n, m.n);
                assert_memory_equal(m.p, m2.p, m.n);
                free(m2.p);
                free(m.p);
            }
        }
    }
}

/* Any size up to the chip's limit is possible (a 4 MiB ESP32 image too), the
 * limit is exact, and the mapped segments sit inside their windows without
 * overlapping. */
static void test_up_to_the_chip_limit(void **state)
{
    (void)state;
    for (unsigned ci = 0; ci < sizeof(makeable) / sizeof(makeable[0]); ci++) {
        uint32_t max = webota_image_make_max_size(makeable[ci]);
        const char *name = webota_chip_info(makeable[ci])->name;
        assert_true(max >= 4u * 1024 * 1024 - 0x10000); /* every chip maps more than 4 MiB */
        uint32_t sizes[] = {4u * 1024 * 1024, max};
        for (unsigned si = 0; si < 2; si++) {
            if (sizes[si] > max) {
                continue;
            }
            webota_image_make_opts_t o;
            webota_image_make_defaults(&o, makeable[ci]);
            o.size = sizes[si];
            struct mem m = {NULL, 0, 0, 0, 0};
            assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_OK);
            assert_int_equal(m.n, webota_image_make_length(&o));
            assert_true(m.n <= o.size + 0x40 && m.n + 0x40 >= o.size);
            webota_image_policy_t pol = {.check_chip = true, .chip = (int)makeable[ci], .check_chip_rev = true, .chip_rev = 0,
                                           .check_efuse_blk_rev = true, .efuse_blk_rev = 0};
            webota_image_checker_t c;
            webota_image_info_t info;
            webota_err_t e = webota_image_check_buffer(m.p, m.n, &pol, &info, &c);
            if (e != WEBOTA_OK) {
                fail_msg("chip %s size %u: %s at 0x%x", name, (unsigned)o.size, webota_err_name(e),
                         webota_image_status(&c)->err_offset);
            }
            assert_int_equal(info.segment_count, 5);
            uint32_t d0 = info.segment[0].load, d1 = d0 + info.segment[0].length;
            uint32_t i0 = info.segment[4].load, i1 = i0 + info.segment[4].length;
            assert_true(d1 <= i0 || i1 <= d0); /* DROM and IROM never share an address */
            assert_true(webota_chip_is_mapped(info.chip, d1 - 4));
            assert_true(webota_chip_is_mapped(info.chip, i1 - 4));
            if (makeable[ci] == WEBOTA_CHIP_ESP32) {
                assert_int_equal(i0, 0x400D0020u); /* where the linker puts .flash.text */
            }
            free(m.p);
        }
        if (max < 0xF00000u) {
            webota_image_make_opts_t o;
            webota_image_make_defaults(&o, makeable[ci]);
            o.size = max + 1;
            assert_int_equal(webota_image_make_length(&o), 0);
        }
    }
    assert_int_equal(webota_image_make_max_size((webota_chip_t)9999), 0);
}

/* Real contents instead of pseudo-random ones: the segments carry the fill
 * bytes, repeated, and the image is as valid as any. */
static void test_fill(void **state)
{
    (void)state;
    static const uint8_t code[] = "\x13\x01\x01\xff\x23\x26\x11\x00 real-looking code \x82\x80";
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32C3);
    o.size = 300000;
    o.fill = code;
    o.fill_len = sizeof(code);
    struct mem m = {NULL, 0, 0, 0, 0};
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_OK);
    webota_image_policy_t pol = {.check_chip = true, .chip = WEBOTA_CHIP_ESP32C3, .check_chip_rev = true, .chip_rev = 0,
                                   .check_efuse_blk_rev = true, .efuse_blk_rev = 0};
    webota_image_checker_t c;
    webota_image_info_t info;
    assert_int_equal(webota_image_check_buffer(m.p, m.n, &pol, &info, &c), WEBOTA_OK);
    /* the IROM segment (the last) is the fill, from some point of it on */
    const webota_image_segment_t *irom = &info.segment[info.segment_count - 1];
    const uint8_t *d = m.p + irom->offset + 8;
    size_t at = 0;
    while (at < sizeof(code) && memcmp(d, code + at, sizeof(code) - at) != 0) {
        at++;
    }
    assert_true(at < sizeof(code));
    size_t k = sizeof(code) - at;
    assert_memory_equal(d + k, code, sizeof(code));
    assert_memory_equal(d + k + sizeof(code), code, sizeof(code));
    free(m.p);
    o.fill_len = 0;
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_ERR_ARG);
}

static void test_seed_and_defaults(void **state)
{
    (void)state;
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
    o.size = 200000;
    struct mem a = {NULL, 0, 0, 0, 0}, b = {NULL, 0, 0, 0, 0};
    assert_int_equal(webota_image_make(&o, to_mem, &a), WEBOTA_OK);
    o.seed = 2;
    assert_int_equal(webota_image_make(&o, to_mem, &b), WEBOTA_OK);
    assert_int_equal(a.n, b.n);
    assert_memory_not_equal(a.p, b.p, a.n);
    assert_memory_equal(a.p, b.p, 0x20); /* same header and segment 0 header */
    webota_image_checker_t c;
    webota_image_info_t in;
    assert_int_equal(webota_image_check_buffer(a.p, a.n, NULL, &in, &c), WEBOTA_OK);
    assert_string_equal(in.desc.project_name, "webota-app");
    assert_string_equal(in.desc.date, "Jan  1 2025");
    assert_string_equal(in.desc.time, "00:00:00");
    assert_string_equal(in.desc.idf_ver, "v5.5");
    assert_true(webota_image_status(&c)->marker);
    assert_int_equal(in.spi_mode, 2);
    assert_int_equal(in.spi_size, 2);
    free(a.p);
    free(b.p);
}

static void test_bad_options(void **state)
{
    (void)state;
    webota_image_make_opts_t o;
    struct mem m = {NULL, 0, 0, 0, 0};
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32H4); /* id only: no memory map */
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_ERR_ARG);
    assert_int_equal(webota_image_make_length(&o), 0);
    webota_image_make_defaults(&o, (webota_chip_t)99);
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_ERR_ARG);
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32C3);
    o.project = "a-project-name-that-is-32-chars!";
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_ERR_ARG);
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32C3);
    o.version = NULL;
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_ERR_ARG);
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32C3);
    o.size = 0x1000000;
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_ERR_ARG);
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32C3);
    o.flash_mode = 6;
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_ERR_ARG);
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32C3);
    o.max_rev_full = 0x10000;
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_ERR_ARG);
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32C3);
    assert_int_equal(webota_image_make(&o, NULL, &m), WEBOTA_ERR_ARG);
    assert_int_equal(m.n, 0);
    /* the sink's error stops the output and is returned */
    m.fail_after = 1000;
    o.size = 100000;
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_ERR_IO);
    assert_true(m.n <= 1000);
    free(m.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_chip_passes_checker),
        cmocka_unit_test(test_up_to_the_chip_limit),
        cmocka_unit_test(test_fill),
        cmocka_unit_test(test_seed_and_defaults),
        cmocka_unit_test(test_bad_options),
    };
    assert_int_equal(webota_crypto_init(), WEBOTA_OK);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
