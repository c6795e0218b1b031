/* A tiny bounded JSON writer for the API's answers: writes into a caller
 * buffer, never past its end; an answer that does not fit is reported by
 * webota_json_end (NO_SPACE) instead of being cut silently. Objects and
 * arrays nest up to WEBOTA_JSON_DEPTH levels; commas are placed automatically. */
#ifndef WEBOTA_JSON_H
#define WEBOTA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webota/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_JSON_DEPTH 8

typedef struct webota_json {
    char *buf;
    size_t cap, len;
    bool overflow;
    uint8_t depth;
    bool first[WEBOTA_JSON_DEPTH + 1]; /* no value yet at this level */
    bool after_key;
} webota_json_t;

void webota_json_init(webota_json_t *j, char *buf, size_t cap);
void webota_json_obj_begin(webota_json_t *j);
void webota_json_obj_end(webota_json_t *j);
/* Arrays: the values inside are written without keys. */
void webota_json_arr_begin(webota_json_t *j);
void webota_json_arr_end(webota_json_t *j);
void webota_json_key(webota_json_t *j, const char *key);
/* Escapes ", \ and control characters; bytes >= 0x80 pass through. NULL writes null. */
void webota_json_str(webota_json_t *j, const char *s);
void webota_json_uint(webota_json_t *j, uint64_t v);
void webota_json_int(webota_json_t *j, int64_t v);
/* v / 10^decimals written with exactly that many decimals (1..9), e.g.
 * (12345, 1) -> 1234.5, (-5, 2) -> -0.05: fractions without floating point. */
void webota_json_fixed(webota_json_t *j, int64_t v, unsigned decimals);
void webota_json_bool(webota_json_t *j, bool v);
void webota_json_null(webota_json_t *j);
/* NUL-terminates; *len (may be NULL) = bytes without the NUL. NO_SPACE when
 * anything did not fit (buf then holds an empty string). */
webota_err_t webota_json_end(webota_json_t *j, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
