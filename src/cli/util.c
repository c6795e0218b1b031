#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

bool cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_other_arg(const char *cmd, const char *arg, const char **pos, size_t n,
                  void (*usage)(FILE *f))
{
    if (cli_is_help(arg)) {
        usage(stdout);
        return CLI_OK;
    }
    if (arg[0] == '-' && arg[1] != 0) {
        cli_error(cmd, "unknown option '%s'", arg);
        usage(stderr);
        return CLI_USAGE;
    }
    for (size_t k = 0; k < n; k++) {
        if (pos[k] == NULL) {
            pos[k] = arg;
            return -1;
        }
    }
    cli_error(cmd, "unexpected argument '%s'", arg);
    usage(stderr);
    return CLI_USAGE;
}

const webota_chip_info_t *cli_chip(const char *name)
{
    const webota_chip_info_t *c = name != NULL ? webota_chip_by_name(name) : NULL;
    return c != NULL && c->load != NULL ? c : NULL;
}

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "webota %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

uint8_t *cli_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "webota: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (buf == NULL || bad) {
        fprintf(stderr, "webota: cannot read %s\n", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

bool cli_write_file(const char *path, const void *data, size_t len)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (tmp == NULL) {
        return false;
    }
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    /* A replaced file keeps its permission bits (the temporary one would get
     * the umask's). */
    struct stat st;
    bool keep_mode = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    FILE *f = fopen(tmp, "wb");
    bool ok = f != NULL;
    if (ok) {
        ok = !keep_mode || fchmod(fileno(f), st.st_mode & 07777) == 0;
        ok = ok && fwrite(data, 1, len, f) == len;
        ok = (fflush(f) == 0) && ok;
        ok = (fsync(fileno(f)) == 0) && ok;
        ok = (fclose(f) == 0) && ok;
    }
    if (ok) {
        ok = rename(tmp, path) == 0;
    }
    if (!ok) {
        fprintf(stderr, "webota: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
    if (s == NULL || *s == 0) {
        return false;
    }
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *s == '-') {
        return false;
    }
    unsigned long long mult = 1;
    if (*end == 'k' || *end == 'K') {
        mult = 1024;
        end++;
    } else if (*end == 'm' || *end == 'M') {
        mult = 1024 * 1024;
        end++;
    }
    if (mult != 1 && (*end == 'B' || *end == 'b')) {
        end++;
    }
    if (*end != 0 || (mult != 1 && v > UINT64_MAX / mult)) {
        return false;
    }
    *out = v * mult;
    return true;
}
