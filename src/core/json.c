/* Bounded JSON writer (see webota/json.h). */
#include "webota/json.h"

#include <string.h>

void webota_json_init(webota_json_t *j, char *buf, size_t cap)
{
    memset(j, 0, sizeof(*j));
    j->buf = buf;
    j->cap = cap;
    j->first[0] = true;
    j->overflow = (buf == NULL || cap == 0);
}

static void put(webota_json_t *j, const char *s, size_t n)
{
    /* one byte stays free for the NUL */
    if (j->overflow || n >= j->cap - j->len) {
        j->overflow = true;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

static void putc_(webota_json_t *j, char c)
{
    put(j, &c, 1);
}

/* Separator before a value (or a key) at the current level. */
static void value_start(webota_json_t *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (!j->first[j->depth]) {
        putc_(j, ',');
    }
    j->first[j->depth] = false;
}

static void open_(webota_json_t *j, char c)
{
    value_start(j);
    putc_(j, c);
    if (j->depth >= WEBOTA_JSON_DEPTH) {
        j->overflow = true;
        return;
    }
    j->depth++;
    j->first[j->depth] = true;
}

static void close_(webota_json_t *j, char c)
{
    putc_(j, c);
    if (j->depth > 0) {
        j->depth--;
    }
}

void webota_json_obj_begin(webota_json_t *j)
{
    open_(j, '{');
}

void webota_json_obj_end(webota_json_t *j)
{
    close_(j, '}');
}

void webota_json_arr_begin(webota_json_t *j)
{
    open_(j, '[');
}

void webota_json_arr_end(webota_json_t *j)
{
    close_(j, ']');
}

static void str_raw(webota_json_t *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    putc_(j, '"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(j, e, 2);
        } else if (c == '\n') {
            put(j, "\\n", 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(j, e, 6);
        } else {
            putc_(j, (char)c);
        }
    }
    putc_(j, '"');
}

void webota_json_key(webota_json_t *j, const char *key)
{
    value_start(j);
    str_raw(j, key);
    putc_(j, ':');
    j->after_key = true;
}

void webota_json_str(webota_json_t *j, const char *s)
{
    if (s == NULL) {
        webota_json_null(j);
        return;
    }
    value_start(j);
    str_raw(j, s);
}

void webota_json_uint(webota_json_t *j, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    value_start(j);
    put(j, tmp + sizeof(tmp) - n, n);
}

void webota_json_int(webota_json_t *j, int64_t v)
{
    if (v < 0) {
        value_start(j);
        putc_(j, '-');
        j->after_key = true; /* the digits follow without a separator */
        webota_json_uint(j, (uint64_t)(-(v + 1)) + 1u);
    } else {
        webota_json_uint(j, (uint64_t)v);
    }
}

void webota_json_fixed(webota_json_t *j, int64_t v, unsigned decimals)
{
    if (decimals == 0 || decimals > 9) {
        webota_json_int(j, v);
        return;
    }
    uint64_t scale = 1, mag = v < 0 ? (uint64_t)(-(v + 1)) + 1u : (uint64_t)v;
    for (unsigned i = 0; i < decimals; i++) {
        scale *= 10;
    }
    value_start(j);
    if (v < 0) {
        putc_(j, '-');
    }
    j->after_key = true; /* the digits follow without a separator */
    webota_json_uint(j, mag / scale);
    char frac[9];
    uint64_t f = mag % scale;
    for (unsigned i = decimals; i-- > 0;) {
        frac[i] = (char)('0' + f % 10);
        f /= 10;
    }
    putc_(j, '.');
    put(j, frac, decimals);
}

void webota_json_bool(webota_json_t *j, bool v)
{
    value_start(j);
    put(j, v ? "true" : "false", v ? 4 : 5);
}

void webota_json_null(webota_json_t *j)
{
    value_start(j);
    put(j, "null", 4);
}

webota_err_t webota_json_end(webota_json_t *j, size_t *len)
{
    if (j->overflow || j->depth != 0) {
        if (j->buf != NULL && j->cap > 0) {
            j->buf[0] = '\0';
        }
        if (len != NULL) {
            *len = 0;
        }
        return WEBOTA_ERR_NO_SPACE;
    }
    j->buf[j->len] = '\0';
    if (len != NULL) {
        *len = j->len;
    }
    return WEBOTA_OK;
}
