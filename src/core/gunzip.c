/* gzip member parser (RFC 1952) over the inflater seam: a byte-at-a-time
 * state machine for the header and trailer, the platform's inflater for the
 * data, CRC-32 and length of what comes out checked against the trailer. */
#include <string.h>

#include "webota/crc32.h"
#include "webota/gunzip.h"

#include "bytes.h"

enum {
    ST_HEAD,    /* 10 fixed bytes: ID1 ID2 CM FLG MTIME(4) XFL OS */
    ST_XLEN,    /* FEXTRA: 2-byte length */
    ST_EXTRA,   /* FEXTRA: skip `need` bytes */
    ST_NAME,    /* FNAME: skip to NUL */
    ST_COMMENT, /* FCOMMENT: skip to NUL */
    ST_HCRC,    /* FHCRC: low 16 bits of the header's CRC-32 */
    ST_DATA,    /* the DEFLATE stream */
    ST_TRAILER, /* CRC32(4) ISIZE(4) */
    ST_DONE,
    ST_FAILED,
};

#define F_HCRC 0x02u
#define F_EXTRA 0x04u
#define F_NAME 0x08u
#define F_COMMENT 0x10u
#define F_RESERVED 0xE0u

static webota_err_t fail(webota_gunzip_t *g, webota_err_t err, uint32_t offset)
{
    if (g->state == ST_FAILED) {
        return g->err;
    }
    if (g->started) {
        g->inflate->stop(g->inflate->ctx);
        g->started = false;
    }
    g->state = ST_FAILED;
    g->err = err;
    g->err_offset = offset;
    return err;
}

webota_err_t webota_gunzip_init(webota_gunzip_t *g, const webota_inflate_ops_t *inflate,
                                uint32_t limit, webota_gunzip_sink_fn sink, void *sink_ctx)
{
    if (g == NULL) {
        return WEBOTA_ERR_ARG;
    }
    memset(g, 0, sizeof(*g));
    if (inflate == NULL || inflate->start == NULL || inflate->step == NULL ||
        inflate->stop == NULL || sink == NULL) {
        g->state = ST_FAILED;
        g->err = WEBOTA_ERR_ARG;
        return WEBOTA_ERR_ARG;
    }
    g->inflate = inflate;
    g->sink = sink;
    g->sink_ctx = sink_ctx;
    g->limit = limit;
    g->state = ST_HEAD;
    g->need = 10;
    return WEBOTA_OK;
}

/* The header part after the one just finished, following FLG. */
static webota_err_t next_header_part(webota_gunzip_t *g)
{
    g->n = 0;
    if (g->state < ST_XLEN && (g->flags & F_EXTRA)) {
        g->state = ST_XLEN;
        g->need = 2;
    } else if (g->state < ST_NAME && (g->flags & F_NAME)) {
        g->state = ST_NAME;
    } else if (g->state < ST_COMMENT && (g->flags & F_COMMENT)) {
        g->state = ST_COMMENT;
    } else if (g->state < ST_HCRC && (g->flags & F_HCRC)) {
        g->state = ST_HCRC;
        g->need = 2;
    } else {
        webota_err_t err = g->inflate->start(g->inflate->ctx);
        if (err != WEBOTA_OK) {
            return fail(g, err, g->in);
        }
        g->started = true;
        g->state = ST_DATA;
    }
    return WEBOTA_OK;
}

/* One header or trailer byte. */
static webota_err_t take_byte(webota_gunzip_t *g, uint8_t b)
{
    uint32_t at = g->in;
    g->in++;
    if (g->state < ST_HCRC) {
        g->hcrc = webota_crc32_le(g->hcrc, &b, 1);
    }
    switch (g->state) {
    case ST_HEAD:
        g->buf[g->n++] = b;
        if ((g->n == 1 && b != 0x1F) || (g->n == 2 && b != 0x8B) || (g->n == 3 && b != 8) ||
            (g->n == 4 && (b & F_RESERVED) != 0)) {
            return fail(g, WEBOTA_ERR_GZ_HEADER, at);
        }
        if (g->n == 10) {
            g->flags = g->buf[3];
            return next_header_part(g);
        }
        return WEBOTA_OK;
    case ST_XLEN:
        g->buf[g->n++] = b;
        if (g->n == 2) {
            g->need = webota_le16_get(g->buf);
            g->n = 0;
            g->state = ST_EXTRA;
            if (g->need == 0) {
                return next_header_part(g);
            }
        }
        return WEBOTA_OK;
    case ST_EXTRA:
        if (--g->need == 0) {
            return next_header_part(g);
        }
        return WEBOTA_OK;
    case ST_NAME:
    case ST_COMMENT:
        return b == 0 ? next_header_part(g) : WEBOTA_OK;
    case ST_HCRC:
        g->buf[g->n++] = b;
        if (g->n == 2) {
            if (webota_le16_get(g->buf) != (g->hcrc & 0xFFFFu)) {
                return fail(g, WEBOTA_ERR_GZ_HEADER, at - 1);
            }
            return next_header_part(g);
        }
        return WEBOTA_OK;
    case ST_TRAILER:
        g->buf[g->n++] = b;
        if (g->n == 8) {
            if (webota_le32_get(g->buf) != g->crc) {
                return fail(g, WEBOTA_ERR_GZ_CRC, at - 7);
            }
            if (webota_le32_get(g->buf + 4) != g->out) {
                return fail(g, WEBOTA_ERR_GZ_SIZE, at - 3);
            }
            g->state = ST_DONE;
        }
        return WEBOTA_OK;
    default:
        return fail(g, WEBOTA_ERR_STATE, at);
    }
}

/* Runs the inflater over *p..*left until it needs more input or the stream
 * ends; every piece it delivers is counted, checked and sunk. */
static webota_err_t inflate_some(webota_gunzip_t *g, const uint8_t **p, size_t *left)
{
    for (;;) {
        size_t used = 0, olen = 0;
        const uint8_t *out = NULL;
        bool end = false;
        webota_err_t err = g->inflate->step(g->inflate->ctx, *p, *left, &used, &out, &olen, &end);
        if (err != WEBOTA_OK) {
            return fail(g, err, g->in);
        }
        if (used > *left || (olen > 0 && out == NULL)) {
            return fail(g, WEBOTA_ERR_STATE, g->in); /* the inflater broke its contract */
        }
        *p += used;
        *left -= used;
        g->in += (uint32_t)used;
        if (olen > 0) {
            if (g->limit != 0 && olen > (size_t)(g->limit - g->out)) {
                return fail(g, WEBOTA_ERR_GZ_TOO_BIG, g->in);
            }
            g->crc = webota_crc32_le(g->crc, out, olen);
            g->out += (uint32_t)olen;
            err = g->sink(g->sink_ctx, out, olen);
            if (err != WEBOTA_OK) {
                return fail(g, err, g->in);
            }
        }
        if (end) {
            uint8_t back[8];
            size_t nback = 0;
            if (g->inflate->lookahead != NULL) {
                nback = g->inflate->lookahead(g->inflate->ctx, back, sizeof(back));
            }
            g->inflate->stop(g->inflate->ctx);
            g->started = false;
            g->state = ST_TRAILER;
            g->n = 0;
            if (nback > sizeof(back) || nback > g->in) {
                return fail(g, WEBOTA_ERR_STATE, g->in);
            }
            /* bytes read ahead past the stream: they begin the trailer */
            g->in -= (uint32_t)nback;
            for (size_t i = 0; i < nback; i++) {
                err = g->state == ST_DONE ? fail(g, WEBOTA_ERR_GZ_TRAILING, g->in)
                                          : take_byte(g, back[i]);
                if (err != WEBOTA_OK) {
                    return err;
                }
            }
            return WEBOTA_OK;
        }
        if (used == 0 && olen == 0) {
            /* waits for input; with input left it would never move */
            return *left == 0 ? WEBOTA_OK : fail(g, WEBOTA_ERR_GZ_DATA, g->in);
        }
    }
}

webota_err_t webota_gunzip_feed(webota_gunzip_t *g, const void *data, size_t len)
{
    if (g == NULL) {
        return WEBOTA_ERR_ARG;
    }
    if (g->state == ST_FAILED) {
        return g->err;
    }
    if (len == 0) {
        return WEBOTA_OK;
    }
    if (data == NULL) {
        return fail(g, WEBOTA_ERR_ARG, g->in);
    }
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        webota_err_t err;
        if (g->state == ST_DATA) {
            err = inflate_some(g, &p, &left);
        } else if (g->state == ST_DONE) {
            err = fail(g, WEBOTA_ERR_GZ_TRAILING, g->in);
        } else {
            err = take_byte(g, *p);
            p++;
            left--;
        }
        if (err != WEBOTA_OK) {
            return err;
        }
    }
    return WEBOTA_OK;
}

webota_err_t webota_gunzip_finish(webota_gunzip_t *g)
{
    if (g == NULL) {
        return WEBOTA_ERR_ARG;
    }
    if (g->state == ST_FAILED) {
        return g->err;
    }
    if (g->state == ST_DATA) {
        /* output the inflater may still hold */
        static const uint8_t none[1];
        const uint8_t *p = none;
        size_t left = 0;
        webota_err_t err = inflate_some(g, &p, &left);
        if (err != WEBOTA_OK) {
            return err;
        }
    }
    if (g->state != ST_DONE) {
        return fail(g, WEBOTA_ERR_GZ_TRUNCATED, g->in);
    }
    return WEBOTA_OK;
}

void webota_gunzip_stop(webota_gunzip_t *g)
{
    if (g == NULL || g->state == ST_DONE) {
        return;
    }
    (void)fail(g, WEBOTA_ERR_UPD_ABORTED, g->in);
}

uint32_t webota_gunzip_in(const webota_gunzip_t *g)
{
    return g->in;
}

uint32_t webota_gunzip_out(const webota_gunzip_t *g)
{
    return g->out;
}

webota_err_t webota_gunzip_error(const webota_gunzip_t *g)
{
    return g->state == ST_FAILED ? g->err : WEBOTA_OK;
}

uint32_t webota_gunzip_error_offset(const webota_gunzip_t *g)
{
    return g->state == ST_FAILED ? g->err_offset : 0;
}

bool webota_gunzip_sniff(const void *data, size_t len)
{
    const uint8_t *p = data;
    return len >= 1 && p[0] == 0x1F && (len < 2 || p[1] == 0x8B);
}
