/* Streaming multipart/form-data parser.
 *
 * The delimiter is "\r\n--" + boundary. Boundary characters never include CR
 * (bchars), so CR occurs only at position 0 of the delimiter: a partial match
 * that fails can only restart at the failing byte, and the held-back bytes are
 * always a prefix of the delimiter itself. Nothing of the content has to be
 * kept between chunks: held bytes are re-emitted from delim[]. The body may
 * start directly with "--boundary", so matching starts as if "\r\n" had been
 * seen. */
#include "webota/multipart.h"

#include "ascii.h"

#include <string.h>

enum {
    ST_PREAMBLE, /* looking for the first delimiter, content ignored */
    ST_AFTER,    /* just after a delimiter: "--" or padding + CRLF */
    ST_AFTER_LF, /* saw CR after a delimiter, want LF */
    ST_CLOSE,    /* saw one '-' after a delimiter, want the second */
    ST_HEADERS,  /* reading part header lines */
    ST_HDR_LF,   /* saw CR in a header line, want LF */
    ST_DATA,     /* part content */
    ST_EPILOGUE, /* after the closing delimiter, ignored */
    ST_ERROR,
};

static bool is_bchar(char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return strchr("'()+_,-./:=? ", c) != NULL && c != '\0';
}

static bool valid_boundary(const char *b, size_t len)
{
    if (len == 0 || len > WEBOTA_MP_BOUNDARY_MAX || b[len - 1] == ' ') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_bchar(b[i])) {
            return false;
        }
    }
    return true;
}

/* Finds parameter `param` (lowercase) in a header value "type; a=b; c="d"" and
 * copies its value (unquoted, backslash escapes resolved, truncated to cap-1).
 * Returns true when present. */
static bool find_param(const char *v, size_t len, const char *param, char *out, size_t cap)
{
    size_t i = 0;
    size_t plen = strlen(param);
    bool in_quote = false;
    /* skip the first token (media type / disposition type) */
    while (i < len && v[i] != ';') {
        i++;
    }
    while (i < len) {
        /* at ';' */
        i++;
        while (i < len && ascii_is_ws(v[i])) {
            i++;
        }
        size_t name_start = i;
        while (i < len && v[i] != '=' && v[i] != ';' && !ascii_is_ws(v[i])) {
            i++;
        }
        size_t name_len = i - name_start;
        while (i < len && ascii_is_ws(v[i])) {
            i++;
        }
        bool match = name_len == plen && ascii_prefix_ci(v + name_start, name_len, param);
        size_t o = 0;
        if (i < len && v[i] == '=') {
            i++;
            while (i < len && ascii_is_ws(v[i])) {
                i++;
            }
            if (i < len && v[i] == '"') {
                in_quote = true;
                i++;
                while (i < len && in_quote) {
                    char c = v[i++];
                    if (c == '\\' && i < len) {
                        c = v[i++];
                    } else if (c == '"') {
                        in_quote = false;
                        break;
                    }
                    if (match && o + 1 < cap) {
                        out[o++] = c;
                    }
                }
                while (i < len && v[i] != ';') {
                    i++;
                }
            } else {
                while (i < len && v[i] != ';' && !ascii_is_ws(v[i])) {
                    if (match && o + 1 < cap) {
                        out[o++] = v[i];
                    }
                    i++;
                }
                while (i < len && v[i] != ';') {
                    i++;
                }
            }
        } else {
            while (i < len && v[i] != ';') {
                i++;
            }
        }
        if (match) {
            if (cap > 0) {
                out[o] = '\0';
            }
            return true;
        }
    }
    return false;
}

webota_err_t webota_mp_boundary(const char *content_type, char *out, size_t cap)
{
    if (content_type == NULL || out == NULL || cap == 0) {
        return content_type == NULL ? WEBOTA_ERR_HTTP_MEDIA_TYPE : WEBOTA_ERR_ARG;
    }
    size_t len = strlen(content_type);
    size_t i = 0;
    while (i < len && ascii_is_ws(content_type[i])) {
        i++;
    }
    const char *type = "multipart/form-data";
    size_t tlen = strlen(type);
    if (!ascii_prefix_ci(content_type + i, len - i, type)) {
        return WEBOTA_ERR_HTTP_MEDIA_TYPE;
    }
    size_t j = i + tlen;
    while (j < len && ascii_is_ws(content_type[j])) {
        j++;
    }
    if (j < len && content_type[j] != ';') {
        return WEBOTA_ERR_HTTP_MEDIA_TYPE; /* "multipart/form-dataX" */
    }
    char b[WEBOTA_MP_BOUNDARY_MAX + 2];
    /* a longer value is cut at 71 bytes, which valid_boundary refuses */
    if (!find_param(content_type + i, len - i, "boundary", b, sizeof(b))) {
        return WEBOTA_ERR_MP_SYNTAX;
    }
    size_t blen = strlen(b);
    if (!valid_boundary(b, blen) || blen + 1 > cap) {
        return WEBOTA_ERR_MP_SYNTAX;
    }
    memcpy(out, b, blen + 1);
    return WEBOTA_OK;
}

webota_err_t webota_mp_init(webota_mp_t *mp, const char *boundary, const webota_mp_callbacks_t *cb)
{
    if (mp == NULL || boundary == NULL || cb == NULL) {
        return WEBOTA_ERR_ARG;
    }
    memset(mp, 0, sizeof(*mp));
    size_t blen = strlen(boundary);
    if (!valid_boundary(boundary, blen)) {
        mp->state = ST_ERROR;
        mp->err = WEBOTA_ERR_MP_SYNTAX;
        return WEBOTA_ERR_MP_SYNTAX;
    }
    mp->cb = *cb;
    memcpy(mp->delim, "\r\n--", 4);
    memcpy(mp->delim + 4, boundary, blen);
    mp->delim_len = (uint8_t)(blen + 4);
    mp->state = ST_PREAMBLE;
    mp->match = 2; /* the body may begin with "--boundary" */
    mp->err = WEBOTA_OK;
    return WEBOTA_OK;
}

static webota_err_t fail(webota_mp_t *mp, webota_err_t err)
{
    mp->state = ST_ERROR;
    mp->err = err;
    return err;
}

static webota_err_t emit(webota_mp_t *mp, const void *data, size_t len)
{
    if (len == 0 || mp->state != ST_DATA || mp->cb.part_data == NULL) {
        return WEBOTA_OK;
    }
    return mp->cb.part_data(mp->cb.ctx, data, len);
}

/* One complete header line (without CRLF) of the current part. */
static webota_err_t header_line(webota_mp_t *mp)
{
    const char *l = mp->line;
    size_t len = mp->line_len;
    if (++mp->headers > WEBOTA_MP_HEADERS_MAX) {
        return WEBOTA_ERR_MP_SYNTAX;
    }
    const char *cd = "content-disposition:";
    if (!ascii_prefix_ci(l, len, cd)) {
        return WEBOTA_OK; /* Content-Type and others: not needed */
    }
    l += strlen(cd);
    len -= strlen(cd);
    while (len > 0 && ascii_is_ws(*l)) {
        l++;
        len--;
    }
    if (!ascii_prefix_ci(l, len, "form-data")) {
        return WEBOTA_ERR_MP_SYNTAX;
    }
    find_param(l, len, "name", mp->name, sizeof(mp->name));
    mp->has_filename = find_param(l, len, "filename", mp->filename, sizeof(mp->filename));
    return WEBOTA_OK;
}

static void start_part_headers(webota_mp_t *mp)
{
    mp->state = ST_HEADERS;
    mp->line_len = 0;
    mp->headers = 0;
    mp->has_filename = false;
    mp->name[0] = '\0';
    mp->filename[0] = '\0';
}

/* The delimiter ended: the current part (if any) is complete. */
static webota_err_t delimiter_seen(webota_mp_t *mp)
{
    webota_err_t err = WEBOTA_OK;
    if (mp->state == ST_DATA && mp->cb.part_end != NULL) {
        err = mp->cb.part_end(mp->cb.ctx);
    }
    mp->state = ST_AFTER;
    mp->match = 0;
    return err;
}

webota_err_t webota_mp_feed(webota_mp_t *mp, const void *data, size_t len)
{
    if (mp == NULL || (data == NULL && len > 0)) {
        return WEBOTA_ERR_ARG;
    }
    if (mp->state == ST_ERROR) {
        return mp->err;
    }
    const uint8_t *p = data;
    size_t run = 0; /* start of the pending content run in this chunk */
    webota_err_t err;
    for (size_t i = 0; i < len; i++) {
        char c = (char)p[i];
        switch (mp->state) {
        case ST_PREAMBLE:
        case ST_DATA:
            if (c == mp->delim[mp->match]) {
                if (mp->match == 0 && (err = emit(mp, p + run, i - run)) != WEBOTA_OK) {
                    return fail(mp, err);
                }
                if (++mp->match == mp->delim_len) {
                    if ((err = delimiter_seen(mp)) != WEBOTA_OK) {
                        return fail(mp, err);
                    }
                }
            } else if (mp->match > 0) {
                /* the held bytes were content after all */
                if ((err = emit(mp, mp->delim, mp->match)) != WEBOTA_OK) {
                    return fail(mp, err);
                }
                if (c == '\r') {
                    mp->match = 1;
                    run = i + 1;
                } else {
                    mp->match = 0;
                    run = i;
                }
            }
            break;
        case ST_AFTER:
            if (c == '-' && mp->sub == 0) {
                mp->state = ST_CLOSE;
            } else if (ascii_is_ws(c)) {
                mp->sub = 1; /* transport padding */
            } else if (c == '\r') {
                mp->state = ST_AFTER_LF;
            } else {
                return fail(mp, WEBOTA_ERR_MP_SYNTAX);
            }
            break;
        case ST_CLOSE:
            if (c != '-') {
                return fail(mp, WEBOTA_ERR_MP_SYNTAX);
            }
            mp->state = ST_EPILOGUE;
            break;
        case ST_AFTER_LF:
            if (c != '\n') {
                return fail(mp, WEBOTA_ERR_MP_SYNTAX);
            }
            mp->sub = 0;
            start_part_headers(mp);
            break;
        case ST_HEADERS:
            if (c == '\r') {
                mp->state = ST_HDR_LF;
            } else if (mp->line_len >= WEBOTA_MP_LINE_MAX) {
                return fail(mp, WEBOTA_ERR_MP_SYNTAX);
            } else {
                mp->line[mp->line_len++] = c;
            }
            break;
        case ST_HDR_LF:
            if (c != '\n') {
                return fail(mp, WEBOTA_ERR_MP_SYNTAX);
            }
            if (mp->line_len == 0) {
                /* empty line: the content starts */
                mp->parts++;
                if (mp->cb.part_begin != NULL &&
                    (err = mp->cb.part_begin(mp->cb.ctx, mp->name, mp->filename,
                                             mp->has_filename)) != WEBOTA_OK) {
                    return fail(mp, err);
                }
                mp->state = ST_DATA;
                mp->match = 0;
                run = i + 1;
            } else {
                if ((err = header_line(mp)) != WEBOTA_OK) {
                    return fail(mp, err);
                }
                mp->line_len = 0;
                mp->state = ST_HEADERS;
            }
            break;
        case ST_EPILOGUE:
            return WEBOTA_OK;
        default:
            return fail(mp, WEBOTA_ERR_MP_SYNTAX);
        }
        if (mp->state != ST_DATA && mp->state != ST_PREAMBLE) {
            run = i + 1;
        }
    }
    if (mp->state == ST_DATA && mp->match == 0 && (err = emit(mp, p + run, len - run)) != WEBOTA_OK) {
        return fail(mp, err);
    }
    return WEBOTA_OK;
}

webota_err_t webota_mp_finish(webota_mp_t *mp)
{
    if (mp == NULL) {
        return WEBOTA_ERR_ARG;
    }
    if (mp->state == ST_ERROR) {
        return mp->err;
    }
    if (mp->state != ST_EPILOGUE) {
        return fail(mp, WEBOTA_ERR_MP_SYNTAX);
    }
    return WEBOTA_OK;
}

bool webota_mp_done(const webota_mp_t *mp)
{
    return mp != NULL && mp->state == ST_EPILOGUE;
}

uint32_t webota_mp_parts(const webota_mp_t *mp)
{
    return mp == NULL ? 0 : mp->parts;
}
