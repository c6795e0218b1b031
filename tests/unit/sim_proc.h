/* The real `webota sim` as a child process for the CLI and integration tests
 * (test_cli_push, test_sim_security, test_push_gzip): started on 127.0.0.1 with a free port in a
 * private directory, its demo images found, `webota` runs against it, bounded
 * waits, stopped with SIGINT. Static helpers: include once per test program. */
#ifndef WEBOTA_SIM_PROC_H
#define WEBOTA_SIM_PROC_H

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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

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

static bool sim_reuse_dir; /* the next start keeps dir (a restart on the same flash file) */

/* Starts `webota sim --confirm CONFIRM --watchdog 1 EXTRA...` on a free port,
 * in the folder `sub` of the test's directory (NULL: a fresh one; kept when
 * sim_reuse_dir is set), with the extra arguments (NULL-terminated, may be
 * NULL); url then names it. */
static int sim_start_in(const char *sub, const char *confirm, const char *const *extra)
{
    static unsigned starts;
    if (!sim_reuse_dir || dir[0] == 0) {
        if (sub != NULL) {
            snprintf(dir, sizeof(dir), "%s/%s", tu_tmpdir(), sub);
        } else {
            snprintf(dir, sizeof(dir), "%s/sim%u", tu_tmpdir(), starts++);
        }
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            return -1;
        }
    }
    sim_reuse_dir = false;
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
        const char *argv[32] = {"webota", "sim", "--bind", "127.0.0.1", "--port", "0", "--flash", flash,
                                "--confirm", confirm, "--watchdog", "1"};
        size_t n = 12;
        for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 31; i++) {
            argv[n++] = extra[i];
        }
        argv[n] = NULL;
        execv(WEBOTA_BIN, (char *const *)argv);
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

/* sim_start_in with a fresh folder and --confirm first-request. */
static inline int sim_start_args(const char *const *extra)
{
    return sim_start_in(NULL, "first-request", extra);
}

/* Stops the simulator with SIGINT (bounded); its directory stays. */
static int sim_halt(void)
{
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
    sim_pid = -1;
    return 0;
}

static int sim_stop(void **state)
{
    (void)state;
    if (dir[0] == 0) {
        return 0;
    }
    if (sim_halt() != 0) {
        return -1;
    }
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    int rc = tu_run(cmd, NULL) == 0 ? 0 : -1;
    dir[0] = 0;
    return rc;
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

/* Polls `webota status --json` until the device answers with want (bounded). */
static inline void wait_for(const char *want)
{
    for (int i = 0; i < 150; i++) {
        char *out = NULL;
        int rc = run(&out, NULL, "status --json %s", url);
        bool ok = rc == 0 && strstr(out, want) != NULL;
        free(out);
        if (ok) {
            return;
        }
        sleep_ms(200);
    }
    fail_msg("the device never answered with %s within 30 s", want);
}

/* The simulator's log (stdout and stderr), malloc'd and NUL-terminated. */
static inline char *sim_log(void)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/sim.log", dir);
    size_t n = 0;
    char *log = (char *)tu_read_file(path, &n);
    char *text = log != NULL ? realloc(log, n + 1) : NULL;
    if (text == NULL) {
        free(log);
        return NULL;
    }
    text[n] = 0;
    return text;
}

/* Waits (bounded: 30 s) until the simulator's log says want, without
 * talking to it. */
static inline void wait_for_log(const char *want)
{
    for (int i = 0; i < 150; i++) {
        char *log = sim_log();
        bool ok = log != NULL && strstr(log, want) != NULL;
        free(log);
        if (ok) {
            return;
        }
        sleep_ms(200);
    }
    char *log = sim_log();
    fail_msg("the simulator never logged \"%s\" within 30 s:\n%s", want, log ? log : "");
}

#endif
