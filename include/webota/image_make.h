/* Deterministic ESP-IDF app images for tests, demos and the simulator's
 * firmware, laid out as esptool's elf2image lays out an app
 * (docs/formats.md#how-esptool-lays-out-an-app):
 *   seg 0  DROM: app descriptor, then rodata (with the webota marker if asked)
 *   seg 1  DRAM data, seg 2 IRAM code (split so that the IROM segment lands on
 *          its MMU page offset), padding segments (load 0) where needed,
 *   last   IROM code,
 *   zero padding, checksum byte, SHA-256 (unless hash is false).
 * Contents are pseudo-random from `seed`: the same options give the same bytes.
 * The image is streamed to a sink; nothing is allocated. */
#ifndef WEBOTA_IMAGE_MAKE_H
#define WEBOTA_IMAGE_MAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/chip.h"
#include "webota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct webota_image_make_opts {
    webota_chip_t chip;
    const char *project;  /* <= 31 chars */
    const char *version;  /* <= 31 chars */
    const char *idf_ver;  /* <= 31 chars; NULL = "v5.5" */
    const char *date;     /* <= 15 chars; NULL = "Jan  1 2025" */
    const char *time;     /* <= 15 chars; NULL = "00:00:00" */
    uint32_t secure_version;
    uint32_t size;        /* approximate total length; below the minimum the minimum is used;
                           * at most webota_image_make_max_size(chip) */
    bool marker;          /* embed the webota marker in the DROM data */
    bool hash;            /* append the SHA-256 (hash_appended = 1) */
    uint32_t seed;
    int min_rev_full;     /* -1 = 0 */
    int max_rev_full;     /* -1 = 0xFFFF (not set) */
    uint8_t flash_mode;   /* header byte 2, 0 QIO .. 5 SLOW_READ */
    uint8_t flash_speed;  /* header low nibble of byte 3 */
    uint8_t flash_size;   /* header high nibble of byte 3 */
    /* NULL: pseudo-random contents from seed. Otherwise the segments' contents
     * are these bytes, repeated as needed (e.g. real machine code, so that the
     * image compresses as a real firmware does); must outlive the call. */
    const uint8_t *fill;
    size_t fill_len;
} webota_image_make_opts_t;

/* Fills defaults: DIO, 40 MHz code 0, 4 MB, marker and hash on, seed 1,
 * min_rev_full 0, max_rev_full -1, size 0 (minimum). */
void webota_image_make_defaults(webota_image_make_opts_t *o, webota_chip_t chip);

typedef webota_err_t (*webota_sink_fn)(void *ctx, const void *data, size_t len);

/* Streams the image to sink (chunks of at most 256 bytes). Errors: ARG for
 * bad options (unknown/id-only chip, strings too long), or what sink returns. */
webota_err_t webota_image_make(const webota_image_make_opts_t *o, webota_sink_fn sink, void *ctx);

/* Length webota_image_make will produce for these options; 0 when they make
 * no image (e.g. a size larger than webota_image_make_max_size). */
uint32_t webota_image_make_length(const webota_image_make_opts_t *o);

/* The largest `size` the maker can lay out for this chip: what its
 * flash-mapped DROM and IROM windows hold together (at most 15 MiB). 0 for a
 * chip it cannot make images for. */
uint32_t webota_image_make_max_size(webota_chip_t chip);

#ifdef __cplusplus
}
#endif

#endif
