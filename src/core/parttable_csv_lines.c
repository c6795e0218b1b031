/* gen_esp32part CSV, the text level (see parttable_internal.h): error
 * recording, lines the way Python's str.splitlines splits them, $VAR /
 * ${VAR} expansion, the six columns, and an entry's full name read again for
 * messages. Below both parttable_csv.c (parsing) and parttable_rules.c
 * (verification), which both use it. */
#include <string.h>

#include "parttable_internal.h"

#define NAME_CAP 256u /* environment variable names */

webota_err_t webota_ptcsv_set_error(ctx_t *c, webota_err_t code, unsigned line,
                                    webota_sb_t *msg_out)
{
    if (c->err != NULL) {
        c->err->err = code;
        c->err->line = line;
        c->err->message[0] = 0;
    }
    if (msg_out != NULL) {
        msg_out->buf = c->err != NULL ? c->err->message : NULL;
        msg_out->cap = c->err != NULL ? sizeof(c->err->message) : 0;
        msg_out->len = 0;
    }
    return code;
}

/* ---- reading lines ---- */

/* Next raw line [*start, *end) in source bytes; false at end of input. */
bool webota_ptcsv_next_line(const src_t *s, reader_t *r, size_t *start, size_t *end)
{
    if (r->pos >= s->len) {
        return false;
    }
    *start = r->pos;
    size_t p = r->pos;
    for (;;) {
        size_t before = p;
        int32_t c = webota_ptcsv_next_cp(s, &p);
        if (c < 0) {
            *end = before;
            r->pos = s->len;
            break;
        }
        if (webota_ptcsv_is_linebreak(c)) {
            *end = before;
            if (c == '\r') {
                size_t q = p;
                if (webota_ptcsv_next_cp(s, &q) == '\n') {
                    p = q;
                }
            }
            r->pos = p;
            break;
        }
    }
    r->line_no++;
    return true;
}

/* First non-space code point of the raw line, or CP_END. */
int32_t webota_ptcsv_first_visible(const src_t *s, size_t start, size_t end)
{
    size_t p = start;
    while (p < end) {
        int32_t c = webota_ptcsv_next_cp(s, &p);
        if (!webota_ptcsv_is_space(c)) {
            return c;
        }
    }
    return CP_END;
}

static bool line_put(ctx_t *c, const char *bytes, size_t n)
{
    if (n > LINE_CAP - c->line_len) {
        return false;
    }
    memcpy(c->line + c->line_len, bytes, n);
    c->line_len += n;
    return true;
}

static bool line_put_cps(ctx_t *c, size_t from, size_t to)
{
    char u[4];
    while (from < to) {
        int32_t cp = webota_ptcsv_next_cp(&c->src, &from);
        if (!line_put(c, u, webota_ptcsv_utf8_put(u, cp))) {
            return false;
        }
    }
    return true;
}

/* Looks a variable up; name is the source range [from, to). */
static const char *lookup_var(ctx_t *c, size_t from, size_t to)
{
    char name[NAME_CAP];
    size_t n = 0;
    char u[4];
    while (from < to) {
        int32_t cp = webota_ptcsv_next_cp(&c->src, &from);
        size_t k = webota_ptcsv_utf8_put(u, cp);
        if (k > sizeof(name) - 1 - n) {
            return NULL; /* longer than any name we look up */
        }
        memcpy(name + n, u, k);
        n += k;
    }
    name[n] = 0;
    if (c->opts.getenv == NULL || memchr(name, 0, n) != NULL) {
        return NULL;
    }
    return c->opts.getenv(c->opts.env_ctx, name);
}

/* os.path.expandvars of the raw line into c->line: known $NAME and ${NAME}
 * are replaced, unknown ones stay as written. */
bool webota_ptcsv_expand_line(ctx_t *c, size_t start, size_t end)
{
    c->line_len = 0;
    size_t p = start;
    while (p < end) {
        size_t at = p;
        int32_t cp = webota_ptcsv_next_cp(&c->src, &p);
        if (cp != '$' || p >= end) {
            if (!line_put_cps(c, at, p)) {
                return false;
            }
            continue;
        }
        size_t q = p;
        int32_t nx = webota_ptcsv_next_cp(&c->src, &q);
        size_t name_from, name_to, after;
        if (nx == '{') {
            size_t r = q;
            bool closed = false;
            while (r < end) {
                size_t before = r;
                if (webota_ptcsv_next_cp(&c->src, &r) == '}') {
                    closed = true;
                    name_to = before;
                    break;
                }
            }
            if (!closed) {
                if (!line_put(c, "$", 1)) {
                    return false;
                }
                continue;
            }
            name_from = q;
            after = r;
        } else if (webota_ptcsv_is_word(nx)) {
            name_from = p;
            size_t r = p;
            for (;;) {
                size_t before = r;
                if (r >= end || !webota_ptcsv_is_word(webota_ptcsv_next_cp(&c->src, &r))) {
                    name_to = before;
                    break;
                }
            }
            after = name_to;
        } else {
            if (!line_put(c, "$", 1)) {
                return false;
            }
            continue;
        }
        const char *value = lookup_var(c, name_from, name_to);
        if (value != NULL) {
            if (!line_put(c, value, strlen(value))) {
                return false;
            }
        } else if (!line_put_cps(c, at, after)) {
            return false;
        }
        p = after;
    }
    return true;
}

/* ---- columns ---- */

/* Splits the stripped line into the 6 columns (missing ones empty, extra
 * ones ignored), each stripped. */
void webota_ptcsv_split_fields(const char *s, size_t len, field_t f[6])
{
    size_t b = 0;
    for (int i = 0; i < 6; i++) {
        size_t e = b;
        while (e < len && s[e] != ',') {
            e++;
        }
        size_t fb = b, fe = e;
        webota_ptcsv_strip(s, &fb, &fe);
        f[i].s = s + fb;
        f[i].n = fe - fb;
        b = e < len ? e + 1 : len;
    }
}

bool webota_ptcsv_field_is(field_t f, const char *word)
{
    return f.n == strlen(word) && memcmp(f.s, word, f.n) == 0;
}

/* Reads the line of entry i again: the table keeps at most 16 bytes of a name,
 * the tool's messages show all of it. */
size_t webota_ptcsv_entry_name(ctx_t *c, unsigned i, char *out, size_t cap)
{
    reader_t r = {c->bom_len, 0};
    size_t ls, le;
    while (webota_ptcsv_next_line(&c->src, &r, &ls, &le)) {
        if (r.line_no != c->e[i].line) {
            continue;
        }
        size_t n = 0;
        if (webota_ptcsv_expand_line(c, ls, le)) {
            size_t b = 0, e = c->line_len;
            webota_ptcsv_strip(c->line, &b, &e);
            field_t f[6];
            webota_ptcsv_split_fields(c->line + b, e - b, f);
            n = f[0].n < cap - 1 ? f[0].n : cap - 1;
            memcpy(out, f[0].s, n);
        }
        out[n] = 0;
        return c->e[i].name_len;
    }
    out[0] = 0;
    return 0;
}

