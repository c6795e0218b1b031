/* Signed updates against the real simulator started with --trusted-key (two
 * keys) on 127.0.0.1 (a free port), driven by `webota push` and `webota status`:
 * an unsigned image, one signed by an untrusted key, one whose signature does
 * not match and one with a malformed sector are each refused 422 with their
 * code, otadata and the running firmware byte for byte unchanged in the flash
 * file; forcing does not skip the signature; an image signed by a trusted key
 * is installed and boots. The status reports the trusted keys. */
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
#include "webota/crc32.h"

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
              "--confirm", "first-request", "--watchdog", "1", "--trusted-key",
              WEBOTA_VECTORS "/sbv2/keys/p256_a.pub.pem", "--trusted-key", WEBOTA_VECTORS "/sbv2/keys/rsa3072.pem",
              (char *)NULL);
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


#define KEYS WEBOTA_VECTORS "/sbv2/keys"

/* The flash file's bytes outside ota_0 (0x110000..0x210000 in the two-ota layout). */
static uint8_t *flash_outside_ota0(size_t *n)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/flash.bin", dir);
    uint8_t *f = tu_read_file(path, n);
    assert_non_null(f);
    assert_true(*n >= 0x210000);
    memset(f + 0x110000, 0, 0x100000);
    return f;
}

static void sign(const char *key, const char *out)
{
    char *o = NULL;
    if (tu_runf(&o, "%s image sign --key %s/%s.pem %s -o %s 2>&1", WEBOTA_BIN, KEYS, key, good, out) != 0) {
        fail_msg("image sign: %s", o);
    }
    free(o);
}

static void test_status_names_trusted_keys(void **state)
{
    (void)state;
    find_demo_images();
    char *out = NULL;
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"signed_only\":true");
    assert_contains(out, "\"ecdsa256:8efe9920bf1fccab5f12c03cd4dec835b097b98d155e1a0e388f419ca282cb30\"");
    assert_contains(out, "\"rsa3072:cdff11e14b95e69d470b83b4b327bce8b6506fbad9f3de882565b6107d9846bb\"");
    free(out);
}

static void test_refusals_leave_flash_untouched(void **state)
{
    (void)state;
    char p_untrusted[700], p_mismatch[700], p_crc[700];
    snprintf(p_untrusted, sizeof p_untrusted, "%s/untrusted.bin", dir);
    snprintf(p_mismatch, sizeof p_mismatch, "%s/mismatch.bin", dir);
    snprintf(p_crc, sizeof p_crc, "%s/crc.bin", dir);
    sign("p256_b", p_untrusted);
    sign("p256_a", p_mismatch);
    sign("p256_a", p_crc);
    size_t n;
    uint8_t *d = tu_read_file(p_mismatch, &n);
    d[n - 4096 + 101] ^= 0x01; /* the P-256 signature (r), the block's CRC made right again */
    uint32_t crc = webota_crc32_le(0, d + n - 4096, 1196);
    for (int i = 0; i < 4; i++) {
        d[n - 4096 + 1196 + i] = (uint8_t)(crc >> (8 * i));
    }
    tu_write_file(p_mismatch, d, n);
    free(d);
    d = tu_read_file(p_crc, &n);
    d[n - 4096 + 1196] ^= 0x01; /* block 0's CRC */
    tu_write_file(p_crc, d, n);
    free(d);
    static const struct {
        const char *which, *args, *code;
    } cases[] = {
        {"good", "", "error: unsigned: "},
        {"good", "--force ", "error: unsigned: "},
        {"untrusted", "", "error: untrusted_key: "},
        {"mismatch", "", "error: bad_signature: "},
        {"crc", "", "error: bad_signature_sector: "},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t before_n, after_n;
        uint8_t *before = flash_outside_ota0(&before_n);
        const char *path = strcmp(cases[i].which, "good") == 0        ? good
                           : strcmp(cases[i].which, "untrusted") == 0 ? p_untrusted
                           : strcmp(cases[i].which, "mismatch") == 0  ? p_mismatch
                                                                      : p_crc;
        char *out, *err;
        assert_int_equal(run(&out, &err, "push %s%s %s", cases[i].args, url, path), 1);
        assert_contains(err, cases[i].code);
        free(out);
        free(err);
        /* the HTTP status itself */
        assert_int_equal(tu_runf(&out, "curl -s -m 20 -o /dev/null -w '%%{http_code}' -H 'Content-Type: "
                                       "application/octet-stream' --data-binary @'%s' '%s/api/update%s'",
                                 path, url, cases[i].args[0] ? "?force=1" : ""),
                         0);
        assert_string_equal(out, "422");
        free(out);
        uint8_t *after = flash_outside_ota0(&after_n);
        assert_int_equal(before_n, after_n);
        if (memcmp(before, after, before_n) != 0) {
            fail_msg("%s: the flash outside ota_0 changed", cases[i].which);
        }
        free(before);
        free(after);
    }
    char *out = NULL;
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"version\":\"1.0.0\"");
    assert_contains(out, "\"label\":\"factory\"");
    free(out);
}

static void test_trusted_signature_installs(void **state)
{
    (void)state;
    char p[700];
    snprintf(p, sizeof p, "%s/signed.bin", dir);
    sign("rsa3072", p);
    char *out, *err;
    assert_int_equal(run(&out, &err, "push %s %s", url, p), 0);
    assert_contains(out, "installed 1.1.0 into ota_0");
    free(out);
    free(err);
    wait_for("\"version\":\"1.1.0\"");
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, "\"running\":{\"label\":\"ota_0\"");
    free(out);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(240); /* bounded, whatever the simulator does */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names_trusted_keys),
        cmocka_unit_test(test_refusals_leave_flash_untouched),
        cmocka_unit_test(test_trusted_signature_installs),
    };
    return cmocka_run_group_tests(tests, sim_start, sim_stop);
}
