/* Streaming app image checker: a small state machine over the byte stream.
 * Every check fires at a fixed stream position (the byte that completes the
 * field it needs), so verdict and error offset do not depend on chunking. */
#include <string.h>

#include "webota/image.h"
#include "webota/marker.h"

#include "bytes.h"

const uint8_t webota_marker[WEBOTA_MARKER_LEN] = WEBOTA_MARKER_BYTES;

_Static_assert(sizeof(webota_image_checker_t) <= WEBOTA_IMAGE_CHECKER_MAX_SIZE,
               "webota_image_checker_t grew past its documented bound");

enum {
    ST_HEADER,
    ST_SEG_HDR,
    ST_SEG_DATA,
    ST_PAD,
    ST_CHECKSUM,
    ST_HASH,
    ST_TRAILING,
};

#define NOT_LOADED_BELOW 0x10000000u /* ESP-IDF never loads segments below this address */

/* First error wins; a fatal one stops parsing. */
static void fail(webota_image_checker_t *c, webota_err_t err, uint32_t off, bool fatal)
{
    if (c->info.err == WEBOTA_OK) {
        c->info.err = err;
        c->info.err_offset = off;
    }
    if (fatal) {
        c->halted = true;
    }
}

void webota_image_init(webota_image_checker_t *c, const webota_image_policy_t *policy)
{
    memset(c, 0, sizeof(*c));
    c->policy = policy;
    c->state = ST_HEADER;
    c->info.err = WEBOTA_OK;
    c->info.checksum_calc = WEBOTA_IMAGE_CHECKSUM_SEED;
    if (webota_hash_start(&c->sha, WEBOTA_HASH_SHA256) == WEBOTA_OK) {
        c->hash_active = true;
    } else {
        fail(c, WEBOTA_ERR_CRYPTO, 0, true);
    }
}

void webota_image_abort(webota_image_checker_t *c)
{
    if (c->hash_active) {
        webota_hash_abort(&c->sha);
        c->hash_active = false;
    }
}

const webota_image_info_t *webota_image_info(const webota_image_checker_t *c)
{
    return &c->info;
}

/* ---- marker search over chunk boundaries ---- */

static bool find_marker(const uint8_t *p, size_t n)
{
    while (n >= WEBOTA_MARKER_LEN) {
        const uint8_t *hit = memchr(p, webota_marker[0], n - WEBOTA_MARKER_LEN + 1);
        if (hit == NULL) {
            return false;
        }
        if (memcmp(hit, webota_marker, WEBOTA_MARKER_LEN) == 0) {
            return true;
        }
        n -= (size_t)(hit - p) + 1;
        p = hit + 1;
    }
    return false;
}

static void marker_scan(webota_image_checker_t *c, const uint8_t *p, size_t n)
{
    if (c->info.marker || n == 0) {
        return;
    }
    if (c->tail_len > 0) {
        uint8_t joined[2 * WEBOTA_MARKER_TAIL];
        size_t k = n < WEBOTA_MARKER_TAIL ? n : WEBOTA_MARKER_TAIL;
        memcpy(joined, c->tail, c->tail_len);
        memcpy(joined + c->tail_len, p, k);
        if (find_marker(joined, c->tail_len + k)) {
            c->info.marker = true;
            return;
        }
    }
    if (find_marker(p, n)) {
        c->info.marker = true;
        return;
    }
    if (n >= WEBOTA_MARKER_TAIL) {
        memcpy(c->tail, p + n - WEBOTA_MARKER_TAIL, WEBOTA_MARKER_TAIL);
        c->tail_len = WEBOTA_MARKER_TAIL;
    } else {
        size_t keep = c->tail_len;
        if (keep > WEBOTA_MARKER_TAIL - n) {
            keep = WEBOTA_MARKER_TAIL - n;
        }
        memmove(c->tail, c->tail + c->tail_len - keep, keep);
        memcpy(c->tail + keep, p, n);
        c->tail_len = (uint8_t)(keep + n);
    }
}

/* ---- field handlers ---- */

static uint32_t mmu_page(const webota_image_checker_t *c)
{
    return c->info.mmu_page;
}

static bool mapped_aligned(const webota_image_checker_t *c, uint32_t data_off, uint32_t load)
{
    uint32_t page = mmu_page(c);
    return data_off % page == load % page;
}

static void on_header(webota_image_checker_t *c)
{
    webota_image_info_t *in = &c->info;
    const uint8_t *h = c->buf;
    const webota_image_policy_t *pol = c->policy;

    in->header_seen = true;
    in->segment_count_hdr = h[1];
    in->spi_mode = h[2];
    in->spi_speed = h[3] & 0x0F;
    in->spi_size = h[3] >> 4;
    in->entry = webota_le32_get(h + 4);
    in->wp_pin = h[8];
    memcpy(in->spi_pin_drv, h + 9, 3);
    in->chip_id = webota_le16_get(h + 12);
    in->min_rev = h[14];
    in->min_rev_full = webota_le16_get(h + 15);
    in->max_rev_full = webota_le16_get(h + 17);
    in->hash_appended = h[23] != 0;
    in->chip = webota_chip_by_id(in->chip_id);
    in->mmu_page = in->chip != NULL ? in->chip->mmu_page_default : 0x10000;

    if (in->chip == NULL) {
        fail(c, WEBOTA_ERR_IMG_CHIP, 12, true);
        return;
    }
    if (pol != NULL && pol->chip >= 0 && (int)in->chip->chip != pol->chip) {
        fail(c, WEBOTA_ERR_IMG_CHIP, 12, true);
        return;
    }
    if (in->chip->load == NULL) {
        fail(c, WEBOTA_ERR_UNSUPPORTED, 12, true);
        return;
    }
    if (pol != NULL && pol->chip_rev >= 0) {
        if (pol->chip_rev < in->min_rev_full) {
            fail(c, WEBOTA_ERR_IMG_CHIP_REV_MIN, 15, true);
            return;
        }
        if (in->max_rev_full != 0 && in->max_rev_full != 0xFFFF && pol->chip_rev > in->max_rev_full) {
            fail(c, WEBOTA_ERR_IMG_CHIP_REV_MAX, 17, true);
            return;
        }
    }
    if (in->segment_count_hdr == 0 || in->segment_count_hdr > WEBOTA_IMAGE_MAX_SEGMENTS) {
        fail(c, WEBOTA_ERR_IMG_SEGCOUNT, 1, true);
        return;
    }
    if (h[23] > 1) {
        fail(c, WEBOTA_ERR_IMG_HEADER, 23, true);
        return;
    }
    c->state = ST_SEG_HDR;
}

/* After the last segment: zero padding up to the checksum byte. */
static void start_footer(webota_image_checker_t *c, uint32_t end)
{
    c->info.checksum_offset = end | 15u;
    c->remaining = c->info.checksum_offset - end;
    c->state = c->remaining ? ST_PAD : ST_CHECKSUM;
}

static void on_seg_header(webota_image_checker_t *c, uint32_t off)
{
    webota_image_info_t *in = &c->info;
    uint32_t load = webota_le32_get(c->buf);
    uint32_t len = webota_le32_get(c->buf + 4);
    uint8_t i = c->seg_index;
    const webota_image_policy_t *pol = c->policy;

    in->segment[i].load = load;
    in->segment[i].length = len;
    in->segment[i].offset = off;
    in->segment_count = (uint8_t)(i + 1);

    if (len % 4 != 0) {
        fail(c, WEBOTA_ERR_IMG_SEG_ALIGN, off + 4, true);
        return;
    }
    if (len >= WEBOTA_IMAGE_SEG_MAX_LEN) {
        fail(c, WEBOTA_ERR_IMG_SEG_TOO_BIG, off + 4, true);
        return;
    }
    if (i == 0 && len < WEBOTA_APP_DESC_SIZE) {
        fail(c, WEBOTA_ERR_IMG_SEG0_SHORT, off + 4, true);
        return;
    }
    uint32_t data_off = off + WEBOTA_IMAGE_SEG_HEADER_LEN;
    if (pol != NULL && pol->max_size != 0 && (uint64_t)data_off + len > pol->max_size) {
        fail(c, WEBOTA_ERR_IMG_TOO_BIG, off + 4, true);
        return;
    }
    if (webota_chip_is_mapped(in->chip, load)) {
        if (i == 0 && in->chip->mmu_page_configurable) {
            c->seg0_align_pending = true; /* the page size comes with the descriptor */
        } else if (!mapped_aligned(c, data_off, load)) {
            fail(c, WEBOTA_ERR_IMG_MAPPED_ALIGN, off, true);
            return;
        }
    } else if (load >= NOT_LOADED_BELOW) {
        uint32_t ram = WEBOTA_MEM_DRAM | WEBOTA_MEM_IRAM | WEBOTA_MEM_RTC_DRAM | WEBOTA_MEM_RTC_IRAM |
                       WEBOTA_MEM_RTC_DATA;
        if ((webota_chip_load_types(in->chip, load, len) & ram) == 0) {
            fail(c, WEBOTA_ERR_IMG_LOAD_ADDR, off, true);
            return;
        }
    }
    c->desc_pending = (i == 0);
    c->remaining = len;
    c->state = ST_SEG_DATA;
}

static void on_desc(webota_image_checker_t *c)
{
    webota_image_info_t *in = &c->info;
    const webota_image_policy_t *pol = c->policy;

    if (webota_app_desc_decode(c->buf, &in->desc) != WEBOTA_OK) {
        fail(c, WEBOTA_ERR_IMG_APPDESC, WEBOTA_APP_DESC_OFFSET, true);
        return;
    }
    if (in->chip->mmu_page_configurable && in->desc.mmu_page_size >= 13 && in->desc.mmu_page_size <= 16) {
        in->mmu_page = 1u << in->desc.mmu_page_size;
    }
    if (c->seg0_align_pending) {
        c->seg0_align_pending = false;
        if (!mapped_aligned(c, in->segment[0].offset + WEBOTA_IMAGE_SEG_HEADER_LEN, in->segment[0].load)) {
            fail(c, WEBOTA_ERR_IMG_MAPPED_ALIGN, in->segment[0].offset, true);
            return;
        }
    }
    in->desc_seen = true;
    if (pol != NULL && pol->efuse_blk_rev >= 0 && in->chip->chip != WEBOTA_CHIP_ESP32) {
        uint16_t lo = in->desc.min_efuse_blk_rev_full, hi = in->desc.max_efuse_blk_rev_full;
        if (lo != 0 && lo != 0xFFFF && pol->efuse_blk_rev < lo) {
            fail(c, WEBOTA_ERR_IMG_EFUSE_BLK_REV, WEBOTA_APP_DESC_OFFSET + 176, true);
            return;
        }
        if (hi != 0 && hi != 0xFFFF && pol->efuse_blk_rev > hi) {
            fail(c, WEBOTA_ERR_IMG_EFUSE_BLK_REV, WEBOTA_APP_DESC_OFFSET + 178, true);
            return;
        }
    }
    if (pol != NULL && pol->on_desc != NULL) {
        webota_err_t err = pol->on_desc(pol->ctx, &in->desc);
        if (err != WEBOTA_OK) {
            fail(c, err, WEBOTA_APP_DESC_OFFSET, true);
        }
    }
}

static void on_checksum(webota_image_checker_t *c, uint8_t stored)
{
    webota_image_info_t *in = &c->info;
    in->checksum_seen = true;
    in->checksum_stored = stored;
    in->checksum_valid = stored == in->checksum_calc;
    if (!in->checksum_valid) {
        fail(c, WEBOTA_ERR_IMG_CHECKSUM, in->checksum_offset, false);
    }
    if (c->hash_active) {
        c->hash_active = false;
        if (webota_hash_finish(&c->sha, in->sha256_calc, sizeof(in->sha256_calc)) != WEBOTA_OK) {
            fail(c, WEBOTA_ERR_CRYPTO, in->checksum_offset, true);
            return;
        }
    }
    if (in->hash_appended) {
        c->buf_len = 0;
        c->state = ST_HASH;
    } else {
        in->length = in->checksum_offset + 1;
        in->complete = true;
        c->state = ST_TRAILING;
    }
}

static void on_hash(webota_image_checker_t *c)
{
    webota_image_info_t *in = &c->info;
    in->hash_seen = true;
    in->hash_valid = memcmp(in->sha256_stored, in->sha256_calc, 32) == 0;
    if (!in->hash_valid) {
        fail(c, WEBOTA_ERR_IMG_HASH, in->checksum_offset + 1, false);
    }
    in->length = in->checksum_offset + 1 + 32;
    in->complete = true;
    c->state = ST_TRAILING;
}

/* Consumes up to n bytes at stream offset pos in the current state; returns
 * how many were consumed (at least 1 unless halted). */
static size_t step(webota_image_checker_t *c, const uint8_t *p, size_t n, uint32_t pos)
{
    webota_image_info_t *in = &c->info;
    size_t take = 0;

    switch (c->state) {
    case ST_HEADER:
    case ST_SEG_HDR: {
        uint16_t need = c->state == ST_HEADER ? WEBOTA_IMAGE_HEADER_LEN : WEBOTA_IMAGE_SEG_HEADER_LEN;
        take = need - c->buf_len;
        take = take < n ? take : n;
        if (c->state == ST_HEADER && c->buf_len == 0) {
            take = 1; /* the magic alone, so that a wrong file stops at byte 0 */
        }
        memcpy(c->buf + c->buf_len, p, take);
        if (c->buf_len == 0 && c->state == ST_SEG_HDR) {
            c->field_off = pos;
        }
        c->buf_len = (uint16_t)(c->buf_len + take);
        if (c->state == ST_HEADER && c->buf[0] != WEBOTA_IMAGE_MAGIC) {
            fail(c, WEBOTA_ERR_IMG_MAGIC, 0, true);
            return take;
        }
        if (c->buf_len == need) {
            c->buf_len = 0;
            if (c->state == ST_HEADER) {
                on_header(c);
            } else {
                on_seg_header(c, c->field_off);
            }
            if (!c->halted && c->state == ST_SEG_DATA && c->remaining == 0) {
                goto segment_done;
            }
        }
        return take;
    }
    case ST_SEG_DATA: {
        take = c->remaining < n ? c->remaining : n;
        if (c->desc_pending) {
            size_t d = WEBOTA_APP_DESC_SIZE - c->buf_len;
            d = d < take ? d : take;
            memcpy(c->buf + c->buf_len, p, d);
            c->buf_len = (uint16_t)(c->buf_len + d);
            take = d; /* stop right after the descriptor so that a refusal halts there */
        }
        uint8_t x = 0;
        for (size_t i = 0; i < take; i++) {
            x ^= p[i];
        }
        in->checksum_calc ^= x;
        c->remaining -= (uint32_t)take;
        if (c->desc_pending && c->buf_len == WEBOTA_APP_DESC_SIZE) {
            c->desc_pending = false;
            c->buf_len = 0;
            on_desc(c);
            if (c->halted) {
                return take;
            }
        }
        if (c->remaining == 0) {
            goto segment_done;
        }
        return take;
    }
    case ST_PAD:
        take = c->remaining < n ? c->remaining : n;
        c->remaining -= (uint32_t)take;
        if (c->remaining == 0) {
            c->state = ST_CHECKSUM;
        }
        return take;
    case ST_CHECKSUM:
        return 1; /* handled by the caller after hashing the byte */
    case ST_HASH:
        take = 32u - c->buf_len;
        take = take < n ? take : n;
        memcpy(in->sha256_stored + c->buf_len, p, take);
        c->buf_len = (uint16_t)(c->buf_len + take);
        if (c->buf_len == 32) {
            c->buf_len = 0;
            on_hash(c);
        }
        return take;
    default: /* ST_TRAILING */
        take = n;
        if (in->length != 0) {
            uint32_t sig = (in->length + 4095u) & ~4095u;
            if (sig >= pos && (uint64_t)sig < (uint64_t)pos + n) {
                in->sig_blocks = p[sig - pos] == WEBOTA_IMAGE_SIG_BLOCK_MAGIC;
            }
        }
        in->trailing += (uint32_t)take;
        return take;
    }

segment_done:
    c->seg_index++;
    if (c->seg_index == in->segment_count_hdr) {
        const webota_image_segment_t *s = &in->segment[c->seg_index - 1];
        start_footer(c, s->offset + WEBOTA_IMAGE_SEG_HEADER_LEN + s->length);
    } else {
        c->state = ST_SEG_HDR;
    }
    return take;
}

static void consume(webota_image_checker_t *c, const uint8_t *p, size_t n)
{
    webota_image_info_t *in = &c->info;
    while (n > 0 && !c->halted) {
        uint32_t pos = in->received;
        uint8_t state = c->state;
        size_t take;
        if (state == ST_CHECKSUM) {
            take = 1;
        } else {
            take = step(c, p, n, pos);
        }
        if (state != ST_TRAILING) {
            if (state <= ST_CHECKSUM && c->hash_active &&
                webota_hash_update(&c->sha, p, take) != WEBOTA_OK) {
                fail(c, WEBOTA_ERR_CRYPTO, pos, true);
            }
            marker_scan(c, p, take);
        }
        if (state == ST_CHECKSUM && !c->halted) {
            on_checksum(c, p[0]);
        }
        in->received += (uint32_t)take;
        p += take;
        n -= take;
    }
}

webota_err_t webota_image_feed(webota_image_checker_t *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (c->halted) {
        return c->info.err;
    }
    const webota_image_policy_t *pol = c->policy;
    size_t allowed = len;
    bool too_big = false;
    if (pol != NULL && pol->max_size != 0) {
        uint32_t room = pol->max_size - (c->info.received < pol->max_size ? c->info.received : pol->max_size);
        if (len > room) {
            allowed = room;
            too_big = true;
        }
    }
    if ((uint64_t)c->info.received + allowed > 0xFFFFFFFFu) {
        allowed = 0xFFFFFFFFu - c->info.received; /* images are < 4 GiB by format */
        too_big = true;
    }
    consume(c, p, allowed);
    if (too_big && !c->halted) {
        fail(c, WEBOTA_ERR_IMG_TOO_BIG, c->info.received, true);
    }
    return c->info.err;
}

webota_err_t webota_image_finish(webota_image_checker_t *c)
{
    if (c->info.err == WEBOTA_OK && !c->info.complete) {
        fail(c, WEBOTA_ERR_IMG_TRUNCATED, c->info.received, true);
    }
    webota_image_abort(c);
    c->halted = true;
    return c->info.err;
}

webota_err_t webota_image_check_buffer(const void *data, size_t len, const webota_image_policy_t *policy,
                                       webota_image_checker_t *c)
{
    webota_image_init(c, policy);
    webota_image_feed(c, data, len);
    return webota_image_finish(c);
}
