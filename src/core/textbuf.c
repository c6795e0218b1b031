/* Bounded text builder (textbuf.h): the core has no stdio, and a message
 * that does not fit is cut, not lost count of. */
#include "textbuf.h"

#include <string.h>

void webota_sb_init(webota_sb_t *sb, char *buf, size_t cap)
{
    sb->buf = buf;
    sb->cap = cap;
    sb->len = 0;
    buf[0] = '\0';
}

void webota_sb_n(webota_sb_t *sb, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, sb->len++) {
        if (sb->len + 1 < sb->cap) {
            sb->buf[sb->len] = s[i];
        }
    }
    if (sb->cap != 0) {
        sb->buf[sb->len < sb->cap ? sb->len : sb->cap - 1] = 0;
    }
}

void webota_sb_s(webota_sb_t *sb, const char *s)
{
    webota_sb_n(sb, s, strlen(s));
}

void webota_sb_u(webota_sb_t *sb, uint64_t v, unsigned base)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    while (n > 0) {
        webota_sb_n(sb, &tmp[--n], 1);
    }
}

void webota_sb_d(webota_sb_t *sb, int64_t v)
{
    if (v < 0) {
        webota_sb_s(sb, "-");
        webota_sb_u(sb, (uint64_t)0 - (uint64_t)v, 10);
    } else {
        webota_sb_u(sb, (uint64_t)v, 10);
    }
}

void webota_sb_hex(webota_sb_t *sb, int64_t v)
{
    webota_sb_s(sb, "0x");
    if (v < 0) {
        webota_sb_s(sb, "-");
        webota_sb_u(sb, (uint64_t)0 - (uint64_t)v, 16);
    } else {
        webota_sb_u(sb, (uint64_t)v, 16);
    }
}
