/* A streaming gzip member parser (RFC 1952) over the inflater seam
 * (webota/inflate.h): compressed bytes in, in chunks of any size; the
 * inflated bytes go to a sink (the update session) as they come, so the image
 * is checked exactly as if it had been sent plain.
 *
 * What it judges, each with its own error:
 *   header   ID 1f 8b, method 8 (deflate), no reserved flag bits; FEXTRA,
 *            FNAME, FCOMMENT are skipped, FHCRC is checked   -> GZ_HEADER
 *   data     the inflater's verdict                            -> GZ_DATA
 *   size     more inflated bytes than `limit` (the slot): stops there, so a
 *            "zip bomb" never writes past the slot             -> GZ_TOO_BIG
 *   trailer  CRC-32 of the inflated bytes                      -> GZ_CRC
 *            ISIZE (length mod 2^32)                           -> GZ_SIZE
 *   end      bytes after the trailer (one member only)         -> GZ_TRAILING
 *            the input ends before the trailer (at finish)     -> GZ_TRUNCATED
 * The sink's own errors are returned as they are. After an error every call
 * returns it again.
 *
 * The trailer is only known at the end: the caller must call
 * webota_gunzip_finish, and see it succeed, before it acts on what was
 * inflated (the API finishes the update session only then).
 *
 * No allocation: webota_gunzip_t is caller-owned (about 64 bytes); the
 * inflater's memory is the inflater's. */
#ifndef WEBOTA_GUNZIP_H
#define WEBOTA_GUNZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/err.h"
#include "webota/inflate.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef webota_err_t (*webota_gunzip_sink_fn)(void *ctx, const void *data, size_t len);

/* Fields private to src/core/gunzip.c. */
typedef struct webota_gunzip {
    const webota_inflate_ops_t *inflate;
    webota_gunzip_sink_fn sink;
    void *sink_ctx;
    uint32_t limit;    /* most inflated bytes accepted, 0 = no limit */
    uint32_t in;       /* compressed bytes taken */
    uint32_t out;      /* inflated bytes delivered */
    uint32_t crc;      /* CRC-32 of the inflated bytes */
    uint32_t hcrc;     /* CRC-32 of the header bytes (FHCRC) */
    uint32_t err_offset;
    webota_err_t err;
    uint16_t need;     /* bytes still to skip or collect in this header part */
    uint8_t state;
    uint8_t flags;
    uint8_t n;         /* bytes collected into buf */
    uint8_t buf[10];   /* fixed header, XLEN, header CRC, trailer */
    bool started;      /* the inflater has been started */
} webota_gunzip_t;

/* Ready for one member; nothing is called yet. limit 0 = no limit. Errors:
 * ARG (a NULL pointer or an inflater without its functions). */
webota_err_t webota_gunzip_init(webota_gunzip_t *g, const webota_inflate_ops_t *inflate,
                                uint32_t limit, webota_gunzip_sink_fn sink, void *sink_ctx);
/* The next compressed bytes (any chunking, len 0 allowed). */
webota_err_t webota_gunzip_feed(webota_gunzip_t *g, const void *data, size_t len);
/* The input is complete: OK only when the member ended with a good trailer.
 * Stops the inflater either way. */
webota_err_t webota_gunzip_finish(webota_gunzip_t *g);
/* Stops the inflater (the upload went away); the state becomes failed with
 * UPD_ABORTED unless it had ended. Safe any number of times. */
void webota_gunzip_stop(webota_gunzip_t *g);

/* Compressed bytes taken, inflated bytes delivered so far. */
uint32_t webota_gunzip_in(const webota_gunzip_t *g);
uint32_t webota_gunzip_out(const webota_gunzip_t *g);
/* The first error (OK if none) and the compressed offset it was found at. */
webota_err_t webota_gunzip_error(const webota_gunzip_t *g);
uint32_t webota_gunzip_error_offset(const webota_gunzip_t *g);
/* True when data starts like a gzip stream (1f 8b); len may be 1 (1f). */
bool webota_gunzip_sniff(const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
