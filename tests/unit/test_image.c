/* The streaming image checker against every image vector of
 * tests/vectors/manifest.tsv: valid images give the fields esptool's
 * image_info recorded; every corrupted one is refused with the reason the
 * manifest gives; and nothing depends on how the stream is chunked. */
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

/* ---- helpers ---- */

/* A checker and the info it records. */
typedef struct {
    webota_image_checker_t c;
    webota_image_info_t in;
} checked_t;

static const webota_image_status_t *ST(const checked_t *r)
{
    return webota_image_status(&r->c);
}

/* info may be NULL (nothing recorded). */
static webota_err_t check_chunked(const uint8_t *d, size_t n, const webota_image_policy_t *pol, size_t chunk,
                                  unsigned rnd_seed, webota_image_checker_t *c, webota_image_info_t *info)
{
    webota_image_init(c, pol, info);
    size_t off = 0;
    while (off < n) {
        size_t k = chunk;
        if (rnd_seed != 0) {
            rnd_seed = rnd_seed * 1103515245u + 12345u;
            k = 1 + (rnd_seed >> 8) % 5000;
        }
        if (k > n - off) {
            k = n - off;
        }
        webota_image_feed(c, d + off, k);
        off += k;
    }
    return webota_image_finish(c);
}

/* Whole-buffer verdict, then the same with 1, 7, 4096 and random chunks:
 * verdict, offset, status and every recorded field identical; and each of
 * these again without an info record: the same verdict and status. */
static webota_err_t check_all_chunkings(const uint8_t *d, size_t n, const webota_image_policy_t *pol,
                                        checked_t *ref)
{
    webota_err_t e = webota_image_check_buffer(d, n, pol, &ref->in, &ref->c);
    assert_ptr_equal(webota_image_info(&ref->c), &ref->in);
    webota_image_checker_t bare;
    assert_int_equal(webota_image_check_buffer(d, n, pol, NULL, &bare), e);
    assert_null(webota_image_info(&bare));
    assert_memory_equal(webota_image_status(&bare), ST(ref), sizeof(webota_image_status_t));
    static const size_t chunks[] = {1, 7, 4096, 0, 0, 0};
    for (unsigned i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        checked_t r;
        webota_err_t e2 = check_chunked(d, n, pol, chunks[i], chunks[i] ? 0 : 1000 + i, &r.c, &r.in);
        assert_int_equal(e2, e);
        assert_int_equal(ST(&r)->err_offset, ST(ref)->err_offset);
        assert_memory_equal(ST(&r), ST(ref), sizeof(webota_image_status_t));
        assert_memory_equal(&r.in, &ref->in, sizeof(r.in));
        e2 = check_chunked(d, n, pol, chunks[i], chunks[i] ? 0 : 1000 + i, &bare, NULL);
        assert_int_equal(e2, e);
        assert_memory_equal(webota_image_status(&bare), ST(ref), sizeof(webota_image_status_t));
    }
    return e;
}

static char *read_text(const char *rel)
{
    size_t len;
    return (char *)tu_read_vector(rel, &len);
}

/* The part of corrupt/image_info.txt recorded for one file. */
static char *info_section(const char *all, const char *file)
{
    char key[256];
    snprintf(key, sizeof key, " %s ->", file);
    const char *s = strstr(all, key);
    assert_non_null(s);
    const char *end = strstr(s + 1, "\n####");
    size_t n = end ? (size_t)(end - s) : strlen(s);
    char *out = malloc(n + 1);
    memcpy(out, s, n);
    out[n] = 0;
    return out;
}

static const char *field(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (p == NULL) {
        return NULL;
    }
    return p + strlen(key);
}

static void expect_str_field(const char *text, const char *key, const char *want)
{
    const char *v = field(text, key);
    assert_non_null(v);
    size_t n = strcspn(v, "\n");
    if (strlen(want) != n || memcmp(v, want, n) != 0) {
        fail_msg("%s expected '%.*s', checker says '%s'", key, (int)n, v, want);
    }
}

static void hexstr(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
}

/* Compare the checker's fields with esptool's image_info text. */
static void compare_with_esptool(const char *text, const webota_image_status_t *st, const webota_image_info_t *in)
{
    char buf[128];
    unsigned u;
    const char *v = field(text, "Entry point: 0x");
    assert_non_null(v);
    assert_int_equal(sscanf(v, "%x", &u), 1);
    assert_int_equal(u, in->entry);
    v = field(text, "\nSegments: ");
    assert_non_null(v);
    assert_int_equal(atoi(v), in->segment_count_hdr);
    assert_int_equal(in->segment_count, in->segment_count_hdr);
    v = field(text, "Chip ID: ");
    assert_int_equal(atoi(v), in->chip_id);
    snprintf(buf, sizeof buf, "v%u.%u, (legacy min_rev = %u)", in->min_rev_full / 100, in->min_rev_full % 100,
             in->min_rev);
    expect_str_field(text, "Minimal chip revision: ", buf);
    snprintf(buf, sizeof buf, "v%u.%u", in->max_rev_full / 100, in->max_rev_full % 100);
    expect_str_field(text, "Maximal chip revision: ", buf);

    /* segment rows: "      0  0x00110  0x3f400020  0x00000018  DROM" */
    const char *rows = strstr(text, "-------  -------");
    assert_non_null(rows);
    rows = strchr(rows, '\n') + 1;
    for (unsigned i = 0; i < in->segment_count; i++) {
        unsigned idx, len, load, off;
        char types[128] = "";
        assert_true(sscanf(rows, "%u 0x%x 0x%x 0x%x %127[^\n]", &idx, &len, &load, &off, types) >= 4);
        assert_int_equal(idx, i);
        assert_int_equal(len, in->segment[i].length);
        assert_int_equal(load, in->segment[i].load);
        assert_int_equal(off, in->segment[i].offset);
        char mine[160];
        webota_chip_mem_names(in->chip, load, mine, sizeof mine);
        assert_string_equal(mine, types);
        rows = strchr(rows, '\n') + 1;
    }

    assert_int_equal(st->chip_id, in->chip_id);
    assert_int_equal(st->min_rev_full, in->min_rev_full);
    assert_int_equal(st->max_rev_full, in->max_rev_full);
    assert_true(st->checksum_seen);
    if (st->checksum_valid) {
        snprintf(buf, sizeof buf, "0x%x (valid)", in->checksum_stored);
    } else {
        snprintf(buf, sizeof buf, "0x%x (invalid - calculated %02x)", in->checksum_stored, in->checksum_calc);
    }
    expect_str_field(text, "Checksum: ", buf);
    if (in->hash_appended) {
        hexstr(in->sha256_stored, 32, buf);
        assert_true(st->hash_seen);
        strcat(buf, st->hash_valid ? " (valid)" : " (invalid)");
        expect_str_field(text, "Validation hash: ", buf);
    } else {
        assert_null(field(text, "Validation hash: "));
        assert_false(st->hash_seen);
    }

    assert_true(st->desc_seen);
    expect_str_field(text, "Project name: ", in->desc.project_name);
    expect_str_field(text, "App version: ", in->desc.version);
    snprintf(buf, sizeof buf, "%s %s", in->desc.date, in->desc.time);
    expect_str_field(text, "Compile time: ", buf);
    hexstr(in->desc.app_elf_sha256, 32, buf);
    expect_str_field(text, "ELF file SHA256: ", buf);
    expect_str_field(text, "ESP-IDF: ", in->desc.idf_ver);
    snprintf(buf, sizeof buf, "%u KB", (1u << in->desc.mmu_page_size) / 1024);
    expect_str_field(text, "MMU page size: ", buf);
    snprintf(buf, sizeof buf, "%u", (unsigned)in->desc.secure_version);
    expect_str_field(text, "Secure version: ", buf);
}

struct expectation {
    const char *suffix;
    webota_err_t err;
    int offset; /* -1: taken from the manifest detail or not checked */
};

static const struct expectation corrupt_rules[] = {
    {"bad_magic", WEBOTA_ERR_IMG_MAGIC, 0},
    {"checksum_flip", WEBOTA_ERR_IMG_CHECKSUM, -1},
    {"checksum_flip_rehashed", WEBOTA_ERR_IMG_CHECKSUM, -1},
    {"data_flip", WEBOTA_ERR_IMG_CHECKSUM, -1},
    {"irom_flip", WEBOTA_ERR_IMG_CHECKSUM, -1},
    {"padding_flip", WEBOTA_ERR_IMG_CHECKSUM, -1},
    {"data_flip_pair", WEBOTA_ERR_IMG_HASH, -1},
    {"sha_flip", WEBOTA_ERR_IMG_HASH, -1},
    {"chipid_esp32c3", WEBOTA_ERR_IMG_CHIP, 12},
    {"chipid_esp32c6", WEBOTA_ERR_IMG_CHIP, 12},
    {"mapped_misaligned", WEBOTA_ERR_IMG_MAPPED_ALIGN, 0x18},
    {"segcount_0", WEBOTA_ERR_IMG_SEGCOUNT, 1},
    {"segcount_17", WEBOTA_ERR_IMG_SEGCOUNT, 1},
    {"segments_17", WEBOTA_ERR_IMG_SEGCOUNT, 1},
    {"seglen_unaligned", WEBOTA_ERR_IMG_SEG_ALIGN, -1},
    {"seglen_past_eof", WEBOTA_ERR_IMG_TRUNCATED, -1},
    {"trunc_in_header", WEBOTA_ERR_IMG_TRUNCATED, -1},
    {"trunc_in_seg_header", WEBOTA_ERR_IMG_TRUNCATED, -1},
    {"trunc_in_segment", WEBOTA_ERR_IMG_TRUNCATED, -1},
    {"trunc_in_padding", WEBOTA_ERR_IMG_TRUNCATED, -1},
    {"trunc_before_checksum", WEBOTA_ERR_IMG_TRUNCATED, -1},
    {"trunc_before_hash", WEBOTA_ERR_IMG_TRUNCATED, -1},
    {"trunc_in_hash", WEBOTA_ERR_IMG_TRUNCATED, -1},
    {"appdesc_magic_bad", WEBOTA_ERR_IMG_APPDESC, 0x20},
};

static const webota_chip_info_t *chip_of(const char *file)
{
    char name[32];
    size_t n = strcspn(file, "_.");
    assert_true(n < sizeof name);
    memcpy(name, file, n);
    name[n] = 0;
    const webota_chip_info_t *c = webota_chip_by_name(name);
    assert_non_null(c);
    return c;
}

/* ---- the vector sweep ---- */

static void test_all_image_vectors(void **state)
{
    (void)state;
    char *manifest = read_text("manifest.tsv");
    char *corrupt_info = read_text("image/corrupt/image_info.txt");
    unsigned valid = 0, invalid = 0;
    for (char *line = strtok(manifest, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char path[256], kind[64], expected[64];
        if (sscanf(line, "%255[^\t]\t%63[^\t]\t%63[^\t]", path, kind, expected) != 3) {
            continue;
        }
        if (strncmp(path, "image/", 6) != 0 || strcmp(path + strlen(path) - 4, ".bin") != 0) {
            continue;
        }
        const char *detail = line + strlen(path) + strlen(kind) + strlen(expected) + 3;
        const char *file = strrchr(path, '/') + 1;
        const webota_chip_info_t *chip = chip_of(file);
        size_t n;
        uint8_t *d = tu_read_vector(path, &n);
        webota_image_policy_t pol = {.check_chip = true, .chip = (int)chip->chip};
        checked_t r;
        webota_err_t e = check_all_chunkings(d, n, &pol, &r);
        const webota_image_info_t *in = &r.in;
        const webota_image_status_t *st = ST(&r);

        if (strcmp(expected, "valid") == 0) {
            if (e != WEBOTA_OK) {
                fail_msg("%s: expected valid, got %s at 0x%x", path, webota_err_name(e), st->err_offset);
            }
            char *text;
            if (strncmp(path, "image/corrupt/", 14) == 0) {
                text = info_section(corrupt_info, file);
            } else {
                char rel[300];
                snprintf(rel, sizeof rel, "%.*s.info.txt", (int)(strlen(path) - 4), path);
                text = read_text(rel);
            }
            compare_with_esptool(text, st, in);
            free(text);
            assert_true(st->complete);
            assert_true(st->length <= n);
            assert_int_equal(st->trailing, n - st->length);
            valid++;
        } else {
            assert_true(strncmp(expected, "invalid", 7) == 0);
            const char *suffix = strchr(file, '.') + 1;
            const struct expectation *rule = NULL;
            for (unsigned i = 0; i < sizeof(corrupt_rules) / sizeof(corrupt_rules[0]); i++) {
                size_t k = strlen(corrupt_rules[i].suffix);
                if (strncmp(suffix, corrupt_rules[i].suffix, k) == 0 && strcmp(suffix + k, ".bin") == 0) {
                    rule = &corrupt_rules[i];
                }
            }
            if (rule == NULL) {
                fail_msg("%s: no expectation for this corruption", path);
            }
            if (e != rule->err) {
                fail_msg("%s: expected %s, got %s at 0x%x", path, webota_err_name(rule->err), webota_err_name(e),
                         st->err_offset);
            }
            if (rule->offset >= 0) {
                assert_int_equal(st->err_offset, (uint32_t)rule->offset);
            }
            /* cross-check the facts the manifest spells out */
            unsigned stored, at, calc;
            int trunc;
            const char *p = strstr(detail, "ESP-IDF rule: checksum byte 0x");
            if (p != NULL && sscanf(p, "ESP-IDF rule: checksum byte 0x%x at 0x%x, computed 0x%x", &stored, &at,
                                    &calc) == 3 && rule->err == WEBOTA_ERR_IMG_CHECKSUM) {
                assert_int_equal(in->checksum_stored, stored);
                assert_int_equal(in->checksum_calc, calc);
                assert_int_equal(st->err_offset, at);
            }
            if (strstr(detail, "appended SHA-256 does not match") != NULL && st->checksum_seen) {
                assert_false(st->hash_valid);
            }
            p = strstr(detail, "truncated to ");
            if (p != NULL && rule->err == WEBOTA_ERR_IMG_TRUNCATED) {
                assert_int_equal(sscanf(p, "truncated to %i", &trunc), 1);
                assert_int_equal(st->err_offset, (uint32_t)trunc);
                assert_int_equal((size_t)trunc, n);
            }
            if (rule->err == WEBOTA_ERR_IMG_TRUNCATED) {
                assert_int_equal(st->err_offset, n);
            }
            /* a wrong-chip image is refused without a chip policy too */
            if (rule->err == WEBOTA_ERR_IMG_CHIP) {
                webota_image_checker_t c2;
                assert_int_not_equal(webota_image_check_buffer(d, n, NULL, NULL, &c2), WEBOTA_OK);
            }
            invalid++;
        }
        free(d);
    }
    /* 13 valid images + 6 corrupt-but-valid variants; 62 corrupt ones */
    assert_int_equal(valid, 13 + 6);
    assert_int_equal(invalid, 62);
    free(manifest);
    free(corrupt_info);
}

/* ---- policy ---- */

struct desc_seen {
    unsigned calls;
    webota_app_desc_t desc;
    webota_err_t answer;
};

static webota_err_t on_desc(void *ctx, const webota_app_desc_t *d)
{
    struct desc_seen *s = ctx;
    s->calls++;
    s->desc = *d;
    return s->answer;
}

static void test_policy_refusal_stops_early(void **state)
{
    (void)state;
    size_t n;
    uint8_t *d = tu_read_vector("image/esp32c3_app.bin", &n);
    for (unsigned chunk = 1; chunk <= 4096; chunk *= 8) {
        struct desc_seen s = {0, {0}, WEBOTA_ERR_UPD_PROJECT};
        webota_image_policy_t pol = {.on_desc = on_desc, .ctx = &s};
        webota_image_checker_t c;
        webota_image_init(&c, &pol, NULL);
        size_t off = 0;
        webota_err_t e = WEBOTA_OK;
        while (off < n && e == WEBOTA_OK) {
            size_t k = chunk < n - off ? chunk : n - off;
            e = webota_image_feed(&c, d + off, k);
            off += k;
        }
        assert_int_equal(e, WEBOTA_ERR_UPD_PROJECT);
        assert_int_equal(s.calls, 1);
        assert_true(off < 0x1000 + 0x120); /* stopped within the chunk holding the descriptor's end */
        assert_int_equal(webota_image_status(&c)->received, 0x120);
        assert_int_equal(webota_image_status(&c)->err_offset, 0x20);
        assert_string_equal(s.desc.project_name, "vec-esp32c3-app");
        assert_string_equal(s.desc.version, "2.0.0-rc.1");
        assert_int_equal(s.desc.secure_version, 3);
        /* sticky: more data changes nothing */
        assert_int_equal(webota_image_feed(&c, d + off, n - off), WEBOTA_ERR_UPD_PROJECT);
        assert_int_equal(webota_image_finish(&c), WEBOTA_ERR_UPD_PROJECT);
        assert_int_equal(s.calls, 1);
    }
    /* accepted: called once, image valid */
    struct desc_seen s = {0, {0}, WEBOTA_OK};
    webota_image_policy_t pol = {.check_chip = true, .chip = WEBOTA_CHIP_ESP32C3, .check_chip_rev = true, .chip_rev = 4,
                                 .check_efuse_blk_rev = true, .efuse_blk_rev = 0, .on_desc = on_desc,
                                 .ctx = &s};
    webota_image_checker_t c;
    assert_int_equal(webota_image_check_buffer(d, n, &pol, NULL, &c), WEBOTA_OK);
    assert_int_equal(s.calls, 1);
    free(d);
}

static webota_err_t to_buf(void *ctx, const void *d, size_t n)
{
    uint8_t **p = ctx;
    memcpy(*p, d, n);
    *p += n;
    return WEBOTA_OK;
}

/* A zeroed policy is the default (webota_image_policy_init): any chip, chip
 * and eFuse block revisions not checked. Chip 0 is the ESP32 and revision 0
 * a real revision, so this would refuse all of these if zero meant them. */
static void test_zeroed_policy_is_default(void **state)
{
    (void)state;
    webota_image_policy_t zero, init;
    memset(&zero, 0, sizeof zero);
    memset(&init, 0xA5, sizeof init);
    webota_image_policy_init(&init);
    assert_memory_equal(&init, &zero, sizeof zero);

    /* an ESP32-C3 image that needs revision v1.0 */
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32C3);
    o.min_rev_full = 100;
    uint32_t len = webota_image_make_length(&o);
    assert_true(len > 0);
    uint8_t *img = malloc(len), *p = img;
    assert_int_equal(webota_image_make(&o, to_buf, &p), WEBOTA_OK);
    checked_t c;
    assert_int_equal(check_all_chunkings(img, len, &zero, &c), WEBOTA_OK);
    assert_int_equal(ST(&c)->min_rev_full, 100);
    /* the same image with revision 0 checked is refused: the zero policy did not check it */
    webota_image_policy_t rev0 = {.check_chip_rev = true, .chip_rev = 0};
    assert_int_equal(check_all_chunkings(img, len, &rev0, &c), WEBOTA_ERR_IMG_CHIP_REV_MIN);
    free(img);

    /* esptool-made images of other chips; the S3 one needs at least v0.1 */
    static const char *const vec[] = {"image/esp32s3_app.bin", "image/esp32c3_app.bin", "image/esp32c6_app.bin",
                                      "image/esp32_app.bin"};
    for (unsigned i = 0; i < sizeof vec / sizeof *vec; i++) {
        size_t n;
        uint8_t *d = tu_read_vector(vec[i], &n);
        assert_int_equal(check_all_chunkings(d, n, &zero, &c), WEBOTA_OK);
        free(d);
    }
}

static void test_policy_chip_rev_and_size(void **state)
{
    (void)state;
    size_t n;
    uint8_t *d = tu_read_vector("image/esp32s3_app.bin", &n); /* min v0.1, max v0.99 */
    checked_t c;
    webota_image_policy_t pol = {.check_chip = true, .chip = WEBOTA_CHIP_ESP32S3, .check_chip_rev = true, .chip_rev = 0};
    assert_int_equal(check_all_chunkings(d, n, &pol, &c), WEBOTA_ERR_IMG_CHIP_REV_MIN);
    assert_int_equal(ST(&c)->err_offset, 15);
    pol.chip_rev = 1;
    assert_int_equal(check_all_chunkings(d, n, &pol, &c), WEBOTA_OK);
    pol.chip_rev = 99;
    assert_int_equal(check_all_chunkings(d, n, &pol, &c), WEBOTA_OK);
    pol.chip_rev = 100;
    assert_int_equal(check_all_chunkings(d, n, &pol, &c), WEBOTA_ERR_IMG_CHIP_REV_MAX);
    assert_int_equal(ST(&c)->err_offset, 17);
    pol.chip = WEBOTA_CHIP_ESP32C3;
    pol.check_chip_rev = false;
    assert_int_equal(check_all_chunkings(d, n, &pol, &c), WEBOTA_ERR_IMG_CHIP);
    assert_int_equal(ST(&c)->err_offset, 12);

    /* slot size: a segment that cannot fit fails at its header; the stream at the limit */
    pol.check_chip = false;
    pol.max_size = (uint32_t)n;
    assert_int_equal(check_all_chunkings(d, n, &pol, &c), WEBOTA_OK);
    pol.max_size = 0x10000;
    assert_int_equal(check_all_chunkings(d, n, &pol, &c), WEBOTA_ERR_IMG_TOO_BIG);
    assert_int_equal(ST(&c)->err_offset, 0x164); /* length field of the padding segment (header at 0x160) */
    uint8_t *longer = malloc(n + 100);
    memcpy(longer, d, n);
    memset(longer + n, 0xFF, 100);
    pol.max_size = (uint32_t)n + 10;
    assert_int_equal(check_all_chunkings(longer, n + 100, &pol, &c), WEBOTA_ERR_IMG_TOO_BIG);
    assert_int_equal(ST(&c)->err_offset, n + 10);
    assert_int_equal(ST(&c)->received, n + 10);
    pol.max_size = 0;
    assert_int_equal(check_all_chunkings(longer, n + 100, &pol, &c), WEBOTA_OK);
    assert_int_equal(ST(&c)->trailing, 100);
    assert_false(ST(&c)->sig_blocks);
    free(longer);
    free(d);
}

/* ---- crafted failures: edit a valid image, then refresh checksum and SHA ---- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* Recomputes checksum and SHA-256 of a well-formed image in place (left
 * alone when the edited segment table no longer fits the buffer). */
static void refresh(uint8_t *d, size_t n)
{
    uint32_t off = 24;
    uint8_t x = 0xEF;
    for (unsigned i = 0; i < d[1]; i++) {
        if ((uint64_t)off + 8 > n || (uint64_t)off + 8 + rd32(d + off + 4) + 33 > n) {
            return;
        }
        uint32_t len = rd32(d + off + 4);
        for (uint32_t k = 0; k < len; k++) {
            x ^= d[off + 8 + k];
        }
        off += 8 + len;
    }
    off |= 15;
    d[off] = x;
    if (d[23]) {
        assert_int_equal(webota_sha256(d, off + 1, d + off + 1), WEBOTA_OK);
    }
}

static webota_err_t check_edited(const char *vec, void (*edit)(uint8_t *), const webota_image_policy_t *pol,
                                 uint32_t *err_offset)
{
    size_t n;
    uint8_t *d = tu_read_vector(vec, &n);
    edit(d);
    refresh(d, n);
    checked_t c;
    webota_err_t e = check_all_chunkings(d, n, pol, &c);
    *err_offset = ST(&c)->err_offset;
    free(d);
    return e;
}

static void edit_ram_outside(uint8_t *d)
{
    wr32(d + 0x12c, 0x3FF00000); /* esp32_small segment 1: DRAM -> nowhere */
}
static void edit_ram_straddles(uint8_t *d)
{
    wr32(d + 0x138, 0x400C0000 - 0x10); /* segment 2 (0x24 bytes) runs from IRAM into RTC IRAM */
}
static void edit_hash_flag_2(uint8_t *d)
{
    d[23] = 2;
}
static void edit_unknown_chip(uint8_t *d)
{
    d[12] = 0x42;
}
static void edit_id_only_chip(uint8_t *d)
{
    d[12] = 0x1C; /* ESP32-H4 */
}
static void edit_efuse_min(uint8_t *d)
{
    d[0x20 + 176] = 100; /* min eFuse block revision 1.0 */
}
static void edit_efuse_max(uint8_t *d)
{
    d[0x20 + 178] = 1; /* max eFuse block revision 0.1 */
}
static void edit_c6_page_64k(uint8_t *d)
{
    d[0x20 + 180] = 16; /* the IROM segment was placed for 32 KiB pages */
}
static void edit_c6_page_bogus(uint8_t *d)
{
    d[0x20 + 180] = 30; /* out of range: 64 KiB default */
}
static void edit_seg_too_big(uint8_t *d)
{
    wr32(d + 0x12c + 4, 0x1000000); /* esp32_small seg 1 length 16 MiB */
}

static void test_crafted_failures(void **state)
{
    (void)state;
    webota_image_policy_t any = {0};
    webota_image_policy_t blk = {.check_efuse_blk_rev = true, .efuse_blk_rev = 0};
    uint32_t off;
    assert_int_equal(check_edited("image/esp32_small.bin", edit_ram_outside, &any, &off), WEBOTA_ERR_IMG_LOAD_ADDR);
    assert_int_equal(off, 0x12c);
    assert_int_equal(check_edited("image/esp32_small.bin", edit_ram_straddles, &any, &off), WEBOTA_ERR_IMG_LOAD_ADDR);
    assert_int_equal(off, 0x138);
    assert_int_equal(check_edited("image/esp32_small.bin", edit_hash_flag_2, &any, &off), WEBOTA_ERR_IMG_HEADER);
    assert_int_equal(off, 23);
    assert_int_equal(check_edited("image/esp32_small.bin", edit_unknown_chip, &any, &off), WEBOTA_ERR_IMG_CHIP);
    assert_int_equal(off, 12);
    assert_int_equal(check_edited("image/esp32_small.bin", edit_id_only_chip, &any, &off), WEBOTA_ERR_UNSUPPORTED);
    assert_int_equal(off, 12);
    assert_int_equal(check_edited("image/esp32c3_small.bin", edit_efuse_min, &blk, &off),
                     WEBOTA_ERR_IMG_EFUSE_BLK_REV);
    assert_int_equal(off, 0x20 + 176);
    assert_int_equal(check_edited("image/esp32c3_small.bin", edit_efuse_min, &any, &off), WEBOTA_OK);
    blk.efuse_blk_rev = 2;
    assert_int_equal(check_edited("image/esp32c3_small.bin", edit_efuse_max, &blk, &off),
                     WEBOTA_ERR_IMG_EFUSE_BLK_REV);
    assert_int_equal(off, 0x20 + 178);
    blk.efuse_blk_rev = 1;
    assert_int_equal(check_edited("image/esp32c3_small.bin", edit_efuse_max, &blk, &off), WEBOTA_OK);
    /* ESP32 has no eFuse block revision check */
    blk.efuse_blk_rev = 0;
    assert_int_equal(check_edited("image/esp32_small.bin", edit_efuse_min, &blk, &off), WEBOTA_OK);
    assert_int_equal(check_edited("image/esp32c6_app.bin", edit_c6_page_64k, &any, &off),
                     WEBOTA_ERR_IMG_MAPPED_ALIGN);
    assert_int_equal(off, 0x8018);
    assert_int_equal(check_edited("image/esp32c6_app.bin", edit_c6_page_bogus, &any, &off),
                     WEBOTA_ERR_IMG_MAPPED_ALIGN);
    assert_int_equal(check_edited("image/esp32_small.bin", edit_seg_too_big, &any, &off), WEBOTA_ERR_IMG_SEG_TOO_BIG);
    assert_int_equal(off, 0x130);

    /* the 112-byte hand-built vector of docs/formats.md#example-images:
     * well-formed, but segment 0 cannot hold an app descriptor */
    static const uint8_t tiny[] = {
        0xe9, 0x02, 0x02, 0x20, 0x00, 0x00, 0x08, 0x40, 0xee, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x8f, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0xfb, 0x3f, 0x10, 0x00, 0x00, 0x00,
    };
    webota_image_checker_t c;
    webota_image_init(&c, &any, NULL);
    assert_int_equal(webota_image_feed(&c, tiny, sizeof tiny), WEBOTA_ERR_IMG_SEG0_SHORT);
    assert_int_equal(webota_image_status(&c)->err_offset, 0x1c);
    webota_image_abort(&c);
    assert_int_equal(webota_image_finish(&c), WEBOTA_ERR_IMG_SEG0_SHORT);
}

/* ---- marker, trailing data, signature blocks ---- */

struct mem {
    uint8_t *p;
    size_t n;
};

static webota_err_t to_mem(void *ctx, const void *data, size_t len)
{
    struct mem *m = ctx;
    m->p = realloc(m->p, m->n + len);
    memcpy(m->p + m->n, data, len);
    m->n += len;
    return WEBOTA_OK;
}

static void test_marker_across_boundaries(void **state)
{
    (void)state;
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32C3);
    struct mem m = {NULL, 0};
    assert_int_equal(webota_image_make(&o, to_mem, &m), WEBOTA_OK);
    uint8_t *at = NULL;
    for (size_t i = 0; at == NULL && i + WEBOTA_MARKER_LEN <= m.n; i++) {
        if (memcmp(m.p + i, webota_marker, WEBOTA_MARKER_LEN) == 0) {
            at = m.p + i;
        }
    }
    assert_non_null(at);
    size_t pos = (size_t)(at - m.p);
    /* every two-way and three-way split around the marker */
    for (size_t cut = pos - 2; cut <= pos + WEBOTA_MARKER_LEN + 2; cut++) {
        for (size_t mid = 0; mid <= 3; mid++) {
            webota_image_checker_t c;
            webota_image_init(&c, NULL, NULL);
            webota_image_feed(&c, m.p, cut);
            webota_image_feed(&c, m.p + cut, mid);
            webota_image_feed(&c, m.p + cut + mid, m.n - cut - mid);
            assert_int_equal(webota_image_finish(&c), WEBOTA_OK);
            assert_true(webota_image_status(&c)->marker);
        }
    }
    /* one byte at a time */
    checked_t c;
    assert_int_equal(check_chunked(m.p, m.n, NULL, 1, 0, &c.c, &c.in), WEBOTA_OK);
    assert_true(ST(&c)->marker);
    /* a damaged marker is not a marker */
    at[WEBOTA_MARKER_LEN - 1] ^= 1;
    refresh(m.p, m.n);
    assert_int_equal(check_chunked(m.p, m.n, NULL, 5, 0, &c.c, NULL), WEBOTA_OK);
    assert_false(ST(&c)->marker);
    free(m.p);

    /* a marker only in the trailing data does not count */
    size_t n;
    uint8_t *d = tu_read_vector("image/esp32_small.bin", &n);
    d = realloc(d, n + 64);
    memcpy(d + n, webota_marker, WEBOTA_MARKER_LEN);
    assert_int_equal(check_all_chunkings(d, n + WEBOTA_MARKER_LEN, NULL, &c), WEBOTA_OK);
    assert_false(ST(&c)->marker);
    assert_int_equal(ST(&c)->trailing, WEBOTA_MARKER_LEN);
    free(d);
}

static void test_signature_sector_located(void **state)
{
    (void)state;
    static const struct {
        const char *vec;
        uint32_t length;
    } signed_vecs[] = {
        {"sbv2/esp32c3_small.sbv2_rsa3072.bin", 0x190},
        {"sbv2/esp32c3_secure_pad.sbv2_rsa3072.bin", 0x10000},
    };
    for (unsigned i = 0; i < 2; i++) {
        size_t n;
        uint8_t *d = tu_read_vector(signed_vecs[i].vec, &n);
        checked_t c;
        assert_int_equal(check_all_chunkings(d, n, NULL, &c), WEBOTA_OK);
        assert_int_equal(ST(&c)->length, signed_vecs[i].length);
        assert_true(ST(&c)->sig_blocks);
        assert_int_equal(ST(&c)->trailing, n - signed_vecs[i].length);
        uint32_t sig = (ST(&c)->length + 4095u) & ~4095u;
        assert_int_equal(d[sig], 0xE7);
        d[sig] = 0xFF;
        assert_int_equal(check_all_chunkings(d, n, NULL, &c), WEBOTA_OK);
        assert_false(ST(&c)->sig_blocks);
        free(d);
    }
}

/* The caller-allocated state stays within its documented bound (a few hundred
 * bytes: the hash context plus 384), and the header's figure is the real one. */
static void test_state_size(void **state)
{
    (void)state;
    assert_true(sizeof(webota_image_checker_t) <= WEBOTA_IMAGE_CHECKER_MAX_SIZE);
    assert_int_equal(WEBOTA_IMAGE_CHECKER_MAX_SIZE - WEBOTA_HASH_CTX_SIZE, 384);
#if WEBOTA_HASH_CTX_SIZE == 256
    assert_int_equal(WEBOTA_IMAGE_CHECKER_MAX_SIZE, 640);
#if defined(__x86_64__)
    assert_int_equal(sizeof(webota_image_checker_t), 616); /* as image.h says for x86-64 */
#endif
#endif
    /* what it does not hold any more: the record lives with the caller */
    assert_true(sizeof(webota_image_checker_t) < sizeof(webota_hash_t) + sizeof(webota_image_info_t));
    print_message("checker state %zu bytes (bound %u), info record %zu bytes\n", sizeof(webota_image_checker_t),
                  (unsigned)WEBOTA_IMAGE_CHECKER_MAX_SIZE, sizeof(webota_image_info_t));
}

struct desc_log {
    unsigned calls;
    webota_app_desc_t desc;
};

static webota_err_t log_desc(void *ctx, const webota_app_desc_t *d)
{
    struct desc_log *l = ctx;
    l->calls++;
    l->desc = *d;
    return (d->secure_version & 1) ? WEBOTA_ERR_UPD_SECURE_VERSION : WEBOTA_OK;
}

/* Every image vector, whole and in 1/7/4096/random chunks, under a policy with
 * a descriptor callback: with info = NULL the descriptor is decoded on the
 * stack, and verdict, status and the callback's descriptor are the same as
 * with an info record. */
static void test_verdict_without_info(void **state)
{
    (void)state;
    char *manifest = read_text("manifest.tsv");
    unsigned vectors = 0, refused_by_policy = 0;
    for (char *line = strtok(manifest, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char path[256];
        if (sscanf(line, "%255[^\t]", path) != 1 || strncmp(path, "image/", 6) != 0 ||
            strcmp(path + strlen(path) - 4, ".bin") != 0) {
            continue;
        }
        size_t n;
        uint8_t *d = tu_read_vector(path, &n);
        static const size_t chunks[] = {0, 1, 7, 4096, 5};
        for (unsigned i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
            struct desc_log with = {0, {0}}, without = {0, {0}};
            webota_image_policy_t pol = {.check_chip_rev = true, .chip_rev = 0, .check_efuse_blk_rev = true, .efuse_blk_rev = 0,
                                         .on_desc = log_desc};
            checked_t r;
            webota_image_checker_t bare;
            webota_err_t e1, e2;
            pol.ctx = &with;
            if (chunks[i] == 0) {
                e1 = webota_image_check_buffer(d, n, &pol, &r.in, &r.c);
            } else {
                e1 = check_chunked(d, n, &pol, chunks[i], chunks[i] == 5 ? 77 : 0, &r.c, &r.in);
            }
            pol.ctx = &without;
            if (chunks[i] == 0) {
                e2 = webota_image_check_buffer(d, n, &pol, NULL, &bare);
            } else {
                e2 = check_chunked(d, n, &pol, chunks[i], chunks[i] == 5 ? 77 : 0, &bare, NULL);
            }
            assert_int_equal(e2, e1);
            assert_memory_equal(webota_image_status(&bare), ST(&r), sizeof(webota_image_status_t));
            assert_int_equal(without.calls, with.calls);
            assert_memory_equal(&without.desc, &with.desc, sizeof(with.desc));
            if (with.calls > 0) {
                assert_memory_equal(&with.desc, &r.in.desc, sizeof(with.desc));
            }
            refused_by_policy += e1 == WEBOTA_ERR_UPD_SECURE_VERSION;
        }
        vectors++;
        free(d);
    }
    assert_int_equal(vectors, 19 + 62);
    assert_true(refused_by_policy > 0); /* the callback's refusal is among the verdicts compared */
    free(manifest);
}

static void test_abort_and_empty(void **state)
{
    (void)state;
    size_t n;
    uint8_t *d = tu_read_vector("image/esp32_app.bin", &n);
    webota_image_checker_t c;
    webota_image_init(&c, NULL, NULL);
    assert_null(webota_image_info(&c));
    assert_int_equal(webota_image_feed(&c, d, 1000), WEBOTA_OK);
    assert_true(webota_image_status(&c)->desc_seen);
    assert_false(webota_image_status(&c)->complete);
    webota_image_abort(&c);
    webota_image_abort(&c);
    /* an empty stream is truncated at 0 */
    webota_image_info_t in;
    memset(&in, 0xA5, sizeof in);
    webota_image_init(&c, NULL, &in);
    assert_null(in.chip); /* the record starts empty */
    assert_int_equal(in.segment_count, 0);
    assert_int_equal(webota_image_feed(&c, NULL, 0), WEBOTA_OK);
    assert_int_equal(webota_image_finish(&c), WEBOTA_ERR_IMG_TRUNCATED);
    assert_int_equal(webota_image_status(&c)->err_offset, 0);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_image_vectors),
        cmocka_unit_test(test_policy_refusal_stops_early),
        cmocka_unit_test(test_zeroed_policy_is_default),
        cmocka_unit_test(test_policy_chip_rev_and_size),
        cmocka_unit_test(test_crafted_failures),
        cmocka_unit_test(test_marker_across_boundaries),
        cmocka_unit_test(test_signature_sector_located),
        cmocka_unit_test(test_state_size),
        cmocka_unit_test(test_verdict_without_info),
        cmocka_unit_test(test_abort_and_empty),
    };
    assert_int_equal(webota_crypto_init(), WEBOTA_OK);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
