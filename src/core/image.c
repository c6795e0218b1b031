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
#define MARKER_TAIL (WEBOTA_MARKER_LEN - 1)
#define HASH_CALC 0  /* buf offsets of the digests once the checksum byte has arrived */
#define HASH_STORED 32

/* First error wins; a fatal one stops parsing. */
static void fail(webota_image_checker_t *c, webota_err_t err, uint32_t off, bool fatal)
{
    if (c->st.err == WEBOTA_OK) {
        c->st.err = err;
        c->st.err_offset = off;
    }
    if (fatal) {
        c->halted = true;
    }
}

void webota_image_policy_init(webota_image_policy_t *policy)
{
    memset(policy, 0, sizeof *policy); /* zero is the default: nothing checked */
}

void webota_image_init(webota_image_checker_t *c, const webota_image_policy_t *policy, webota_image_info_t *info)
{
    memset(c, 0, sizeof(*c));
    if (info != NULL) {
        memset(info, 0, sizeof(*info));
        info->checksum_calc = WEBOTA_IMAGE_CHECKSUM_SEED;
    }
    c->policy = policy;
    c->info = info;
    c->state = ST_HEADER;
    c->st.err = WEBOTA_OK;
    c->checksum_calc = WEBOTA_IMAGE_CHECKSUM_SEED;
    if (webota_hash_start(&c->sha, WEBOTA_HASH_SHA256) == WEBOTA_OK) {
        c->hash_active = true;
    } else {
        fail(c, WEBOTA_ERR_CRYPTO, 0, true);
    }
}

void webota_image_tap_sha256(webota_image_checker_t *c, webota_image_sha_tap_t *tap)
{
    if (tap != NULL) {
        memset(tap, 0, sizeof(*tap));
    }
    c->tap = tap;
}

void webota_image_abort(webota_image_checker_t *c)
{
    if (c->hash_active) {
        webota_hash_abort(&c->sha);
        c->hash_active = false;
    }
}

const webota_image_status_t *webota_image_status(const webota_image_checker_t *c)
{
    return &c->st;
}

const webota_image_info_t *webota_image_info(const webota_image_checker_t *c)
{
    return c->info;
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

/* Length of the longest marker prefix (< the whole marker) that p[0..n) ends with. */
static uint8_t prefix_at_end(const uint8_t *p, size_t n)
{
    for (size_t k = n < MARKER_TAIL ? n : MARKER_TAIL; k > 0; k--) {
        if (p[n - k] == webota_marker[0] && memcmp(p + n - k, webota_marker, k) == 0) {
            return (uint8_t)k;
        }
    }
    return 0;
}

/* Instead of a window of the last bytes, the state keeps how long a marker
 * prefix the stream ends with: those bytes are the marker's own, so an
 * occurrence split across chunks is found again from the constant. */
static void marker_scan(webota_image_checker_t *c, const uint8_t *p, size_t n)
{
    if (c->st.marker || n == 0) {
        return;
    }
    uint8_t joined[2 * MARKER_TAIL];
    size_t q = c->marker_len;
    size_t k = n < MARKER_TAIL ? n : MARKER_TAIL;
    memcpy(joined, webota_marker, q);
    memcpy(joined + q, p, k);
    if ((q > 0 && find_marker(joined, q + k)) || find_marker(p, n)) {
        c->st.marker = true;
        return;
    }
    c->marker_len = n >= MARKER_TAIL ? prefix_at_end(p, n) : prefix_at_end(joined, q + n);
}

/* ---- field handlers ---- */

static bool mapped_aligned(const webota_image_checker_t *c, uint32_t data_off, uint32_t load)
{
    return data_off % c->mmu_page == load % c->mmu_page;
}

static void record_header(webota_image_info_t *in, const uint8_t *h, const webota_chip_info_t *chip,
                          uint32_t mmu_page)
{
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
    in->chip = chip;
    in->mmu_page = mmu_page;
}

static void on_header(webota_image_checker_t *c)
{
    webota_image_status_t *st = &c->st;
    const uint8_t *h = c->buf;
    const webota_image_policy_t *pol = c->policy;

    st->header_seen = true;
    st->chip_id = webota_le16_get(h + 12);
    st->min_rev_full = webota_le16_get(h + 15);
    st->max_rev_full = webota_le16_get(h + 17);
    c->seg_count = h[1];
    c->hash_appended = h[23] != 0;
    c->chip = webota_chip_by_id(st->chip_id);
    c->mmu_page = c->chip != NULL ? c->chip->mmu_page_default : 0x10000;
    if (c->info != NULL) {
        record_header(c->info, h, c->chip, c->mmu_page);
    }

    if (c->chip == NULL) {
        fail(c, WEBOTA_ERR_IMG_CHIP, 12, true);
        return;
    }
    if (pol != NULL && pol->check_chip && pol->chip >= 0 && (int)c->chip->chip != pol->chip) {
        fail(c, WEBOTA_ERR_IMG_CHIP, 12, true);
        return;
    }
    if (c->chip->load == NULL) {
        fail(c, WEBOTA_ERR_UNSUPPORTED, 12, true);
        return;
    }
    if (pol != NULL && pol->check_chip_rev) {
        if (pol->chip_rev < st->min_rev_full) {
            fail(c, WEBOTA_ERR_IMG_CHIP_REV_MIN, 15, true);
            return;
        }
        if (st->max_rev_full != 0 && st->max_rev_full != 0xFFFF && pol->chip_rev > st->max_rev_full) {
            fail(c, WEBOTA_ERR_IMG_CHIP_REV_MAX, 17, true);
            return;
        }
    }
    if (c->seg_count == 0 || c->seg_count > WEBOTA_IMAGE_MAX_SEGMENTS) {
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
    c->checksum_offset = end | 15u;
    if (c->info != NULL) {
        c->info->checksum_offset = c->checksum_offset;
    }
    c->remaining = c->checksum_offset - end;
    c->state = c->remaining ? ST_PAD : ST_CHECKSUM;
}

static void on_seg_header(webota_image_checker_t *c, uint32_t off)
{
    uint32_t load = webota_le32_get(c->buf);
    uint32_t len = webota_le32_get(c->buf + 4);
    uint8_t i = c->seg_index;
    const webota_image_policy_t *pol = c->policy;

    if (c->info != NULL) {
        c->info->segment[i].load = load;
        c->info->segment[i].length = len;
        c->info->segment[i].offset = off;
        c->info->segment_count = (uint8_t)(i + 1);
    }

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
    if (webota_chip_is_mapped(c->chip, load)) {
        if (i == 0 && c->chip->mmu_page_configurable) {
            c->seg0_align_pending = true; /* the page size comes with the descriptor */
            c->seg0_load = load;
        } else if (!mapped_aligned(c, data_off, load)) {
            fail(c, WEBOTA_ERR_IMG_MAPPED_ALIGN, off, true);
            return;
        }
    } else if (load >= NOT_LOADED_BELOW) {
        uint32_t ram = WEBOTA_MEM_DRAM | WEBOTA_MEM_IRAM | WEBOTA_MEM_RTC_DRAM | WEBOTA_MEM_RTC_IRAM |
                       WEBOTA_MEM_RTC_DATA;
        if ((webota_chip_load_types(c->chip, load, len) & ram) == 0) {
            fail(c, WEBOTA_ERR_IMG_LOAD_ADDR, off, true);
            return;
        }
    }
    c->desc_pending = (i == 0);
    c->remaining = len;
    c->state = ST_SEG_DATA;
}

/* The descriptor is decoded into the caller's info, or else on the stack for
 * the checks and the policy callback only. */
static void on_desc(webota_image_checker_t *c)
{
    const webota_image_policy_t *pol = c->policy;
    webota_app_desc_t local;
    webota_app_desc_t *d = c->info != NULL ? &c->info->desc : &local;

    if (webota_app_desc_decode(c->buf, d) != WEBOTA_OK) {
        fail(c, WEBOTA_ERR_IMG_APPDESC, WEBOTA_APP_DESC_OFFSET, true);
        return;
    }
    if (c->chip->mmu_page_configurable && d->mmu_page_size >= 13 && d->mmu_page_size <= 16) {
        c->mmu_page = 1u << d->mmu_page_size;
        if (c->info != NULL) {
            c->info->mmu_page = c->mmu_page;
        }
    }
    if (c->seg0_align_pending) {
        const uint32_t seg0 = WEBOTA_IMAGE_HEADER_LEN; /* segment 0's header follows the image header */
        c->seg0_align_pending = false;
        if (!mapped_aligned(c, seg0 + WEBOTA_IMAGE_SEG_HEADER_LEN, c->seg0_load)) {
            fail(c, WEBOTA_ERR_IMG_MAPPED_ALIGN, seg0, true);
            return;
        }
    }
    c->st.desc_seen = true;
    if (pol != NULL && pol->check_efuse_blk_rev && c->chip->chip != WEBOTA_CHIP_ESP32) {
        uint16_t lo = d->min_efuse_blk_rev_full, hi = d->max_efuse_blk_rev_full;
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
        webota_err_t err = pol->on_desc(pol->ctx, d);
        if (err != WEBOTA_OK) {
            fail(c, err, WEBOTA_APP_DESC_OFFSET, true);
        }
    }
}

static void on_checksum(webota_image_checker_t *c, uint8_t stored)
{
    webota_image_status_t *st = &c->st;
    st->checksum_seen = true;
    st->checksum_valid = stored == c->checksum_calc;
    if (c->info != NULL) {
        c->info->checksum_stored = stored;
    }
    if (!st->checksum_valid) {
        fail(c, WEBOTA_ERR_IMG_CHECKSUM, c->checksum_offset, false);
    }
    memset(c->buf + HASH_CALC, 0, 32);
    if (c->hash_active && c->tap != NULL) {
        if (webota_hash_clone(&c->sha, &c->tap->sha256) == WEBOTA_OK) {
            c->tap->covered = c->checksum_offset + 1;
        } else {
            c->tap->failed = true;
        }
    }
    if (c->hash_active) {
        c->hash_active = false;
        if (webota_hash_finish(&c->sha, c->buf + HASH_CALC, 32) != WEBOTA_OK) {
            fail(c, WEBOTA_ERR_CRYPTO, c->checksum_offset, true);
            return;
        }
        if (c->info != NULL) {
            memcpy(c->info->sha256_calc, c->buf + HASH_CALC, 32);
        }
    }
    if (c->hash_appended) {
        c->buf_len = 0;
        c->state = ST_HASH;
    } else {
        st->length = c->checksum_offset + 1;
        st->complete = true;
        c->state = ST_TRAILING;
    }
}

static void on_hash(webota_image_checker_t *c)
{
    webota_image_status_t *st = &c->st;
    st->hash_seen = true;
    st->hash_valid = memcmp(c->buf + HASH_STORED, c->buf + HASH_CALC, 32) == 0;
    if (!st->hash_valid) {
        fail(c, WEBOTA_ERR_IMG_HASH, c->checksum_offset + 1, false);
    }
    st->length = c->checksum_offset + 1 + 32;
    st->complete = true;
    c->state = ST_TRAILING;
}

/* Consumes up to n bytes at stream offset pos in the current state; returns
 * how many were consumed (at least 1 unless halted). */
static size_t step(webota_image_checker_t *c, const uint8_t *p, size_t n, uint32_t pos)
{
    webota_image_status_t *st = &c->st;
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
                on_seg_header(c, pos + (uint32_t)take - need);
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
        c->checksum_calc ^= x;
        if (c->info != NULL) {
            c->info->checksum_calc = c->checksum_calc;
        }
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
        memcpy(c->buf + HASH_STORED + c->buf_len, p, take);
        if (c->info != NULL) {
            memcpy(c->info->sha256_stored + c->buf_len, p, take);
        }
        c->buf_len = (uint16_t)(c->buf_len + take);
        if (c->buf_len == 32) {
            c->buf_len = 0;
            on_hash(c);
        }
        return take;
    default: /* ST_TRAILING */
        take = n;
        if (st->length != 0) {
            uint32_t sig = (st->length + 4095u) & ~4095u;
            if (sig >= pos && (uint64_t)sig < (uint64_t)pos + n) {
                st->sig_blocks = p[sig - pos] == WEBOTA_IMAGE_SIG_BLOCK_MAGIC;
            }
        }
        st->trailing += (uint32_t)take;
        return take;
    }

segment_done:
    c->seg_index++;
    if (c->seg_index == c->seg_count) {
        start_footer(c, pos + (uint32_t)take); /* the last segment's data ends here */
    } else {
        c->state = ST_SEG_HDR;
    }
    return take;
}

static void consume(webota_image_checker_t *c, const uint8_t *p, size_t n)
{
    webota_image_status_t *st = &c->st;
    while (n > 0 && !c->halted) {
        uint32_t pos = st->received;
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
        st->received += (uint32_t)take;
        p += take;
        n -= take;
    }
}

webota_err_t webota_image_feed(webota_image_checker_t *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    webota_image_status_t *st = &c->st;
    if (c->halted) {
        return st->err;
    }
    const webota_image_policy_t *pol = c->policy;
    size_t allowed = len;
    bool too_big = false;
    if (pol != NULL && pol->max_size != 0) {
        uint32_t room = pol->max_size - (st->received < pol->max_size ? st->received : pol->max_size);
        if (len > room) {
            allowed = room;
            too_big = true;
        }
    }
    if ((uint64_t)st->received + allowed > 0xFFFFFFFFu) {
        allowed = 0xFFFFFFFFu - st->received; /* images are < 4 GiB by format */
        too_big = true;
    }
    consume(c, p, allowed);
    if (too_big && !c->halted) {
        fail(c, WEBOTA_ERR_IMG_TOO_BIG, st->received, true);
    }
    return st->err;
}

webota_err_t webota_image_finish(webota_image_checker_t *c)
{
    if (c->st.err == WEBOTA_OK && !c->st.complete) {
        fail(c, WEBOTA_ERR_IMG_TRUNCATED, c->st.received, true);
    }
    webota_image_abort(c);
    c->halted = true;
    return c->st.err;
}

webota_err_t webota_image_check_buffer(const void *data, size_t len, const webota_image_policy_t *policy,
                                       webota_image_info_t *info, webota_image_checker_t *c)
{
    webota_image_init(c, policy, info);
    webota_image_feed(c, data, len);
    return webota_image_finish(c);
}
