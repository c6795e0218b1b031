/* Internal to src/core: ASCII helpers for HTTP header and form parsing (the
 * core uses no <ctype.h>/strcasecmp: their results depend on the C locale and
 * a freestanding build may lack them). One definition for api*.c and
 * multipart.c. */
#ifndef WEBOTA_CORE_ASCII_H
#define WEBOTA_CORE_ASCII_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* The first n bytes of a and b are equal ignoring ASCII case. */
static inline bool ascii_eq_ci_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

/* s[0..len) starts with `word` (ASCII case ignored). */
static inline bool ascii_prefix_ci(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && ascii_eq_ci_n(s, word, n);
}

/* HTTP's optional white space: space or horizontal tab. */
static inline bool ascii_is_ws(char c)
{
    return c == ' ' || c == '\t';
}

#endif
