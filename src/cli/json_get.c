/* A validating JSON skipper: every lookup walks the document with bounded
 * recursion and never reads past len. */
#include "cli/json_get.h"

#include <string.h>

typedef struct {
    const char *p, *end;
} cur_t;

static void ws(cur_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

static bool skip_string(cur_t *c)
{
    if (c->p >= c->end || *c->p != '"') {
        return false;
    }
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p++;
        if (ch == '"') {
            return true;
        }
        if (ch < 0x20) {
            return false;
        }
        if (ch == '\\') {
            if (c->p >= c->end) {
                return false;
            }
            char e = *c->p++;
            if (e == 'u') {
                for (int i = 0; i < 4; i++) {
                    if (c->p >= c->end || hexval(*c->p) < 0) {
                        return false;
                    }
                    c->p++;
                }
            } else if (strchr("\"\\/bfnrt", e) == NULL || e == 0) {
                return false;
            }
        }
    }
    return false;
}

static bool digits(cur_t *c)
{
    const char *s = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        c->p++;
    }
    return c->p > s;
}

static bool skip_number(cur_t *c)
{
    if (c->p < c->end && *c->p == '-') {
        c->p++;
    }
    if (c->p < c->end && *c->p == '0') {
        c->p++;
    } else if (!digits(c)) {
        return false;
    }
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!digits(c)) {
            return false;
        }
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
            c->p++;
        }
        if (!digits(c)) {
            return false;
        }
    }
    return true;
}

static bool skip_word(cur_t *c, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) {
        return false;
    }
    c->p += n;
    return true;
}

/* Key of an object member equal to the path segment [seg, seg+seg_len)?
 * Keys with escapes never match (the device's keys have none). */
static bool key_is(const char *kstart, const char *kend, const char *seg, size_t seg_len)
{
    size_t klen = (size_t)(kend - kstart) - 2;
    return klen == seg_len && memcmp(kstart + 1, seg, seg_len) == 0;
}

/* Skips one value; when path is not NULL, records the value it names. */
static bool value(cur_t *c, int depth, const char *path, const char **found, size_t *found_len)
{
    if (depth > CLI_JSON_MAX_DEPTH) {
        return false;
    }
    ws(c);
    const char *start = c->p;
    if (path != NULL && *path == 0) {
        /* this value is the target */
        if (!value(c, depth, NULL, NULL, NULL)) {
            return false;
        }
        *found = start;
        *found_len = (size_t)(c->p - start);
        return true;
    }
    if (c->p >= c->end) {
        return false;
    }
    switch (*c->p) {
    case '{': {
        c->p++;
        ws(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            return true;
        }
        const char *seg = path, *rest = NULL;
        size_t seg_len = 0;
        if (path != NULL) {
            const char *dot = strchr(path, '.');
            seg_len = dot ? (size_t)(dot - path) : strlen(path);
            rest = dot ? dot + 1 : path + seg_len;
        }
        for (;;) {
            ws(c);
            const char *k = c->p;
            if (!skip_string(c)) {
                return false;
            }
            bool match = path != NULL && key_is(k, c->p, seg, seg_len);
            ws(c);
            if (c->p >= c->end || *c->p != ':') {
                return false;
            }
            c->p++;
            if (!value(c, depth + 1, match ? rest : NULL, found, found_len)) {
                return false;
            }
            ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == '}') {
                c->p++;
                return true;
            }
            return false;
        }
    }
    case '[':
        c->p++;
        ws(c);
        if (c->p < c->end && *c->p == ']') {
            c->p++;
            return true;
        }
        for (;;) {
            if (!value(c, depth + 1, NULL, NULL, NULL)) {
                return false;
            }
            ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                continue;
            }
            if (c->p < c->end && *c->p == ']') {
                c->p++;
                return true;
            }
            return false;
        }
    case '"':
        return skip_string(c);
    case 't':
        return skip_word(c, "true");
    case 'f':
        return skip_word(c, "false");
    case 'n':
        return skip_word(c, "null");
    default:
        return skip_number(c);
    }
}

static bool whole(const char *json, size_t len, const char *path, const char **val, size_t *val_len)
{
    if (json == NULL) {
        return false;
    }
    cur_t c = {json, json + len};
    const char *f = NULL;
    size_t flen = 0;
    if (!value(&c, 0, path, &f, &flen)) {
        return false;
    }
    ws(&c);
    if (c.p != c.end) {
        return false;
    }
    if (val != NULL) {
        *val = f;
        *val_len = flen;
    }
    return path == NULL || f != NULL;
}

bool cli_json_valid(const char *json, size_t len)
{
    return whole(json, len, NULL, NULL, NULL);
}

bool cli_json_find(const char *json, size_t len, const char *path, const char **val,
                   size_t *val_len)
{
    const char *v = NULL;
    size_t vl = 0;
    if (path == NULL || !whole(json, len, path, &v, &vl)) {
        return false;
    }
    *val = v;
    *val_len = vl;
    return true;
}

static bool put(char *out, size_t size, size_t *n, unsigned char ch)
{
    if (*n + 1 >= size) {
        return false;
    }
    out[(*n)++] = (char)ch;
    return true;
}

static bool put_utf8(char *out, size_t size, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        return put(out, size, n, (unsigned char)(cp < 0x20 ? '?' : cp));
    }
    if (cp < 0x800) {
        return put(out, size, n, (unsigned char)(0xC0 | (cp >> 6))) &&
               put(out, size, n, (unsigned char)(0x80 | (cp & 0x3F)));
    }
    if (cp < 0x10000) {
        return put(out, size, n, (unsigned char)(0xE0 | (cp >> 12))) &&
               put(out, size, n, (unsigned char)(0x80 | ((cp >> 6) & 0x3F))) &&
               put(out, size, n, (unsigned char)(0x80 | (cp & 0x3F)));
    }
    return put(out, size, n, (unsigned char)(0xF0 | (cp >> 18))) &&
           put(out, size, n, (unsigned char)(0x80 | ((cp >> 12) & 0x3F))) &&
           put(out, size, n, (unsigned char)(0x80 | ((cp >> 6) & 0x3F))) &&
           put(out, size, n, (unsigned char)(0x80 | (cp & 0x3F)));
}

static unsigned hex4(const char *p)
{
    return (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

bool cli_json_text(const char *json, size_t len, const char *path, char *out, size_t out_size)
{
    const char *v;
    size_t vl, n = 0;
    if (out == NULL || out_size == 0 || !cli_json_find(json, len, path, &v, &vl) || *v == '{' ||
        *v == '[') {
        return false;
    }
    if (*v != '"') {
        if (vl >= out_size) {
            return false;
        }
        memcpy(out, v, vl);
        out[vl] = 0;
        return true;
    }
    /* the string was validated: escapes are complete, the closing quote is at v+vl-1 */
    const char *p = v + 1, *e = v + vl - 1;
    while (p < e) {
        unsigned char ch = (unsigned char)*p++;
        bool ok;
        if (ch != '\\') {
            ok = put(out, out_size, &n, ch);
        } else {
            char esc = *p++;
            if (esc == 'u') {
                unsigned cp = hex4(p);
                p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    unsigned lo = hex4(p + 2);
                    if (lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        p += 6;
                    }
                }
                if (cp >= 0xD800 && cp < 0xE000) {
                    cp = '?'; /* lone surrogate */
                }
                ok = put_utf8(out, out_size, &n, cp);
            } else {
                const char *from = "\"\\/bfnrt", *to = "\"\\/?????";
                ok = put(out, out_size, &n, (unsigned char)to[strchr(from, esc) - from]);
            }
        }
        if (!ok) {
            return false;
        }
    }
    out[n] = 0;
    return true;
}

bool cli_json_bool(const char *json, size_t len, const char *path, bool *out)
{
    const char *v;
    size_t vl;
    if (!cli_json_find(json, len, path, &v, &vl)) {
        return false;
    }
    if (vl == 4 && memcmp(v, "true", 4) == 0) {
        *out = true;
        return true;
    }
    if (vl == 5 && memcmp(v, "false", 5) == 0) {
        *out = false;
        return true;
    }
    return false;
}

bool cli_json_uint(const char *json, size_t len, const char *path, unsigned long long *out)
{
    const char *v;
    size_t vl;
    if (!cli_json_find(json, len, path, &v, &vl) || vl == 0 || vl > 19) {
        return false;
    }
    unsigned long long r = 0;
    for (size_t i = 0; i < vl; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return false;
        }
        r = r * 10 + (unsigned long long)(v[i] - '0');
    }
    *out = r;
    return true;
}
