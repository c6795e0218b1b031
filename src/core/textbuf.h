/* Bounded text builder for the core's messages and text output (the core has
 * no stdio). Internal to src/core: the partition-table CSV modules and the
 * update session write with it. Text that does not fit is cut, always
 * NUL-terminated; len keeps counting, so a caller can tell it was cut. */
#ifndef WEBOTA_CORE_TEXTBUF_H
#define WEBOTA_CORE_TEXTBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *buf;
    size_t cap, len; /* len may exceed cap: the text is truncated, not lost count */
} webota_sb_t;

/* Starts an empty text in buf[cap] (cap > 0). */
void webota_sb_init(webota_sb_t *sb, char *buf, size_t cap);
void webota_sb_n(webota_sb_t *sb, const char *s, size_t n);
void webota_sb_s(webota_sb_t *sb, const char *s);
void webota_sb_u(webota_sb_t *sb, uint64_t v, unsigned base);
void webota_sb_d(webota_sb_t *sb, int64_t v);
/* Python's '0x%x' % v, which writes negative numbers as 0x-1000. */
void webota_sb_hex(webota_sb_t *sb, int64_t v);

#endif
