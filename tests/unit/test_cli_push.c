/* `webota push` and `webota status` against the real simulator on 127.0.0.1
 * (a free port): a good image is installed and the device comes back with it,
 * bad images are refused with the device's reason and exit 1, the progress
 * bar is drawn on a terminal, connection and usage errors are clear. */
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

/* Polls `webota status --json` until the device answers with want (bounded). */
static void wait_for(const char *want)
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

static void test_status_human_and_json(void **state)
{
    (void)state;
    find_demo_images();
    char *out, *err;
    assert_int_equal(run(&out, &err, "status %s/", url), 0);
    assert_contains(out, "chip:      esp32");
    assert_contains(out, "project:   webota-demo");
    assert_contains(out, "version:   1.0.0");
    assert_contains(out, "running:   factory at 0x");
    assert_contains(out, "next:      ota_0, ");
    assert_contains(out, "rollback:  ");
    assert_contains(out, "update:    ");
    assert_string_equal(err, "");
    free(out);
    free(err);
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"version\":\"1.0.0\"");
    assert_contains(out, "\"running\":{\"label\":\"factory\"");
    free(out);
}

static void test_push_refusals(void **state)
{
    (void)state;
    char *out, *err, path[700];

    /* not an image at all */
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    tu_write_file(path, "this is not firmware\n", 21);
    assert_int_equal(run(&out, &err, "push %s %s", url, path), 1);
    assert_contains(err, "webota push: error: bad_magic: ");
    assert_string_equal(out, "");
    free(out);
    free(err);

    /* the same with --json: the device's answer on stdout */
    assert_int_equal(run(&out, &err, "push --json %s/ %s", url, path), 1);
    assert_contains(out, "\"error\":\"bad_magic\"");
    assert_contains(err, "error: bad_magic: ");
    free(out);
    free(err);

    /* an image for another chip */
    size_t n = 0;
    uint8_t *img = tu_read_file(good, &n);
    assert_non_null(img);
    img[12] = 5; /* ESP32-C3 */
    snprintf(path, sizeof(path), "%s/c3.bin", dir);
    tu_write_file(path, img, n);
    free(img);
    assert_int_equal(run(&out, &err, "push %s %s", url, path), 1);
    assert_contains(err, "error: wrong_chip: ");
    free(out);
    free(err);

    /* without the updater: refused unless forced */
    assert_int_equal(run(&out, &err, "push %s %s", url, nomarker), 1);
    assert_contains(err, "error: no_updater: ");
    /* stderr is not a terminal: one summary line, no bar */
    assert_contains(err, "webota push: sent ");
    assert_null(strchr(err, '\r'));
    free(out);
    free(err);

    /* nothing changed on the device; the last failure is reported */
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"version\":\"1.0.0\"");
    assert_contains(out, "\"label\":\"factory\"");
    free(out);
    assert_int_equal(run(&out, NULL, "status %s", url), 0);
    assert_contains(out, "running:   factory at 0x");
    assert_contains(out, "update:    failed");
    assert_contains(out, " - no_updater: ");
    free(out);
}

static void test_push_good_image_with_progress_bar(void **state)
{
    (void)state;
    /* `script` gives the push a pseudo-terminal, where the bar is drawn */
    char cmd[2000], *out = NULL;
    snprintf(cmd, sizeof(cmd), "script -qec \"'%s' push %s '%s'\" /dev/null", WEBOTA_BIN, url,
             good);
    assert_int_equal(tu_run(cmd, &out), 0);
    assert_contains(out, "installed 1.1.0 into ota_0; the device is rebooting into it");
    assert_contains(out, "\r[");
    assert_contains(out, "] 100%");
    assert_contains(out, "/s");
    free(out);
    wait_for("\"version\":\"1.1.0\"");
    assert_int_equal(run(&out, NULL, "status %s", url), 0);
    assert_contains(out, "version:   1.1.0");
    assert_contains(out, "running:   ota_0 at 0x");
    assert_contains(out, "next:      ota_1, ");
    free(out);
}

static void test_push_forced_image_without_updater(void **state)
{
    (void)state;
    char *out, *err;
    /* forced: installed into ota_1; it has no web server, so the watchdog
     * resets it and the bootloader rolls back to ota_0 */
    assert_int_equal(run(&out, &err, "push --json --force %s %s", url, nomarker), 0);
    assert_contains(out, "\"ok\":true");
    assert_contains(out, "\"slot\":\"ota_1\"");
    assert_contains(out, "\"rebooting\":true");
    free(out);
    free(err);
    /* the device goes away (no web server in that firmware), then comes back */
    bool down = false;
    for (int i = 0; i < 100 && !down; i++) {
        down = run(NULL, NULL, "status %s", url) != 0;
        sleep_ms(100);
    }
    assert_true(down);
    wait_for("\"running\":{\"label\":\"ota_0\"");
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"version\":\"1.1.0\"");
    free(out);
}

static void test_errors_without_a_device(void **state)
{
    (void)state;
    char *out, *err;
    /* a port nobody listens on: find one by binding and closing is racy, so use port 1 */
    assert_int_equal(run(&out, &err, "push http://127.0.0.1:1 %s", good), 1);
    assert_contains(err, "webota push: cannot reach http://127.0.0.1:1/api/update: ");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "status 127.0.0.1:1"), 1);
    assert_contains(err, "webota status: cannot reach http://127.0.0.1:1/api/status: ");
    free(out);
    free(err);

    /* usage errors: exit 2 with a reason */
    assert_int_equal(run(&out, &err, "push %s", url), 2);
    assert_contains(err, "usage: webota push");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "push --bogus %s %s", url, good), 2);
    assert_contains(err, "unknown option '--bogus'");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "push ftp://127.0.0.1 %s", good), 2);
    assert_contains(err, "only http:// and https://");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "status %s/api/status", url), 2);
    assert_contains(err, "without a path");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "status"), 2);
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "push %s %s/does-not-exist.bin", url, dir), 1);
    assert_contains(err, "cannot read ");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "push %s %s", url, dir), 1);
    assert_contains(err, "not a regular file");
    free(out);
    free(err);

    assert_int_equal(run(&out, NULL, "push --help"), 0);
    assert_contains(out, "usage: webota push [--json] [--force] [--password-file F] URL FILE");
    free(out);
    assert_int_equal(run(&out, NULL, "status --help"), 0);
    assert_contains(out, "usage: webota status [--json] [--password-file F] URL");
    free(out);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(240); /* bounded, whatever the simulator does */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_human_and_json),
        cmocka_unit_test(test_push_refusals),
        cmocka_unit_test(test_push_good_image_with_progress_bar),
        cmocka_unit_test(test_push_forced_image_without_updater),
        cmocka_unit_test(test_errors_without_a_device),
    };
    return cmocka_run_group_tests(tests, sim_start, sim_stop);
}
