/* The inflater seam (webota/inflate.h) on the ESP32: the ROM's miniz
 * tinfl_decompress (esp_rom's miniz.h), so the firmware carries no inflater
 * of its own. tinfl writes into a 32 KiB wrapping dictionary that is also
 * its output: each step hands out the piece it just wrote. The dictionary
 * and the decompressor (about 43 KiB together) are allocated when a
 * compressed upload starts and freed when it ends: RAM is spent only while
 * one is in progress. */
#include <stdlib.h>
#include <string.h>

#include "miniz.h"

#include "webota_esp_internal.h"

typedef struct {
    tinfl_decompressor d;
    mz_uint8 dict[TINFL_LZ_DICT_SIZE];
} tinfl_state_t;

_Static_assert((TINFL_LZ_DICT_SIZE & (TINFL_LZ_DICT_SIZE - 1)) == 0, "tinfl wraps a power of two");

static void esp_stop(void *ctx)
{
    webota_esp_inflate_t *z = ctx;
    free(z->state);
    z->state = NULL;
}

static webota_err_t esp_start(void *ctx)
{
    webota_esp_inflate_t *z = ctx;
    esp_stop(z);
    tinfl_state_t *t = malloc(sizeof(*t));
    if (t == NULL) {
        return WEBOTA_ERR_NO_SPACE;
    }
    tinfl_init(&t->d);
    z->state = t;
    z->dict_ofs = 0;
    return WEBOTA_OK;
}

static webota_err_t esp_step(void *ctx, const uint8_t *in, size_t in_len, size_t *in_used,
                             const uint8_t **out, size_t *out_len, bool *end)
{
    webota_esp_inflate_t *z = ctx;
    tinfl_state_t *t = z->state;
    *in_used = 0;
    *out_len = 0;
    *end = false;
    if (t == NULL) {
        return WEBOTA_ERR_STATE;
    }
    static const mz_uint8 none[1];
    size_t in_bytes = in_len;
    size_t out_bytes = TINFL_LZ_DICT_SIZE - z->dict_ofs;
    *out = t->dict + z->dict_ofs;
    /* more input may always follow: the end is the final block's, not ours */
    tinfl_status st = tinfl_decompress(&t->d, in_len ? in : none, &in_bytes, t->dict,
                                       t->dict + z->dict_ofs, &out_bytes, TINFL_FLAG_HAS_MORE_INPUT);
    if (st < TINFL_STATUS_DONE) {
        return WEBOTA_ERR_GZ_DATA;
    }
    *in_used = in_bytes;
    *out_len = out_bytes;
    z->dict_ofs = (z->dict_ofs + out_bytes) & (TINFL_LZ_DICT_SIZE - 1);
    *end = st == TINFL_STATUS_DONE;
    return WEBOTA_OK;
}

/* After the final block tinfl has aligned to a byte; whole bytes still in its
 * bit buffer were read ahead from the input (least significant first). */
static size_t esp_lookahead(void *ctx, uint8_t *buf, size_t cap)
{
    webota_esp_inflate_t *z = ctx;
    tinfl_state_t *t = z->state;
    if (t == NULL) {
        return 0;
    }
    size_t n = t->d.m_num_bits / 8u;
    tinfl_bit_buf_t bits = t->d.m_bit_buf >> (t->d.m_num_bits % 8u); /* a partial byte is spent */
    for (size_t i = 0; i < n && i < cap; i++) {
        buf[i] = (uint8_t)(bits & 0xFFu);
        bits >>= 8;
    }
    return n < cap ? n : cap;
}

const webota_inflate_ops_t *webota_esp_inflate_init(webota_esp_inflate_t *z)
{
    memset(z, 0, sizeof(*z));
    z->ops.ctx = z;
    z->ops.name = "rom-miniz";
    z->ops.window_bytes = TINFL_LZ_DICT_SIZE;
    z->ops.state_bytes = (uint32_t)sizeof(tinfl_state_t);
    z->ops.start = esp_start;
    z->ops.step = esp_step;
    z->ops.lookahead = esp_lookahead;
    z->ops.stop = esp_stop;
    return &z->ops;
}
