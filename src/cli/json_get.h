/* Reads single values out of a JSON document (the device's answers), by a
 * dotted path such as "running.state". Validates the whole document's syntax
 * on the way, so a truncated or malformed answer is never half-trusted. */
#ifndef WEBOTA_CLI_JSON_GET_H
#define WEBOTA_CLI_JSON_GET_H

#include <stdbool.h>
#include <stddef.h>

/* Nesting deeper than this is refused (bounds the recursion). */
#define CLI_JSON_MAX_DEPTH 32

/* True when json[0..len) is exactly one well-formed JSON value (whitespace around allowed). */
bool cli_json_valid(const char *json, size_t len);

/* Finds the value at path (object keys separated by '.'; "" is the root).
 * On success (val, val_len) span its raw text ("\"abc\"", "42", "true", "{...}"). */
bool cli_json_find(const char *json, size_t len, const char *path, const char **val,
                   size_t *val_len);

/* The value at path as text, NUL-terminated into out: strings are unescaped
 * (\uXXXX to UTF-8, control characters and NUL replaced by '?'), numbers,
 * true/false/null are copied as written. False when missing, when it is an
 * object or array, or when it does not fit in out. */
bool cli_json_text(const char *json, size_t len, const char *path, char *out, size_t out_size);

/* The value at path when it is true or false. */
bool cli_json_bool(const char *json, size_t len, const char *path, bool *out);

/* The value at path when it is a non-negative integer (no fraction, no exponent). */
bool cli_json_uint(const char *json, size_t len, const char *path, unsigned long long *out);

#endif
