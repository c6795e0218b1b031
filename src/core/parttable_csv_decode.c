/* The CSV bytes as Python's str sees them, since the tool decodes the file
 * before reading a line: UTF-8 (optional BOM), UTF-16 and UTF-32 with a BOM,
 * and str's white space, line breaks and strip(). */
#include "parttable_internal.h"

#include "bytes.h"

static int32_t utf8_next(const uint8_t *d, size_t len, size_t *pos)
{
    size_t p = *pos;
    uint8_t c = d[p];
    if (c < 0x80) {
        *pos = p + 1;
        return c;
    }
    int n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1, cp = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2, cp = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3, cp = c & 0x07u, min = 0x10000;
    } else {
        return CP_BAD;
    }
    if (len - p <= (size_t)n) {
        return CP_BAD;
    }
    for (int i = 1; i <= n; i++) {
        if ((d[p + (size_t)i] & 0xC0) != 0x80) {
            return CP_BAD;
        }
        cp = cp << 6 | (d[p + (size_t)i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return CP_BAD;
    }
    *pos = p + (size_t)n + 1;
    return (int32_t)cp;
}

static uint32_t unit16(const src_t *s, size_t p)
{
    return s->enc == ENC_UTF16LE ? webota_le16_get(s->d + p) : (uint32_t)(s->d[p] << 8 | s->d[p + 1]);
}

int32_t webota_ptcsv_next_cp(const src_t *s, size_t *pos)
{
    size_t p = *pos;
    if (p >= s->len) {
        return CP_END;
    }
    switch (s->enc) {
    case ENC_UTF8:
        return utf8_next(s->d, s->len, pos);
    case ENC_UTF16LE:
    case ENC_UTF16BE: {
        if (s->len - p < 2) {
            return CP_BAD;
        }
        uint32_t u = unit16(s, p);
        if (u >= 0xDC00 && u <= 0xDFFF) {
            return CP_BAD;
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (s->len - p < 4) {
                return CP_BAD;
            }
            uint32_t lo = unit16(s, p + 2);
            if (lo < 0xDC00 || lo > 0xDFFF) {
                return CP_BAD;
            }
            *pos = p + 4;
            return (int32_t)(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        }
        *pos = p + 2;
        return (int32_t)u;
    }
    default: {
        if (s->len - p < 4) {
            return CP_BAD;
        }
        const uint8_t *b = s->d + p;
        uint32_t u = s->enc == ENC_UTF32LE
                         ? webota_le32_get(b)
                         : ((uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24);
        if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF)) {
            return CP_BAD;
        }
        *pos = p + 4;
        return (int32_t)u;
    }
    }
}

/* Python's str.isspace(). */
bool webota_ptcsv_is_space(int32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Python's str.splitlines() boundaries (\r\n counts once). */
bool webota_ptcsv_is_linebreak(int32_t c)
{
    return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
           c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* Approximates \w of Python's re for str: ASCII letters, digits, '_' and
 * every non-ASCII code point that is not white space. */
bool webota_ptcsv_is_word(int32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || (c >= 0x80 && !webota_ptcsv_is_space(c));
}

size_t webota_ptcsv_utf8_put(char *out, int32_t c)
{
    uint32_t u = (uint32_t)c;
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xC0 | u >> 6);
        out[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        out[0] = (char)(0xE0 | u >> 12);
        out[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        out[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | u >> 18);
    out[1] = (char)(0x80 | ((u >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((u >> 6) & 0x3F));
    out[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

/* ---- UTF-8 helpers on the expanded line ---- */

static int32_t u8_at(const char *s, size_t len, size_t *pos)
{
    return utf8_next((const uint8_t *)s, len, pos);
}

/* str.strip() on [*b, *e) of valid UTF-8. */
void webota_ptcsv_strip(const char *s, size_t *b, size_t *e)
{
    while (*b < *e) {
        size_t p = *b;
        if (!webota_ptcsv_is_space(u8_at(s, *e, &p))) {
            break;
        }
        *b = p;
    }
    while (*e > *b) {
        size_t p = *e - 1;
        while (p > *b && ((uint8_t)s[p] & 0xC0) == 0x80) {
            p--;
        }
        size_t q = p;
        if (!webota_ptcsv_is_space(u8_at(s, *e, &q))) {
            break;
        }
        *e = p;
    }
}

size_t webota_ptcsv_detect_bom(const uint8_t *d, size_t len, int *enc)
{
    if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) {
        *enc = ENC_UTF8;
        return 3;
    }
    if (len >= 4 && d[0] == 0xFF && d[1] == 0xFE && d[2] == 0 && d[3] == 0) {
        *enc = ENC_UTF32LE;
        return 4;
    }
    if (len >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0xFE && d[3] == 0xFF) {
        *enc = ENC_UTF32BE;
        return 4;
    }
    if (len >= 2 && d[0] == 0xFF && d[1] == 0xFE) {
        *enc = ENC_UTF16LE;
        return 2;
    }
    if (len >= 2 && d[0] == 0xFE && d[1] == 0xFF) {
        *enc = ENC_UTF16BE;
        return 2;
    }
    *enc = ENC_UTF8;
    return 0;
}
