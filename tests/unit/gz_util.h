/* gzip streams for the tests, made with zlib's own deflate (Debian's
 * zlib1g): whole members, and raw DEFLATE data for hand-built headers. */
#ifndef WEBOTA_TEST_GZ_UTIL_H
#define WEBOTA_TEST_GZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/* A malloc'd stream of data: window_bits 31 = gzip member, -15 = raw DEFLATE. */
static inline uint8_t *gz_deflate(const void *data, size_t len, int level, int window_bits,
                                  size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    *out_len = 0;
    if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        return NULL;
    }
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static inline uint8_t *gz_make(const void *data, size_t len, size_t *out_len)
{
    return gz_deflate(data, len, 9, 31, out_len);
}

#endif
