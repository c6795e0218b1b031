/* A streaming multipart/form-data body parser (RFC 7578 / RFC 2046), push
 * style: the body arrives in chunks of any size (one byte at a time works),
 * the parser calls back at each part's start (with its form field name and
 * file name), with the part's data in pieces as they arrive, and at its end.
 * A file part is therefore streamed, never buffered.
 *
 * Bounded state, no allocation: webota_mp_t is caller-owned (about 1.3 KiB).
 * Limits: boundary 1..70 characters of RFC 2046's bchars; a part header line
 * at most WEBOTA_MP_LINE_MAX bytes, at most WEBOTA_MP_HEADERS_MAX header lines
 * per part. Bytes before the first boundary (preamble) and after the closing
 * one (epilogue) are ignored. Lines end with CRLF. */
#ifndef WEBOTA_MULTIPART_H
#define WEBOTA_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_MP_BOUNDARY_MAX 70
#define WEBOTA_MP_LINE_MAX 1024   /* one part header line, CRLF excluded */
#define WEBOTA_MP_HEADERS_MAX 16  /* header lines per part */
#define WEBOTA_MP_NAME_MAX 64     /* form field name kept, NUL included; longer is truncated */
#define WEBOTA_MP_FILENAME_MAX 128 /* file name kept, NUL included; longer is truncated */

typedef struct webota_mp_callbacks {
    void *ctx;
    /* A part starts. name = the form field name, filename = the file name
     * ("" when the part has no filename parameter), has_filename tells them
     * apart from an empty one. A non-OK return stops the parser with it. */
    webota_err_t (*part_begin)(void *ctx, const char *name, const char *filename,
                               bool has_filename);
    /* The next len > 0 bytes of the current part's content. */
    webota_err_t (*part_data)(void *ctx, const void *data, size_t len);
    /* The current part is complete (its closing delimiter was seen). */
    webota_err_t (*part_end)(void *ctx);
} webota_mp_callbacks_t;

/* Fields are private to multipart.c. */
typedef struct webota_mp {
    webota_mp_callbacks_t cb;
    char delim[WEBOTA_MP_BOUNDARY_MAX + 4]; /* "\r\n--" boundary */
    uint8_t delim_len;
    uint8_t state;
    uint8_t match;   /* bytes of delim matched so far */
    uint8_t sub;     /* small per-state counter */
    uint8_t headers; /* header lines in the current part */
    bool has_filename;
    webota_err_t err;
    uint16_t line_len;
    char line[WEBOTA_MP_LINE_MAX];
    char name[WEBOTA_MP_NAME_MAX];
    char filename[WEBOTA_MP_FILENAME_MAX];
    uint32_t parts;
} webota_mp_t;

/* The boundary parameter of a Content-Type header value ("multipart/form-data;
 * boundary=xyz", quoted or not). out gets it NUL-terminated (cap >= 71 is
 * always enough). Errors: HTTP_MEDIA_TYPE (not multipart/form-data),
 * MP_SYNTAX (no boundary, empty, too long, or a character outside bchars). */
webota_err_t webota_mp_boundary(const char *content_type, char *out, size_t cap);

/* Starts a parser for a body with this boundary (without the leading "--").
 * Errors: ARG (NULL), MP_SYNTAX (boundary invalid as above). */
webota_err_t webota_mp_init(webota_mp_t *mp, const char *boundary,
                            const webota_mp_callbacks_t *cb);

/* Feeds the next len bytes of the body. Errors: MP_SYNTAX (malformed: bad
 * delimiter line, header line too long or too many, bare CR in headers), or
 * whatever a callback returned. An error is sticky: every later call returns
 * it. Bytes after the closing delimiter are ignored. */
webota_err_t webota_mp_feed(webota_mp_t *mp, const void *data, size_t len);

/* The body is complete: OK only when the closing delimiter was seen
 * (MP_SYNTAX otherwise, or the sticky error). */
webota_err_t webota_mp_finish(webota_mp_t *mp);

/* True once the closing delimiter has been seen. */
bool webota_mp_done(const webota_mp_t *mp);
/* Parts started so far. */
uint32_t webota_mp_parts(const webota_mp_t *mp);

#ifdef __cplusplus
}
#endif

#endif
