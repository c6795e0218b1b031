/* The ROM CRC-32 variant against the table and check value of
 * docs/formats.md#otadata-crc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "webota/crc32.h"
#include "webota/otadata.h"

static void check_value(void **state)
{
    (void)state;
    /* init 0 / xorout 0xFFFFFFFF: not the standard CRC-32 (0xCBF43926). */
    assert_int_equal(webota_crc32_le(0xFFFFFFFFu, "123456789", 9), 0xD202D277u);
    /* seed 0 is the standard CRC-32 (zlib crc32(buf, 0)). */
    assert_int_equal(webota_crc32_le(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(webota_crc32_le(0, "", 0), 0u);
    assert_int_equal(webota_crc32_le(0x12345678u, "", 0), 0x12345678u);
}

static void chaining(void **state)
{
    (void)state;
    /* ~seed in, ~r out: chaining two calls equals one call over both halves. */
    uint32_t whole = webota_crc32_le(0xFFFFFFFFu, "123456789", 9);
    uint32_t part = webota_crc32_le(0xFFFFFFFFu, "1234", 4);
    assert_int_equal(webota_crc32_le(part, "56789", 5), whole);
}

static void seq_table(void **state)
{
    (void)state;
    static const struct {
        uint32_t seq, crc;
    } t[] = {
        {1, 0x4743989Au},
        {2, 0x55F63774u},
        {3, 0xED4A5011u},
        {4, 0x709D68A8u},
        {5, 0xC8210FCDu},
        {6, 0xDA94A023u},
        {7, 0x6228C746u},
        {8, 0x3A4BD710u},
        {0, 0xFFFFFFFFu},
        {0xFFFFFFFFu, 0x2144DF1Cu},
        /* from the label_and_large_seq vector's read_otadata log */
        {0x10, 0xAFE6A860u},
        {0x0F, 0xA79CEFA9u},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        assert_int_equal(webota_ota_seq_crc(t[i].seq), t[i].crc);
        uint8_t le[4] = {(uint8_t)t[i].seq, (uint8_t)(t[i].seq >> 8), (uint8_t)(t[i].seq >> 16),
                         (uint8_t)(t[i].seq >> 24)};
        assert_int_equal(webota_crc32_le(0xFFFFFFFFu, le, 4), t[i].crc);
    }
}

/* Bit-serial reference: independent of the table. */
static uint32_t crc_bitwise(uint32_t seed, const uint8_t *p, size_t n)
{
    uint32_t r = ~seed;
    for (size_t i = 0; i < n; i++) {
        r ^= p[i];
        for (int b = 0; b < 8; b++)
            r = (r & 1u) ? (r >> 1) ^ 0xEDB88320u : r >> 1;
    }
    return ~r;
}

static void matches_bitwise(void **state)
{
    (void)state;
    uint8_t buf[300];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t n = 0; n <= sizeof buf; n += 7)
        for (uint32_t seed = 0; seed < 4; seed++) {
            uint32_t s = seed * 0x55555555u;
            assert_int_equal(webota_crc32_le(s, buf, n), crc_bitwise(s, buf, n));
        }
}

/* The four-bytes-a-step loop against the bit-serial reference for every
 * length up to 300, every start alignment, and chained in pieces. */
static void slicing_matches_bitwise(void **state)
{
    (void)state;
    uint8_t buf[320];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < 4; off++) {
        for (size_t len = 0; len <= 300; len++) {
            uint32_t want = crc_bitwise(0xFFFFFFFFu, buf + off, len);
            assert_int_equal(webota_crc32_le(0xFFFFFFFFu, buf + off, len), want);
            size_t cut = len / 3;
            uint32_t part = webota_crc32_le(0xFFFFFFFFu, buf + off, cut);
            assert_int_equal(webota_crc32_le(part, buf + off + cut, len - cut), want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_value),
        cmocka_unit_test(chaining),
        cmocka_unit_test(seq_table),
        cmocka_unit_test(slicing_matches_bitwise),
        cmocka_unit_test(matches_bitwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
