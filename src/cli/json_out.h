/* JSON output of the CLI through the core's bounded writer (webota/json.h):
 * one document built into a 64 KiB buffer, then printed with a newline.
 * A document that does not fit is an error, never cut short. */
#ifndef WEBOTA_CLI_JSON_OUT_H
#define WEBOTA_CLI_JSON_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "webota/json.h"

#define CLI_JSON_OUT_MAX (64u * 1024u)

typedef struct cli_json_out {
    webota_json_t w; /* build the document with webota_json_* on &o.w */
    char *buf;
} cli_json_out_t;

/* Allocates the buffer (false with a message when out of memory). */
bool cli_json_out_init(cli_json_out_t *o);
/* Ends the document and prints it to f with a newline; frees the buffer.
 * False (message on stderr, nothing on f) when it did not fit. */
bool cli_json_out_print(cli_json_out_t *o, FILE *f);

/* "key": value pairs. */
static inline void cli_jkv_str(webota_json_t *w, const char *key, const char *v)
{
    webota_json_key(w, key);
    webota_json_str(w, v);
}
static inline void cli_jkv_uint(webota_json_t *w, const char *key, uint64_t v)
{
    webota_json_key(w, key);
    webota_json_uint(w, v);
}
static inline void cli_jkv_int(webota_json_t *w, const char *key, int64_t v)
{
    webota_json_key(w, key);
    webota_json_int(w, v);
}
static inline void cli_jkv_bool(webota_json_t *w, const char *key, bool v)
{
    webota_json_key(w, key);
    webota_json_bool(w, v);
}

#endif
