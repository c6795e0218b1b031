/* zlib's raw inflate behind the inflater seam; zlib allocates from an arena
 * in the struct (a bump allocator reset at each start). */
#include <string.h>

#include "sim/inflate_zlib.h"

static voidpf arena_alloc(voidpf opaque, uInt items, uInt size)
{
    sim_inflate_zlib_t *z = opaque;
    size_t n = (size_t)items * size;
    if (items != 0 && n / items != size) {
        return Z_NULL;
    }
    n = (n + 15u) & ~(size_t)15u;
    if (n > sizeof(z->arena) - z->arena_used) {
        return Z_NULL;
    }
    void *p = z->arena + z->arena_used;
    z->arena_used += n;
    if (z->arena_used > z->arena_peak) {
        z->arena_peak = z->arena_used;
    }
    return p;
}

static void arena_free(voidpf opaque, voidpf address)
{
    (void)opaque;
    (void)address; /* released all at once by the next start */
}

static void z_stop(void *ctx)
{
    sim_inflate_zlib_t *z = ctx;
    if (z->inited) {
        inflateEnd(&z->zs);
        z->inited = false;
    }
    z->arena_used = 0;
}

static webota_err_t z_start(void *ctx)
{
    sim_inflate_zlib_t *z = ctx;
    z_stop(z);
    memset(&z->zs, 0, sizeof(z->zs));
    z->zs.zalloc = arena_alloc;
    z->zs.zfree = arena_free;
    z->zs.opaque = z;
    int rc = inflateInit2(&z->zs, -MAX_WBITS); /* raw DEFLATE, 32 KiB window */
    if (rc != Z_OK) {
        return rc == Z_MEM_ERROR ? WEBOTA_ERR_NO_SPACE : WEBOTA_ERR_IO;
    }
    z->inited = true;
    return WEBOTA_OK;
}

static webota_err_t z_step(void *ctx, const uint8_t *in, size_t in_len, size_t *in_used,
                           const uint8_t **out, size_t *out_len, bool *end)
{
    sim_inflate_zlib_t *z = ctx;
    *in_used = 0;
    *out_len = 0;
    *out = z->out;
    *end = false;
    if (!z->inited) {
        return WEBOTA_ERR_STATE;
    }
    uInt avail = in_len > UINT32_MAX ? UINT32_MAX : (uInt)in_len;
    z->zs.next_in = (Bytef *)(uintptr_t)in; /* zlib's API is not const */
    z->zs.avail_in = avail;
    z->zs.next_out = z->out;
    z->zs.avail_out = sizeof(z->out);
    int rc = inflate(&z->zs, Z_NO_FLUSH);
    *in_used = avail - z->zs.avail_in;
    *out_len = sizeof(z->out) - z->zs.avail_out;
    switch (rc) {
    case Z_STREAM_END:
        *end = true;
        return WEBOTA_OK;
    case Z_OK:
    case Z_BUF_ERROR: /* nothing to do without more input */
        return WEBOTA_OK;
    case Z_MEM_ERROR:
        return WEBOTA_ERR_NO_SPACE;
    case Z_DATA_ERROR:
    case Z_NEED_DICT:
        return WEBOTA_ERR_GZ_DATA;
    default:
        return WEBOTA_ERR_STATE;
    }
}

const webota_inflate_ops_t *sim_inflate_zlib_init(sim_inflate_zlib_t *z)
{
    memset(z, 0, sizeof(*z));
    z->ops.ctx = z;
    z->ops.name = "zlib";
    z->ops.window_bytes = 1u << MAX_WBITS;
    z->ops.state_bytes = (uint32_t)sizeof(*z);
    z->ops.start = z_start;
    z->ops.step = z_step;
    z->ops.stop = z_stop;
    return &z->ops;
}

void sim_inflate_zlib_close(sim_inflate_zlib_t *z)
{
    z_stop(z);
}
