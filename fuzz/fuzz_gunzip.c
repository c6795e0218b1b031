/* libFuzzer target for the gzip member parser over zlib's inflater. Input:
 * byte 0 = chunk size (1..256), byte 1 = limit (0 = none, else n * 1 KiB),
 * bytes 2.. = the stream. Parsed whole and in chunks: same verdict, same
 * output (on an error, one output is a prefix of the other). Then compared with zlib's own gzip reader on the same bytes: where
 * zlib reads one member that ends exactly at the input's end within the
 * limit, the parser must accept it with the same bytes, and never accept
 * what zlib refuses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "sim/inflate_zlib.h"
#include "webota/gunzip.h"

#define OUT_MAX (1u << 20)

typedef struct {
    uint8_t *p;
    size_t n;
} out_t;

static webota_err_t to_out(void *ctx, const void *data, size_t len)
{
    out_t *o = ctx;
    if (len == 0 || o->n + len > OUT_MAX) {
        abort(); /* pieces are never empty; the limit keeps it below OUT_MAX */
    }
    memcpy(o->p + o->n, data, len);
    o->n += len;
    return WEBOTA_OK;
}

static sim_inflate_zlib_t zl;

static webota_err_t parse(const uint8_t *d, size_t len, size_t step, uint32_t limit, out_t *o)
{
    webota_gunzip_t g;
    if (webota_gunzip_init(&g, sim_inflate_zlib_init(&zl), limit, to_out, o) != WEBOTA_OK) {
        abort();
    }
    webota_err_t err = WEBOTA_OK;
    for (size_t off = 0; off < len && err == WEBOTA_OK; off += step) {
        err = webota_gunzip_feed(&g, d + off, len - off < step ? len - off : step);
    }
    if (err == WEBOTA_OK) {
        err = webota_gunzip_finish(&g);
    } else if (webota_gunzip_finish(&g) != err) {
        abort(); /* errors are sticky */
    }
    if (webota_gunzip_out(&g) != o->n) {
        abort();
    }
    return err;
}

/* zlib's verdict: 1 = one member ending exactly at len, 0 = not. */
static int zlib_reads(const uint8_t *d, size_t len, uint8_t *out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        abort();
    }
    zs.next_in = (Bytef *)(uintptr_t)d;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = OUT_MAX;
    int rc = inflate(&zs, Z_FINISH);
    *out_len = OUT_MAX - zs.avail_out;
    int ok = rc == Z_STREAM_END && zs.avail_in == 0;
    inflateEnd(&zs);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    size_t step = (size_t)data[0] + 1;
    uint32_t limit = data[1] == 0 ? 0 : (uint32_t)data[1] * 1024u;
    uint32_t cap = limit != 0 ? limit : OUT_MAX - 1;
    const uint8_t *d = data + 2;
    size_t len = size - 2;
    static uint8_t a[OUT_MAX], b[OUT_MAX], z[OUT_MAX];
    out_t oa = {a, 0}, ob = {b, 0};
    webota_err_t ea = parse(d, len, len ? len : 1, cap, &oa);
    webota_err_t eb = parse(d, len, step, cap, &ob);
    size_t common = oa.n < ob.n ? oa.n : ob.n;
    /* a stream both too big and damaged further on: which is seen first depends
     * on how much the inflater outputs per step */
    bool both_bad = ea != WEBOTA_OK && eb != WEBOTA_OK &&
                    (ea == WEBOTA_ERR_GZ_TOO_BIG || eb == WEBOTA_ERR_GZ_TOO_BIG);
    if ((ea != eb && !both_bad) || memcmp(a, b, common) != 0 || (ea == WEBOTA_OK && oa.n != ob.n)) {
        abort(); /* chunking never changes the verdict; what came out agrees (on an error,
                  * the inflater's last piece before the damage may or may not be delivered) */
    }
    size_t zn = 0;
    int zok = zlib_reads(d, len, z, &zn);
    if (ea == WEBOTA_OK && (!zok || zn != oa.n || memcmp(z, a, zn) != 0)) {
        abort(); /* accepted what zlib does not read the same */
    }
    if (zok && zn <= cap && ea != WEBOTA_OK) {
        abort(); /* refused a member zlib reads */
    }
    if (ea == WEBOTA_ERR_GZ_TOO_BIG && oa.n > cap) {
        abort();
    }
    return 0;
}
