/* The inflater seam: a raw DEFLATE decoder (RFC 1951) that the platform
 * provides, so that the core can take compressed uploads without carrying an
 * inflater of its own and without allocating. The core's gzip member parser
 * (webota/gunzip.h) drives it push-style: each input chunk goes in, the bytes
 * it inflates come out in pieces that go straight to the update session.
 *
 * Implementations: zlib's raw inflate on the PC (src/sim/inflate_zlib.c), the
 * ESP32 ROM's miniz tinfl_decompress in the ESP-IDF port
 * (ports/esp-idf/src/webota_esp_inflate.c). Whatever RAM an implementation
 * holds (its dictionary of up to 32 KiB, its decoder state, an output buffer)
 * belongs to its ctx, is fixed while it runs, and is reported in
 * window_bytes / state_bytes (GET /api/status shows them). */
#ifndef WEBOTA_INFLATE_H
#define WEBOTA_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct webota_inflate_ops {
    void *ctx;
    const char *name;      /* "zlib", "rom-miniz": shown in /api/status */
    uint32_t window_bytes; /* the LZ77 dictionary it keeps (32768 for any DEFLATE stream) */
    uint32_t state_bytes;  /* all the RAM it holds while inflating, the window included */
    /* Starts a new raw DEFLATE stream (no zlib or gzip wrapper). May be
     * called again to restart. Errors: NO_SPACE, IO. */
    webota_err_t (*start)(void *ctx);
    /* Inflates from in[0..in_len): *in_used bytes were consumed and *out_len
     * bytes are delivered at *out (memory of the inflater, valid until the
     * next call). in_len 0 asks for output still pending. *end becomes true
     * once the final block is complete and all of its output has been
     * delivered: bytes after the stream's end are never consumed. Each call
     * with input, or with output pending, makes progress (consumes or
     * delivers something). Errors: GZ_DATA (not a valid DEFLATE stream). */
    webota_err_t (*step)(void *ctx, const uint8_t *in, size_t in_len, size_t *in_used,
                         const uint8_t **out, size_t *out_len, bool *end);
    /* After *end: the bytes it had taken past the stream's end (an inflater
     * that reads ahead into a bit buffer, as miniz's tinfl does), in order,
     * at most cap; they are the next input (the gzip trailer). NULL for an
     * inflater that never reads past the end (zlib). */
    size_t (*lookahead)(void *ctx, uint8_t *buf, size_t cap);
    /* Releases what start took; safe without start and more than once. */
    void (*stop)(void *ctx);
} webota_inflate_ops_t;

#ifdef __cplusplus
}
#endif

#endif
