/* libFuzzer target for the app version comparison (webota_version_compare):
 * the input is up to three NUL-separated strings. Checks that it never
 * reads past a string, that a refusal leaves cmp at 0 and refuses both
 * orders, that the order is antisymmetric and reflexive, and transitive
 * over three versions (a device deciding "older" must never go in a cycle). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webota/app_desc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIELD_MAX 48 /* longer than a descriptor's 32-byte version field */

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* Compares; aborts on any broken contract. *ok says whether they ordered. */
static int cmp_checked(const char *a, const char *b, int *ok)
{
    int ab = 99, ba = 99;
    int oab = webota_version_compare(a, b, &ab);
    int oba = webota_version_compare(b, a, &ba);
    if (oab != oba)
        abort();
    if (!oab) {
        if (ab != 0 || ba != 0)
            abort();
        *ok = 0;
        return 0;
    }
    if (sign(ab) != -sign(ba))
        abort();
    *ok = 1;
    return sign(ab);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[3][FIELD_MAX + 1];
    size_t pos = 0;
    for (int i = 0; i < 3; i++) {
        size_t n = 0;
        while (pos < size && data[pos] != 0 && n < FIELD_MAX)
            s[i][n++] = (char)data[pos++];
        s[i][n] = '\0';
        while (pos < size && data[pos] != 0)
            pos++;
        if (pos < size)
            pos++;
    }
    int ok;
    for (int i = 0; i < 3; i++) {
        if (cmp_checked(s[i], s[i], &ok) != 0)
            abort();
    }
    int ok_ab, ok_bc, ok_ac;
    int ab = cmp_checked(s[0], s[1], &ok_ab);
    int bc = cmp_checked(s[1], s[2], &ok_bc);
    int ac = cmp_checked(s[0], s[2], &ok_ac);
    if (ok_ab && ok_bc && ok_ac) {
        if (ab <= 0 && bc <= 0 && ac > 0)
            abort();
        if (ab >= 0 && bc >= 0 && ac < 0)
            abort();
    }
    return 0;
}
