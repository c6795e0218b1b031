/* Helpers shared by the unit tests (not part of the product). */
#ifndef WEBOTA_TESTUTIL_H
#define WEBOTA_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Reads WEBOTA_VECTORS/<rel> into a malloc'd buffer; fails the test if missing. */
uint8_t *tu_read_vector(const char *rel, size_t *len);
/* Reads any file; returns NULL when it cannot be read. */
uint8_t *tu_read_file(const char *path, size_t *len);
/* Writes a file; fails the test on error. */
void tu_write_file(const char *path, const void *data, size_t len);
/* A fresh private directory under $TMPDIR (or /tmp) for this test run. */
const char *tu_tmpdir(void);
/* Runs a shell command line; returns its exit status (or -1), output to *out
 * (malloc'd, NUL-terminated) when out is not NULL. */
int tu_run(const char *cmdline, char **out);
/* tu_run on a printf-formatted command line (at most 2047 bytes). */
int tu_runf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The value of "key":"..." in a JSON body, copied into out (fails the test
 * when the key is missing or the value does not fit). */
void tu_json_str(const char *body, const char *key, char *out, size_t cap);

#endif
