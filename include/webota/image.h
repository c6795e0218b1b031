/* Streaming ESP-IDF app image checker.
 *
 * The caller owns a webota_image_checker_t of at most
 * WEBOTA_IMAGE_CHECKER_MAX_SIZE bytes (no malloc), feeds the image in chunks
 * of any size and finishes. The state holds only what judging needs: the hash
 * operation, the parse position, the header or segment header being
 * assembled, the app descriptor's 256 raw bytes until they are complete (the
 * same buffer then holds the digests), the marker match length, the checksum,
 * counters and the verdict. It never buffers the image.
 *
 * What the caller may want to show (header fields, segments, decoded app
 * descriptor, stored and computed checksum and SHA-256) is written into an
 * optional caller-provided webota_image_info_t given at init (NULL = not
 * recorded). The verdict, error offset and status are the same with or
 * without it, and, like every recorded field, whatever the chunking.
 *
 * Checks, in stream order (docs/formats.md#image-verification), each failure
 * a distinct code with the offset of the byte or field where it was found:
 *   magic 0xE9 (IMG_MAGIC @0); chip id known and equal to policy.chip (IMG_CHIP
 *   @12; chips without a memory table: UNSUPPORTED @12); hash_appended 0/1
 *   (IMG_HEADER @23); chip revision against min/max_rev_full (IMG_CHIP_REV_MIN
 *   @15, IMG_CHIP_REV_MAX @17); segment count 1..16 (IMG_SEGCOUNT @1);
 *   per segment header: length % 4 (IMG_SEG_ALIGN @hdr+4), < 16 MiB
 *   (IMG_SEG_TOO_BIG @hdr+4), segment 0 >= 256 bytes (IMG_SEG0_SHORT @hdr+4),
 *   RAM segments wholly inside a DRAM/IRAM/RTC window (IMG_LOAD_ADDR @hdr),
 *   mapped segments aligned to the MMU page (IMG_MAPPED_ALIGN @hdr), data ends
 *   inside max_size (IMG_TOO_BIG @hdr+4);
 *   app descriptor magic (IMG_APPDESC @0x20), eFuse block revision
 *   (IMG_EFUSE_BLK_REV @0xD0), then policy.on_desc (its code @0x20);
 *   checksum (IMG_CHECKSUM @checksum byte), SHA-256 (IMG_HASH @first hash byte);
 *   stream longer than max_size (IMG_TOO_BIG @max_size);
 *   at finish: stream ended early (IMG_TRUNCATED @bytes received).
 * Segments with load address < 0x10000000 (esptool's padding, load 0) are not
 * loaded by ESP-IDF and are not checked against the windows.
 * An image is judged as if written at a 64 KiB-aligned flash offset (app
 * partitions are), so a mapped segment's data must satisfy
 * file_offset % page == load_addr % page. The page is 64 KiB, or on chips with
 * a configurable MMU page the app descriptor's mmu_page_size (log2 13..16;
 * other values mean 64 KiB).
 *
 * Stricter than ESP-IDF on purpose: the app descriptor magic is required on
 * every chip (the updater needs project and version), and hash_appended must
 * be 0 or 1 (esptool rejects other values). */
#ifndef WEBOTA_IMAGE_H
#define WEBOTA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/app_desc.h"
#include "webota/chip.h"
#include "webota/crypto.h"
#include "webota/err.h"
#include "webota/marker.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_IMAGE_MAGIC 0xE9u
#define WEBOTA_IMAGE_HEADER_LEN 24u
#define WEBOTA_IMAGE_SEG_HEADER_LEN 8u
#define WEBOTA_IMAGE_MAX_SEGMENTS 16u
#define WEBOTA_IMAGE_CHECKSUM_SEED 0xEFu
#define WEBOTA_IMAGE_SEG_MAX_LEN 0x1000000u /* data_len must be below 16 MiB */
#define WEBOTA_IMAGE_SIG_BLOCK_MAGIC 0xE7u  /* SBv2 block, formats.md#signature-blocks */
/* Bound on sizeof(webota_image_checker_t), enforced by a static assertion in
 * image.c: the hash context plus 384 bytes, 640 with the 256-byte context.
 * In use: 608 bytes on x86-64, 600 on riscv32 (ESP32-C3 and later), 592 on
 * i386; of that 264 are the hash operation and 256 the descriptor buffer.
 * The optional webota_image_info_t is 488 bytes on x86-64. */
#define WEBOTA_IMAGE_CHECKER_MAX_SIZE (WEBOTA_HASH_CTX_SIZE + 384u)

/* A zeroed policy is the default (webota_image_policy_init): any known chip,
 * revisions not checked, no size limit. Each check is off until its check_*
 * flag is set, so that chip 0 (the ESP32) and revision 0 stay real values. */
typedef struct webota_image_policy {
    bool check_chip;          /* require `chip` (false = any known chip) */
    int chip;                 /* webota_chip_t, with check_chip (negative = any) */
    bool check_chip_rev;      /* check the device revision against the image's range */
    int chip_rev;             /* device revision major*100+minor, with check_chip_rev */
    bool check_efuse_blk_rev; /* check the device eFuse block revision */
    int efuse_blk_rev;        /* major*100+minor, with check_efuse_blk_rev */
    uint32_t max_size; /* slot size: the whole stream must fit; 0 = no limit */
    /* Called once, as soon as the app descriptor's 256 bytes (offset
     * 0x20..0x120) have arrived and passed the checks above; return non-OK to
     * refuse: that code becomes the verdict (error offset 0x20). May be NULL.
     * desc is valid during the call only (it may live on the checker's stack). */
    webota_err_t (*on_desc)(void *ctx, const webota_app_desc_t *desc);
    void *ctx;
} webota_image_policy_t;

/* Zeroes the policy: any known chip, revision and eFuse block revision not
 * checked, no size limit, no descriptor callback. */
void webota_image_policy_init(webota_image_policy_t *policy);

/* The verdict and the scalar results, kept in the checker itself; valid
 * during and after feeding (webota_image_status). */
typedef struct webota_image_status {
    webota_err_t err;    /* first error so far (sticky), WEBOTA_OK if none */
    uint32_t err_offset; /* stream offset where it was found */
    uint32_t length;     /* image length incl. checksum and hash (0 until known): signature material starts at align_up(length, 4096) */
    uint32_t received;   /* bytes consumed (image + trailing); a fatal error stops consumption */
    uint32_t trailing;   /* bytes fed after the image end */
    /* header fields the chip checks judge (valid once header_seen) */
    uint16_t chip_id;
    uint16_t min_rev_full, max_rev_full;
    bool header_seen;    /* the 24-byte header has arrived */
    bool desc_seen;      /* the app descriptor has arrived and decoded */
    bool checksum_seen, checksum_valid;
    bool hash_seen, hash_valid; /* hash_seen: all 32 stored bytes arrived */
    bool marker;         /* the webota marker occurs in the image bytes */
    bool sig_blocks;     /* the byte at align_up(length, 4096) is 0xE7 (an SBv2 block follows) */
    bool complete;       /* the image end (checksum [+hash]) has been reached */
} webota_image_status_t;

typedef struct webota_image_segment {
    uint32_t load;   /* load address (0 = padding) */
    uint32_t length; /* data length */
    uint32_t offset; /* file offset of its 8-byte header */
} webota_image_segment_t;

/* Optional record of everything shown by `image info`, filled in as the bytes
 * arrive when the caller passes one to init (zeroed there). Which parts are
 * valid: see the status flags (header_seen, desc_seen, checksum_seen,
 * hash_seen). */
typedef struct webota_image_info {
    /* header */
    uint16_t chip_id;
    const webota_chip_info_t *chip; /* NULL if the id is unknown */
    uint8_t segment_count_hdr;      /* as declared in the header */
    uint8_t spi_mode;               /* 0 QIO .. 5 SLOW_READ */
    uint8_t spi_speed;              /* low nibble of byte 3 */
    uint8_t spi_size;               /* high nibble of byte 3 */
    uint32_t entry;
    uint8_t wp_pin;
    uint8_t spi_pin_drv[3];
    uint8_t min_rev;                /* legacy byte 14 */
    uint16_t min_rev_full, max_rev_full;
    bool hash_appended;
    /* segments whose header has been read */
    uint8_t segment_count;
    webota_image_segment_t segment[WEBOTA_IMAGE_MAX_SEGMENTS];
    /* app descriptor (valid once desc_seen) */
    webota_app_desc_t desc;
    uint32_t mmu_page;              /* page size used for the mapped-segment rule */
    /* footer */
    uint8_t checksum_stored, checksum_calc;
    uint32_t checksum_offset;
    uint8_t sha256_stored[32];      /* as many bytes as have arrived */
    uint8_t sha256_calc[32];        /* valid once the checksum byte has arrived */
} webota_image_info_t;

/* A copy of the checker's SHA-256 operation, taken when the checksum byte has
 * been hashed, for a consumer that needs the digest of a longer prefix of the
 * stream (the Secure Boot V2 digest runs up to the signature sector): it goes
 * on from there instead of hashing the image a second time. */
typedef struct webota_image_sha_tap {
    webota_hash_t sha256; /* the operation over stream bytes [0, covered) */
    uint32_t covered;     /* 0 until the copy has been made */
    bool failed;          /* the copy could not be made (crypto error) */
} webota_image_sha_tap_t;

/* Caller-allocated; the fields are private (use the functions below). */
typedef struct webota_image_checker {
    webota_hash_t sha;
    const webota_image_policy_t *policy;
    webota_image_sha_tap_t *tap;    /* caller's copy target, or NULL */
    webota_image_info_t *info;      /* caller's record, or NULL */
    const webota_chip_info_t *chip; /* from the header */
    webota_image_status_t st;
    uint32_t remaining;       /* bytes left in the current segment data or padding */
    uint32_t mmu_page;
    uint32_t seg0_load;       /* for segment 0's alignment, judged once the page is known */
    uint32_t checksum_offset;
    uint16_t buf_len;
    uint8_t state;
    uint8_t seg_index;
    uint8_t seg_count;        /* declared in the header */
    uint8_t checksum_calc;
    uint8_t marker_len;       /* longest marker prefix the stream so far ends with */
    bool hash_appended;
    bool desc_pending;        /* segment 0 data currently carries the descriptor */
    bool seg0_align_pending;
    bool hash_active;
    bool halted;              /* a structural error stopped parsing */
    /* header, segment header or app descriptor being assembled; after the
     * checksum byte: computed SHA-256 [0..32), stored one [32..64) */
    uint8_t buf[WEBOTA_APP_DESC_SIZE];
} webota_image_checker_t;

/* policy may be NULL (no policy checks); it must outlive the checker. info
 * may be NULL (nothing recorded); it is zeroed here and must outlive the
 * checker. */
void webota_image_init(webota_image_checker_t *c, const webota_image_policy_t *policy, webota_image_info_t *info);
/* Asks for a copy of the SHA-256 operation at the checksum byte (see
 * webota_image_sha_tap_t); call after init, before the first feed. The tap is
 * reset here and must outlive the checker; its owner releases the copy. */
void webota_image_tap_sha256(webota_image_checker_t *c, webota_image_sha_tap_t *tap);
/* Feeds the next bytes. Returns the sticky first error (WEBOTA_OK so far).
 * Bytes after the image end are accepted and counted as trailing data. */
webota_err_t webota_image_feed(webota_image_checker_t *c, const void *data, size_t len);
/* Final verdict: IMG_TRUNCATED if the image end was not reached. Releases the hash. */
webota_err_t webota_image_finish(webota_image_checker_t *c);
/* Releases the hash operation without a verdict (safe after finish). */
void webota_image_abort(webota_image_checker_t *c);
/* Verdict and scalar results so far. */
const webota_image_status_t *webota_image_status(const webota_image_checker_t *c);
/* The info given to init (NULL if none). */
const webota_image_info_t *webota_image_info(const webota_image_checker_t *c);

/* One-shot convenience over a whole buffer (init, feed, finish); info may be NULL. */
webota_err_t webota_image_check_buffer(const void *data, size_t len, const webota_image_policy_t *policy,
                                       webota_image_info_t *info, webota_image_checker_t *c);

#ifdef __cplusplus
}
#endif

#endif
