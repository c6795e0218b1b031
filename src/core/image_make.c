/* Image maker: plans an esptool-like segment layout, then streams it out
 * through a 256-byte buffer while computing the checksum and SHA-256. */
#include <string.h>

#include "webota/app_desc.h"
#include "webota/crypto.h"
#include "webota/image.h"
#include "webota/image_make.h"
#include "webota/marker.h"

#include "bytes.h"

#define SMALL_LIMIT 0x10800u /* below this target size: no IROM segment (DROM, DRAM, IRAM only) */
#define MAX_TARGET 0xF00000u
#define PAGE 0x10000u

enum { SEG_DROM, SEG_DRAM, SEG_IRAM, SEG_PAD, SEG_IROM, SEG__MAX };

typedef struct {
    uint32_t load[SEG__MAX];
    uint32_t len[SEG__MAX];
    uint8_t kind[SEG__MAX];
    uint8_t count;
    uint32_t end; /* file offset after the last segment */
    uint32_t total;
} plan_t;

static uint32_t align_down4(uint32_t v)
{
    return v & ~3u;
}

/* esptool zero-extends a flash segment that would end less than 0x24 bytes
 * past a 64 KiB boundary; lay ours out so that it never has to. */
static uint32_t avoid_page_start(uint32_t data_off, uint32_t len)
{
    uint32_t end = data_off + len;
    if (end >= PAGE && end % PAGE < 0x24) {
        len += 0x24;
    }
    return len;
}

static const webota_mem_region_t *window(const webota_chip_info_t *chip, uint32_t type)
{
    for (unsigned i = 0; i < chip->load_count; i++) {
        if (chip->load[i].type & type) {
            return &chip->load[i];
        }
    }
    return NULL;
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static bool plan_layout(const webota_image_make_opts_t *o, plan_t *p)
{
    const webota_chip_info_t *chip = webota_chip_info(o->chip);
    if (chip == NULL || chip->load == NULL) {
        return false;
    }
    const webota_mem_region_t *drom = window(chip, WEBOTA_MEM_DROM);
    const webota_mem_region_t *irom = window(chip, WEBOTA_MEM_IROM);
    const webota_mem_region_t *dram = window(chip, WEBOTA_MEM_DRAM);
    const webota_mem_region_t *iram = window(chip, WEBOTA_MEM_IRAM);
    if (drom == NULL) {
        drom = irom; /* one shared flash window */
    }
    uint32_t iram_addr, dram_addr;
    if (iram != NULL) {
        iram_addr = align_up(iram->start, PAGE) < iram->end ? align_up(iram->start, PAGE) : iram->start;
        dram_addr = align_up(dram->start, PAGE) < dram->end ? align_up(dram->start, PAGE) : dram->start;
    } else {
        /* shared RAM: data first, code 64 KiB above, so that the RAM segments
         * are in address order as esptool sorts them */
        dram_addr = dram->start;
        iram_addr = dram->start + PAGE;
    }

    uint32_t target = o->size;
    if (target > MAX_TARGET) {
        return false;
    }
    /* Where the IROM segment is mapped. With its own window, at the window's
     * start plus the file offset's page offset, as the linker places
     * .flash.text (0x400D0020 on the ESP32): its whole window is then
     * available wherever the segment sits in the file. A window shared with
     * DROM keeps the file's layout (load = start + file offset), so that the
     * two mapped segments never overlap. */
    bool shared = drom->start < irom->end && irom->start < drom->end;
    memset(p, 0, sizeof(*p));
    uint32_t off = WEBOTA_IMAGE_HEADER_LEN;
    bool small = target < SMALL_LIMIT;
    uint32_t l_dram = small ? 0x20 : 0x100, l_iram = small ? 0x40 : 0x800;
    uint32_t l_drom;
    if (small) {
        uint32_t fixed = WEBOTA_IMAGE_HEADER_LEN + 3 * 8 + l_dram + l_iram + 33;
        l_drom = target > fixed ? align_down4(target - fixed) : 0;
    } else {
        l_drom = align_down4(target / 16);
        if (l_drom < 0x400) {
            l_drom = 0x400;
        }
    }
    if (l_drom < WEBOTA_APP_DESC_SIZE + 64) {
        l_drom = WEBOTA_APP_DESC_SIZE + 64;
    }
    /* A target larger than the IROM window holds: the rest goes to DROM
     * (a few passes: growing DROM moves IROM's file offset). */
    for (int pass = 0; pass < 4; pass++) {
        uint32_t d = avoid_page_start(WEBOTA_IMAGE_HEADER_LEN + 8, l_drom);
        off = WEBOTA_IMAGE_HEADER_LEN + 8 + d + 8 + l_dram + 8 + l_iram;
        p->kind[0] = SEG_DROM, p->load[0] = drom->start + WEBOTA_IMAGE_HEADER_LEN + 8, p->len[0] = d;
        p->kind[1] = SEG_DRAM, p->load[1] = dram_addr, p->len[1] = l_dram;
        p->kind[2] = SEG_IRAM, p->load[2] = iram_addr, p->len[2] = l_iram;
        p->count = 3;
        if (small) {
            break;
        }
        /* IROM data at a page offset of 0x20, as the linker places .flash.text */
        uint32_t irom_data = align_up(off + 16 - 0x20, PAGE) + 0x20;
        p->kind[3] = SEG_PAD, p->load[3] = 0, p->len[3] = irom_data - off - 16;
        uint32_t l_irom = target > irom_data + 33 ? align_down4(target - irom_data - 33) : 0;
        if (l_irom < 0x100) {
            l_irom = 0x100;
        }
        l_irom = avoid_page_start(irom_data, l_irom);
        uint32_t irom_load = irom->start + (shared ? irom_data : irom_data % PAGE);
        p->kind[4] = SEG_IROM, p->load[4] = irom_load, p->len[4] = l_irom;
        p->count = 5;
        off = irom_data + l_irom;
        uint64_t irom_end = (uint64_t)irom_load + l_irom;
        if (irom_end <= irom->end) {
            break;
        }
        if (shared || pass == 3) {
            return false;
        }
        l_drom = align_up(l_drom + (uint32_t)(irom_end - irom->end), 4);
    }
    if ((uint64_t)p->load[0] + p->len[0] > drom->end) {
        return false;
    }
    p->end = off;
    p->total = (off | 15u) + 1 + (o->hash ? 32 : 0);
    return true;
}

void webota_image_make_defaults(webota_image_make_opts_t *o, webota_chip_t chip)
{
    memset(o, 0, sizeof(*o));
    o->chip = chip;
    o->project = "webota-app";
    o->version = "1.0.0";
    o->marker = true;
    o->hash = true;
    o->seed = 1;
    o->min_rev_full = 0;
    o->max_rev_full = -1;
    o->flash_mode = 2; /* DIO */
    o->flash_speed = 0;
    o->flash_size = 2; /* 4MB */
}

uint32_t webota_image_make_length(const webota_image_make_opts_t *o)
{
    plan_t p;
    return plan_layout(o, &p) ? p.total : 0;
}

uint32_t webota_image_make_max_size(webota_chip_t chip)
{
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, chip);
    plan_t p;
    if (!plan_layout(&o, &p)) {
        return 0;
    }
    /* the layout fits up to some size and no further: bisect for it */
    uint32_t lo = 0, hi = MAX_TARGET + 1;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        o.size = mid;
        if (plan_layout(&o, &p)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* ---- output ---- */

typedef struct {
    webota_sink_fn sink;
    void *ctx;
    webota_hash_t sha;
    bool hashing;
    uint8_t buf[256];
    size_t n;
    uint8_t xor_sum;
    webota_err_t err;
    const uint8_t *fill; /* contents instead of pseudo-random bytes, or NULL */
    size_t fill_len, fill_pos;
} emit_t;

static void flush(emit_t *e)
{
    if (e->n == 0 || e->err != WEBOTA_OK) {
        e->n = 0;
        return;
    }
    if (e->hashing) {
        e->err = webota_hash_update(&e->sha, e->buf, e->n);
    }
    if (e->err == WEBOTA_OK) {
        e->err = e->sink(e->ctx, e->buf, e->n);
    }
    e->n = 0;
}

static void put(emit_t *e, const uint8_t *data, size_t len, bool checksummed)
{
    for (size_t i = 0; i < len; i++) {
        if (checksummed) {
            e->xor_sum ^= data[i];
        }
        e->buf[e->n++] = data[i];
        if (e->n == sizeof(e->buf)) {
            flush(e);
        }
    }
}

static void put_u32(emit_t *e, uint32_t v)
{
    uint8_t b[4];
    webota_le32_put(b, v);
    put(e, b, 4, false);
}

static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static uint32_t seed_for(uint32_t seed, uint32_t salt)
{
    uint32_t s = seed * 0x9E3779B9u ^ salt * 0x85EBCA6Bu;
    return s != 0 ? s : 0x6D2B79F5u;
}

static void put_random(emit_t *e, uint32_t *state, uint32_t len)
{
    while (e->fill != NULL && len > 0) {
        size_t k = e->fill_len - e->fill_pos;
        if (k > len) {
            k = len;
        }
        put(e, e->fill + e->fill_pos, k, true);
        e->fill_pos = (e->fill_pos + k) % e->fill_len;
        len -= (uint32_t)k;
    }
    while (len > 0) {
        uint8_t b[4];
        webota_le32_put(b, next_rand(state));
        uint32_t k = len < 4 ? len : 4;
        put(e, b, k, true);
        len -= k;
    }
}

static bool str_ok(const char *s, size_t max)
{
    return s != NULL && strlen(s) <= max;
}

webota_err_t webota_image_make(const webota_image_make_opts_t *o, webota_sink_fn sink, void *ctx)
{
    plan_t p;
    const webota_chip_info_t *chip = webota_chip_info(o->chip);
    const char *idf_ver = o->idf_ver ? o->idf_ver : "v5.5";
    const char *date = o->date ? o->date : "Jan  1 2025";
    const char *time = o->time ? o->time : "00:00:00";
    if (sink == NULL || !plan_layout(o, &p) || !str_ok(o->project, 31) || !str_ok(o->version, 31) ||
        !str_ok(idf_ver, 31) || !str_ok(date, 15) || !str_ok(time, 15) || o->flash_mode > 5 ||
        o->flash_speed > 15 || o->flash_size > 15 || o->min_rev_full < -1 || o->min_rev_full > 0xFFFF ||
        o->max_rev_full < -1 || o->max_rev_full > 0xFFFF || (o->fill != NULL && o->fill_len == 0)) {
        return WEBOTA_ERR_ARG;
    }

    emit_t e;
    memset(&e, 0, sizeof(e));
    e.sink = sink;
    e.ctx = ctx;
    e.xor_sum = WEBOTA_IMAGE_CHECKSUM_SEED;
    e.fill = o->fill;
    e.fill_len = o->fill_len;
    if (webota_hash_start(&e.sha, WEBOTA_HASH_SHA256) != WEBOTA_OK) {
        return WEBOTA_ERR_CRYPTO;
    }
    e.hashing = true;

    uint16_t min_full = o->min_rev_full < 0 ? 0 : (uint16_t)o->min_rev_full;
    uint16_t max_full = o->max_rev_full < 0 ? 0xFFFF : (uint16_t)o->max_rev_full;
    uint8_t legacy = 0;
    if (o->chip == WEBOTA_CHIP_ESP32) {
        legacy = (uint8_t)(min_full / 100);
    } else if (o->chip == WEBOTA_CHIP_ESP32C3) {
        legacy = (uint8_t)(min_full % 100);
    }
    uint8_t hdr[WEBOTA_IMAGE_HEADER_LEN] = {0};
    hdr[0] = WEBOTA_IMAGE_MAGIC;
    hdr[1] = p.count;
    hdr[2] = o->flash_mode;
    hdr[3] = (uint8_t)(o->flash_speed | o->flash_size << 4);
    webota_le32_put(hdr + 4, p.load[SEG_IRAM]); /* entry point */
    hdr[8] = 0xEE;                               /* WP pin disabled */
    webota_le16_put(hdr + 12, chip->image_id);
    hdr[14] = legacy;
    webota_le16_put(hdr + 15, min_full);
    webota_le16_put(hdr + 17, max_full);
    hdr[23] = o->hash ? 1 : 0;
    put(&e, hdr, sizeof(hdr), false);

    for (unsigned i = 0; i < p.count; i++) {
        uint32_t len = p.len[i];
        uint32_t rnd = seed_for(o->seed, i + 1);
        put_u32(&e, p.load[i]);
        put_u32(&e, len);
        if (p.kind[i] == SEG_DROM) {
            webota_app_desc_t d;
            uint8_t raw[WEBOTA_APP_DESC_SIZE];
            memset(&d, 0, sizeof(d));
            d.magic_word = WEBOTA_APP_DESC_MAGIC;
            d.secure_version = o->secure_version;
            memcpy(d.version, o->version, strlen(o->version));
            memcpy(d.project_name, o->project, strlen(o->project));
            memcpy(d.time, time, strlen(time));
            memcpy(d.date, date, strlen(date));
            memcpy(d.idf_ver, idf_ver, strlen(idf_ver));
            uint32_t sha_state = seed_for(o->seed, 0xE1F);
            for (unsigned k = 0; k < 32; k += 4) {
                webota_le32_put(d.app_elf_sha256 + k, next_rand(&sha_state)); /* stands for the ELF's SHA-256 */
            }
            d.mmu_page_size = 16;
            webota_app_desc_encode(&d, raw);
            put(&e, raw, sizeof(raw), true);
            len -= WEBOTA_APP_DESC_SIZE;
            if (o->marker) {
                put(&e, webota_marker, WEBOTA_MARKER_LEN, true);
                len -= WEBOTA_MARKER_LEN;
            }
            put_random(&e, &rnd, len);
        } else if (p.kind[i] == SEG_PAD) {
            static const uint8_t zeros[64];
            while (len > 0) {
                uint32_t k = len < sizeof(zeros) ? len : (uint32_t)sizeof(zeros);
                put(&e, zeros, k, true);
                len -= k;
            }
        } else {
            put_random(&e, &rnd, len);
        }
    }
    static const uint8_t zeros16[16];
    uint32_t checksum_at = p.end | 15u;
    put(&e, zeros16, checksum_at - p.end, false);
    uint8_t sum = e.xor_sum;
    put(&e, &sum, 1, false);
    flush(&e);
    e.hashing = false;
    uint8_t digest[WEBOTA_SHA256_LEN];
    webota_err_t herr = webota_hash_finish(&e.sha, digest, sizeof(digest));
    if (e.err == WEBOTA_OK) {
        e.err = herr;
    }
    if (o->hash) {
        put(&e, digest, sizeof(digest), false);
        flush(&e);
    }
    return e.err;
}
