/* See image_buf.h. */
#include "sim/image_buf.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *buf;
    size_t len, cap;
} membuf_t;

static webota_err_t mem_sink(void *ctx, const void *data, size_t len)
{
    membuf_t *m = ctx;
    if (len > m->cap - m->len) {
        return WEBOTA_ERR_STATE; /* longer than webota_image_make_length said */
    }
    memcpy(m->buf + m->len, data, len);
    m->len += len;
    return WEBOTA_OK;
}

webota_err_t sim_image_make_alloc(const webota_image_make_opts_t *o, uint8_t **out, size_t *len)
{
    if (out == NULL || len == NULL) {
        return WEBOTA_ERR_ARG;
    }
    *out = NULL;
    *len = 0;
    if (o == NULL) {
        return WEBOTA_ERR_ARG;
    }
    uint32_t n = webota_image_make_length(o);
    if (n == 0) {
        return WEBOTA_ERR_ARG;
    }
    membuf_t m = {malloc(n), 0, n};
    if (m.buf == NULL) {
        return WEBOTA_ERR_NO_SPACE;
    }
    webota_err_t err = webota_image_make(o, mem_sink, &m);
    if (err == WEBOTA_OK && m.len != n) {
        err = WEBOTA_ERR_STATE;
    }
    if (err != WEBOTA_OK) {
        free(m.buf);
        return err;
    }
    *out = m.buf;
    *len = m.len;
    return WEBOTA_OK;
}
