/* `webota push` with compression against the real simulator on 127.0.0.1 (a
 * free port): by default the image is gzip-compressed because the device's
 * status says it takes gzip, and installs; --no-compress sends it plain; a
 * .gz file is sent as it is; damaged .gz files are refused with their code
 * and the device keeps running its firmware. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gz_util.h"
#include "testutil.h"

static const uint8_t MARKER[32] = {'W', 'E', 'B',  'O',  'T',  'A',  '-',  'U',  'P',  'D', 'A',
                                   'T', 'E', 'R',  '-',  'M',  'A',  'R',  'K',  'E',  'R', '-',
                                   'v', '1', 0x8f, 0x3a, 0xd1, 0x5e, 0x07, 0xc4, 0x92, 0x6b};

static pid_t sim_pid = -1;
static char url[128];
static char dir[512];
static char good[600], nomarker[600];

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool has_marker(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + sizeof(MARKER) <= n; i++) {
        if (d[i] == 'W' && memcmp(d + i, MARKER, sizeof(MARKER)) == 0) {
            return true;
        }
    }
    return false;
}

/* The demo images the simulator writes next to its flash file, told apart by content. */
static void find_demo_images(void)
{
    char cmd[700], *out = NULL;
    snprintf(cmd, sizeof(cmd), "ls '%s'", dir);
    assert_int_equal(tu_run(cmd, &out), 0);
    good[0] = nomarker[0] = 0;
    for (char *name = strtok(out, "\n"); name != NULL; name = strtok(NULL, "\n")) {
        size_t nl = strlen(name);
        if (nl < 4 || strcmp(name + nl - 4, ".bin") != 0 || strcmp(name, "flash.bin") == 0) {
            continue;
        }
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        size_t n = 0;
        uint8_t *d = tu_read_file(path, &n);
        if (d != NULL && n > 0x50 && d[0] == 0xE9) {
            if (!has_marker(d, n)) {
                snprintf(nomarker, sizeof(nomarker), "%s", path);
            } else if (strcmp((const char *)d + 0x30, "1.1.0") == 0) {
                snprintf(good, sizeof(good), "%s", path);
            }
        }
        free(d);
    }
    free(out);
    if (good[0] == 0 || nomarker[0] == 0) {
        fail_msg("the simulator wrote no demo images (good 1.1.0 and without marker) into %s", dir);
    }
}

static int sim_start(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
    char flash[600], logpath[600];
    snprintf(flash, sizeof(flash), "%s/flash.bin", dir);
    snprintf(logpath, sizeof(logpath), "%s/sim.log", dir);
    int logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (logfd < 0) {
        return -1;
    }
    sim_pid = fork();
    if (sim_pid == 0) {
        dup2(logfd, STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        close(logfd);
        if (chdir(dir) != 0) {
            _exit(127);
        }
        execl(WEBOTA_BIN, "webota", "sim", "--bind", "127.0.0.1", "--port", "0", "--flash", flash,
              "--confirm", "first-request", "--watchdog", "1", (char *)NULL);
        _exit(127);
    }
    close(logfd);
    /* its log tells the port (at most 20 s) */
    url[0] = 0;
    char *log = NULL;
    for (int i = 0; i < 200 && url[0] == 0; i++) {
        sleep_ms(100);
        size_t n = 0;
        free(log);
        log = (char *)tu_read_file(logpath, &n);
        if (log == NULL) {
            continue;
        }
        char *text = realloc(log, n + 1);
        if (text == NULL) {
            break;
        }
        log = text;
        log[n] = 0;
        const char *at = strstr(log, "listening on http://127.0.0.1:");
        unsigned port = 0;
        if (at != NULL && strchr(at, '\n') != NULL &&
            sscanf(at, "listening on http://127.0.0.1:%u/", &port) == 1 && port > 0) {
            snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
        }
        if (waitpid(sim_pid, NULL, WNOHANG) == sim_pid) {
            sim_pid = -1;
            break;
        }
    }
    if (url[0] == 0) {
        fprintf(stderr, "the simulator did not print its URL within 20 s:\n%s\n", log ? log : "");
    }
    free(log);
    return url[0] ? 0 : -1;
}

static int sim_stop(void **state)
{
    (void)state;
    if (sim_pid > 0) {
        kill(sim_pid, SIGINT);
        int st = 0;
        for (int i = 0; i < 100 && waitpid(sim_pid, &st, WNOHANG) == 0; i++) {
            sleep_ms(100);
        }
        if (waitpid(sim_pid, &st, WNOHANG) == 0) {
            kill(sim_pid, SIGKILL);
            waitpid(sim_pid, &st, 0);
            fprintf(stderr, "the simulator did not stop within 10 s of SIGINT\n");
            return -1;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "the simulator did not exit cleanly on SIGINT (status 0x%x)\n", st);
            return -1;
        }
    }
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return tu_run(cmd, NULL) == 0 ? 0 : -1;
}

/* Runs `webota ARGS` with stdout to *out and stderr to *err; returns the exit status. */
__attribute__((format(printf, 3, 4))) static int run(char **out, char **err, const char *fmt, ...)
{
    char args[1500], cmd[3000], errpath[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(errpath, sizeof(errpath), "%s/stderr.txt", dir);
    snprintf(cmd, sizeof(cmd), "'%s' %s 2>'%s'", WEBOTA_BIN, args, errpath);
    int rc = tu_run(cmd, out);
    size_t n = 0;
    uint8_t *e = tu_read_file(errpath, &n);
    assert_non_null(e);
    char *s = realloc(e, n + 1);
    assert_non_null(s);
    s[n] = 0;
    if (err != NULL) {
        *err = s;
    } else {
        free(s);
    }
    return rc;
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (strstr((hay), (needle)) == NULL) {                                                     \
            fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                                  \
        }                                                                                          \
    } while (0)

/* `webota status --json` once the device is back (bounded: 15 s). */
static char *status_when_back(void)
{
    for (int i = 0; i < 150; i++) {
        char *out = NULL;
        if (run(&out, NULL, "status --json %s", url) == 0 && strstr(out, "\"rebooting\":false") &&
            strstr(out, "\"state\":\"receiving\"") == NULL) {
            return out;
        }
        free(out);
        sleep_ms(100);
    }
    fail_msg("the device did not come back within 15 s");
    return NULL;
}

static void test_push_compresses_by_default(void **state)
{
    (void)state;
    find_demo_images();
    char *out = NULL, *err = NULL;
    size_t plain = 0;
    free(tu_read_file(good, &plain));
    assert_int_equal(run(&out, &err, "push --json %s '%s'", url, good), 0);
    assert_contains(err, "webota push: compressed ");
    assert_contains(out, "\"ok\":true");
    assert_contains(out, "\"compressed_size\":");
    unsigned long long size = 0, packed = 0;
    const char *s = strstr(out, "\"size\":"), *c = strstr(out, "\"compressed_size\":");
    assert_int_equal(sscanf(s, "\"size\":%llu", &size), 1);
    assert_int_equal(sscanf(c, "\"compressed_size\":%llu", &packed), 1);
    assert_int_equal(size, plain);
    assert_true(packed < plain);
    free(out);
    free(err);
    out = status_when_back();
    assert_contains(out, "\"version\":\"1.1.0\"");
    assert_contains(out, "\"gzip\":true");
    /* the simulator reports the flash work of the update (timing model) */
    char want[80];
    snprintf(want, sizeof(want), "\"last_update\":{\"bytes\":%zu,\"flash_ms\":", plain);
    assert_contains(out, want);
    unsigned long long ms = 0, erases = 0, erased = 0;
    assert_int_equal(sscanf(strstr(out, "\"flash_ms\":"), "\"flash_ms\":%llu,\"erases\":%llu,\"bytes_erased\":%llu",
                            &ms, &erases, &erased), 3);
    assert_true(erases > 0 && ms > 0 && erased >= plain); /* the whole image's sectors were erased */
    free(out);
    char logpath[700];
    snprintf(logpath, sizeof(logpath), "%s/sim.log", dir);
    size_t ln = 0;
    char *log = (char *)tu_read_file(logpath, &ln);
    assert_non_null(log);
    log = realloc(log, ln + 1);
    log[ln] = 0;
    snprintf(want, sizeof(want), "webota sim: update of %zu bytes: ", plain);
    assert_contains(log, want);
    assert_contains(log, "a real chip's flash would be busy ");
    free(log);
}

static void test_push_no_compress_and_gz_files(void **state)
{
    (void)state;
    find_demo_images();
    size_t n = 0;
    uint8_t *img = tu_read_file(good, &n);
    assert_non_null(img);
    /* the same image again, plain: it goes into the other slot */
    char *out = NULL, *err = NULL;
    assert_int_equal(run(&out, &err, "push --no-compress --json %s '%s'", url, good), 0);
    assert_true(strstr(err, "compressed") == NULL);
    assert_true(strstr(out, "compressed_size") == NULL);
    free(out);
    free(err);
    free(status_when_back());
    /* a .gz made by zlib: sent as it is */
    size_t gl;
    uint8_t *gz = gz_make(img, n, &gl);
    char gzpath[700];
    snprintf(gzpath, sizeof(gzpath), "%s/app.bin.gz", dir);
    tu_write_file(gzpath, gz, gl);
    assert_int_equal(run(&out, &err, "push --json %s '%s'", url, gzpath), 0);
    char want[64];
    snprintf(want, sizeof(want), "\"compressed_size\":%zu", gl);
    assert_contains(out, want);
    free(out);
    free(err);
    char *before = status_when_back();
    /* damaged: bad CRC, cut short, a bomb of zeros after the image. push finds
     * it before sending (the device's own gzip parser, over zlib), and the
     * device refuses the same bytes with the same code when they are sent */
    size_t big = 8u << 20, bl;
    uint8_t *bomb = calloc(1, big);
    memcpy(bomb, img, n);
    uint8_t *bz = gz_make(bomb, big, &bl);
    static const struct {
        const char *code;
        int status;
    } bad[] = {{"bad_gzip_crc", 422}, {"gzip_truncated", 422}, {"gzip_too_big", 413}};
    for (int i = 0; i < 3; i++) {
        if (i == 0) {
            gz[gl - 7] ^= 0x20;
            tu_write_file(gzpath, gz, gl);
            gz[gl - 7] ^= 0x20;
        } else if (i == 1) {
            tu_write_file(gzpath, gz, gl / 2);
        } else {
            tu_write_file(gzpath, bz, bl);
        }
        assert_int_equal(run(&out, &err, "push %s '%s'", url, gzpath), 1);
        char code[80];
        snprintf(code, sizeof(code), "error: %s: ", bad[i].code);
        assert_contains(err, code);
        assert_contains(err, "nothing was sent");
        free(out);
        free(err);
        char *ans = NULL;
        assert_int_equal(tu_runf(&ans, "curl -s -w ' HTTP %%{http_code}' -H 'Content-Type: application/octet-stream' "
                                       "-H 'Content-Encoding: gzip' --data-binary @'%s' %s/api/update",
                                 gzpath, url),
                         0);
        snprintf(code, sizeof(code), "{\"error\":\"%s\",", bad[i].code);
        assert_contains(ans, code);
        snprintf(code, sizeof(code), " HTTP %d", bad[i].status);
        assert_contains(ans, code);
        free(ans);
    }
    /* nothing of it changed what runs */
    char *after = status_when_back();
    char *rb = strstr(before, "\"running\""), *ra = strstr(after, "\"running\"");
    assert_non_null(rb);
    assert_non_null(ra);
    assert_int_equal(strncmp(rb, ra, 120), 0);
    free(before);
    free(after);
    free(bz);
    free(bomb);
    free(gz);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_compresses_by_default),
        cmocka_unit_test(test_push_no_compress_and_gz_files),
    };
    return cmocka_run_group_tests(tests, sim_start, sim_stop);
}
