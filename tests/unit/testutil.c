#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0) {
            break;
        }
        n += got;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

uint8_t *tu_read_vector(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", WEBOTA_VECTORS, rel);
    uint8_t *buf = tu_read_file(path, len);
    if (buf == NULL) {
        fail_msg("cannot read vector %s", path);
    }
    return buf;
}

void tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

const char *tu_tmpdir(void)
{
    static char dir[512];
    if (dir[0] == 0) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/webota-test-XXXXXX", base ? base : "/tmp");
        assert_non_null(mkdtemp(dir));
    }
    return dir;
}

int tu_run(const char *cmdline, char **out)
{
    FILE *p = popen(cmdline, "r");
    if (p == NULL) {
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, p);
        if (got == 0) {
            break;
        }
        n += got;
    }
    buf[n] = 0;
    int st = pclose(p);
    if (out != NULL) {
        *out = buf;
    } else {
        free(buf);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int tu_runf(char **out, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof cmd);
    return tu_run(cmd, out);
}

void tu_json_str(const char *body, const char *key, char *out, size_t cap)
{
    char k[64];
    snprintf(k, sizeof(k), "\"%s\":\"", key);
    const char *p = strstr(body, k);
    if (p == NULL) {
        fail_msg("no %s in %s", key, body);
    }
    p += strlen(k);
    size_t n = strcspn(p, "\"");
    assert_true(n < cap);
    memcpy(out, p, n);
    out[n] = '\0';
}
