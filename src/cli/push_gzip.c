/* `webota push` compression: zlib's deflate with a gzip wrapper (Debian's
 * zlib1g), the image read and compressed whole (an app image is at most a
 * few MiB); a .gz FILE inflated with the device's own gzip parser. */
#include "cli/push_gzip.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "sim/inflate_zlib.h"
#include "webota/gunzip.h"

bool cli_file_is_gzip(FILE *f)
{
    unsigned char m[2] = {0, 0};
    size_t n = fread(m, 1, 2, f);
    rewind(f);
    return n == 2 && m[0] == 0x1F && m[1] == 0x8B;
}

bool cli_gzip_file(FILE *f, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        return false;
    }
    size_t cap = 1u << 16, len = 0;
    uint8_t *buf = malloc(cap);
    unsigned char in[1u << 16];
    bool ok = buf != NULL;
    int flush = Z_NO_FLUSH;
    while (ok && flush != Z_FINISH) {
        size_t n = fread(in, 1, sizeof(in), f);
        if (ferror(f)) {
            ok = false;
            break;
        }
        flush = n < sizeof(in) ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = in;
        zs.avail_in = (uInt)n;
        int rc;
        do {
            if (cap - len < 4096) {
                uint8_t *p = realloc(buf, cap * 2);
                if (p == NULL) {
                    ok = false;
                    break;
                }
                buf = p;
                cap *= 2;
            }
            zs.next_out = buf + len;
            zs.avail_out = (uInt)(cap - len);
            rc = deflate(&zs, flush);
            len = cap - zs.avail_out;
        } while (ok && (zs.avail_in > 0 || (flush == Z_FINISH && rc != Z_STREAM_END)));
    }
    deflateEnd(&zs);
    rewind(f);
    if (!ok) {
        free(buf);
        return false;
    }
    *out = buf;
    *out_len = len;
    return true;
}

static webota_err_t to_file(void *ctx, const void *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? WEBOTA_OK : WEBOTA_ERR_IO;
}

webota_err_t cli_gunzip_file(FILE *f, uint32_t limit, FILE *out, uint32_t *at)
{
    sim_inflate_zlib_t *z = malloc(sizeof(*z));
    *at = 0;
    if (z == NULL) {
        return WEBOTA_ERR_NO_SPACE;
    }
    webota_gunzip_t g;
    webota_err_t e = webota_gunzip_init(&g, sim_inflate_zlib_init(z), limit, to_file, out);
    unsigned char buf[16384];
    size_t n;
    while (e == WEBOTA_OK && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        e = webota_gunzip_feed(&g, buf, n);
    }
    if (e == WEBOTA_OK) {
        e = ferror(f) ? WEBOTA_ERR_IO : webota_gunzip_finish(&g);
    }
    *at = webota_gunzip_error_offset(&g);
    webota_gunzip_stop(&g);
    sim_inflate_zlib_close(z);
    free(z);
    rewind(f);
    rewind(out);
    return e;
}
