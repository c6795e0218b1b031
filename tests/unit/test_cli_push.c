/* `webota push`, `status`, `confirm`, `rollback` and `reboot` against the real
 * simulator on 127.0.0.1 (a free port): push checks a file before sending it
 * (nothing reaches the device when it is wrong) and says how to fix it, waits
 * for the new firmware and reports its state; a second push right after the
 * first works with the default confirm policy; with --confirm manual the CLI
 * closes the loop (confirm, push --confirm, reboot, rollback); a password is
 * taken from WEBOTA_PASSWORD or --password-file, never from argv; a server
 * that is not webota (Node.js's http module) is named as such; the progress
 * bar is drawn on a terminal; connection and usage errors are clear. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sim_proc.h"

/* Starts `webota sim --confirm CONFIRM` (with WEBOTA_PASSWORD=PW when
 * password is not NULL) in a folder `sub` of the test's directory. */
static int sim_start_with(const char *sub, const char *confirm, const char *password)
{
    /* the password through the environment, never on its command line */
    if (password != NULL) {
        setenv("WEBOTA_PASSWORD", password, 1);
    } else {
        unsetenv("WEBOTA_PASSWORD");
    }
    return sim_start_in(sub, confirm, NULL);
}

static int sim_start(void **state)
{
    (void)state;
    return sim_start_with("first-request", "first-request", NULL);
}

static int sim_start_manual(void **state)
{
    (void)state;
    return sim_start_with("manual", "manual", "s3cret pw");
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

/* The device's update state, to show that nothing reached it. */
static void expect_update_state(const char *want)
{
    char *out = NULL;
    assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
    assert_contains(out, want);
    free(out);
}

/* A copy of the good image with one change, written next to it. */
static void write_patched(const char *name, size_t off, uint8_t x, size_t extra, char *path,
                          size_t cap)
{
    size_t n = 0;
    uint8_t *img = tu_read_file(good, &n);
    assert_non_null(img);
    uint8_t *big = calloc(1, n + extra);
    assert_non_null(big);
    memcpy(big, img, n);
    big[off] ^= x;
    snprintf(path, cap, "%s/%s", dir, name);
    tu_write_file(path, big, n + extra);
    free(big);
    free(img);
}

/* Every wrong file is refused before a byte is sent: the message names what is
 * wrong and what to do, the device's update state stays idle. */
static void test_push_checks_the_file_first(void **state)
{
    (void)state;
    char *out, *err, path[700];
    expect_update_state("\"update\":{\"state\":\"idle\"");

    /* not an image at all */
    snprintf(path, sizeof(path), "%s/random.bin", dir);
    tu_write_file(path, "this is not firmware\n", 21);
    assert_int_equal(run(&out, &err, "push %s %s", url, path), 1);
    assert_contains(err, "webota push: error: bad_magic: not an ESP app image");
    assert_contains(err, "at offset 0 of ");
    assert_contains(err, "; nothing was sent");
    assert_contains(err, "give the app image that ESP-IDF built (build/PROJECT.bin)");
    assert_null(strstr(err, "webota push: sent "));
    assert_string_equal(out, "");
    free(out);
    free(err);

    /* the same with --json: a JSON refusal on stdout */
    assert_int_equal(run(&out, &err, "push --json %s/ %s", url, path), 1);
    assert_contains(out, "{\"ok\":false,\"error\":\"bad_magic\",\"message\":\"not an ESP app image");
    assert_contains(out, "\"sent\":false}");
    free(out);
    free(err);

    /* an image for another chip */
    write_patched("c3.bin", 12, 0x05, 0, path, sizeof(path)); /* chip id 0 -> 5: ESP32-C3 */
    assert_int_equal(run(&out, &err, "push %s %s", url, path), 1);
    assert_contains(err, "error: wrong_chip: ");
    assert_contains(err, "it is built for ESP32-C3, the device is ESP32: build it for the device "
                         "(idf.py set-target esp32)");
    free(out);
    free(err);

    /* larger than the device's next slot (1 MiB) */
    write_patched("big.bin", 0, 0, 0x100000, path, sizeof(path));
    assert_int_equal(run(&out, &err, "push %s %s", url, path), 1);
    assert_contains(err, "error: too_big: ");
    assert_contains(err, "the device's next slot ota_0 holds 1048576");
    free(out);
    free(err);

    /* one flipped byte in the middle: only the checksum or the SHA-256 sees it */
    size_t n = 0;
    free(tu_read_file(good, &n));
    write_patched("flipped.bin", n / 2, 0x01, 0, path, sizeof(path));
    assert_int_equal(run(&out, &err, "push %s %s", url, path), 1);
    if (strstr(err, "error: bad_checksum: ") == NULL && strstr(err, "error: bad_sha256: ") == NULL) {
        fail_msg("a flipped byte was not found by the checksum or the SHA-256:\n%s", err);
    }
    assert_contains(err, "the file is damaged or incomplete");
    free(out);
    free(err);

    /* without the updater: refused unless forced, naming --force and the page's button */
    assert_int_equal(run(&out, &err, "push %s %s", url, nomarker), 1);
    assert_contains(err, "error: no_updater: ");
    assert_contains(err, "add --force to install it anyway (the page's \"Upload anyway\" button");
    free(out);
    free(err);

    /* nothing of it reached the device */
    expect_update_state("\"update\":{\"state\":\"idle\"");
    expect_update_state("\"version\":\"1.0.0\"");
}

/* A refusal that only the device can make (an upload in progress on another
 * connection) is its reason and the way out. */
static void test_push_device_refusal(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *img = tu_read_file(good, &n);
    assert_non_null(img);
    unsigned port = 0;
    assert_int_equal(sscanf(url, "http://127.0.0.1:%u", &port), 1);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    char head[300];
    int hl = snprintf(head, sizeof(head),
                      "POST /api/update HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: "
                      "application/octet-stream\r\nContent-Length: %zu\r\n\r\n",
                      port, n);
    assert_true(send(s, head, (size_t)hl, MSG_NOSIGNAL) == hl);
    assert_true(send(s, img, n / 2, MSG_NOSIGNAL) == (ssize_t)(n / 2));
    char *out = NULL, *err = NULL;
    bool receiving = false;
    for (int i = 0; i < 100 && !receiving; i++) {
        assert_int_equal(run(&out, NULL, "status --json %s", url), 0);
        receiving = strstr(out, "\"state\":\"receiving\"") != NULL;
        free(out);
        sleep_ms(50);
    }
    assert_true(receiving);
    assert_int_equal(run(&out, &err, "push %s %s", url, good), 1);
    assert_contains(err, "webota push: error: busy: ");
    assert_contains(err, "webota push: another upload (or a reboot) is in progress: wait for it");
    free(out);
    free(err);
    close(s); /* the other upload goes away: its session aborts */
    free(img);
    wait_for("\"error\":\"aborted\"");
}

static void test_push_good_image_with_progress_bar(void **state)
{
    (void)state;
    /* `script` gives the push a pseudo-terminal, where the bar is drawn */
    char cmd[2000], *out = NULL;
    snprintf(cmd, sizeof(cmd), "script -qec \"'%s' push %s '%s'\" /dev/null", WEBOTA_BIN, url,
             good);
    assert_int_equal(tu_run(cmd, &out), 0);
    assert_contains(out, "\r[");
    assert_contains(out, "] 100%");
    assert_contains(out, "/s");
    assert_contains(out, "installed 1.1.0 into ota_0; waiting for the device to restart into it");
    /* push waited for the new firmware: its status request confirmed it (first-request) */
    assert_contains(out, "installed 1.1.0 into ota_0; the device is back: webota-demo 1.1.0 runs "
                         "from ota_0 (valid)");
    free(out);
    assert_int_equal(run(&out, NULL, "status %s", url), 0);
    assert_contains(out, "version:   1.1.0");
    assert_contains(out, "running:   ota_0 at 0x");
    assert_contains(out, ", state valid");
    assert_contains(out, "next:      ota_1, ");
    free(out);
}

/* The first row: `push a.bin; push b.bin` on the default simulator.
 * The second push comes right after the first (no status request between). */
static void test_second_push_right_after_the_first(void **state)
{
    (void)state;
    char next[700], *out, *err;
    snprintf(next, sizeof(next), "%s/next-1.3.0.bin", dir);
    assert_int_equal(tu_runf(NULL, "'%s' image make --chip esp32 --project webota-demo --version "
                                   "1.3.0 --size 100000 -o '%s' >/dev/null",
                             WEBOTA_BIN, next),
                     0);
    assert_int_equal(run(&out, &err, "push --json %s %s", url, next), 0);
    assert_contains(out, "\"ok\":true");
    assert_contains(out, "\"version\":\"1.3.0\",\"slot\":\"ota_1\"");
    assert_contains(out, "\"back\":{\"slot\":\"ota_1\",\"project\":\"webota-demo\","
                         "\"version\":\"1.3.0\",\"state\":\"valid\"}");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "push %s %s", url, good), 0);
    assert_contains(out, "installed 1.1.0 into ota_0; the device is back: webota-demo 1.1.0 runs "
                         "from ota_0 (valid)");
    free(out);
    free(err);
}

static void test_push_forced_image_without_updater(void **state)
{
    (void)state;
    char *out, *err;
    /* forced: installed into ota_1; push does not wait for a firmware that
     * cannot answer. It has no web server, so the watchdog resets it and the
     * bootloader rolls back to ota_0 */
    assert_int_equal(run(&out, &err, "push --json --force %s %s", url, nomarker), 0);
    assert_contains(out, "\"ok\":true");
    assert_contains(out, "\"slot\":\"ota_1\"");
    assert_contains(out, "\"rebooting\":true");
    assert_contains(out, "\"back\":null");
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

/* A web server that is not webota (Node.js's http module: 404 with an HTML
 * page for everything) is named as such. */
static void test_not_a_webota_device(void **state)
{
    (void)state;
    char js[700], portfile[700];
    snprintf(js, sizeof(js), "%s/other.js", dir);
    snprintf(portfile, sizeof(portfile), "%s/other.port", dir);
    const char *src =
        "const http = require('http'), fs = require('fs');\n"
        "const s = http.createServer((q, r) => { r.writeHead(404, {'Content-Type': 'text/html'});\n"
        "  r.end('<!DOCTYPE HTML><html><body>Not Found</body></html>'); });\n"
        "s.listen(0, '127.0.0.1', () => fs.writeFileSync(process.argv[2], String(s.address().port)));\n"
        "setTimeout(() => process.exit(0), 60000);\n";
    tu_write_file(js, src, strlen(src));
    pid_t pid = fork();
    if (pid == 0) {
        execlp("node", "node", js, portfile, (char *)NULL);
        _exit(127);
    }
    unsigned port = 0;
    for (int i = 0; i < 200 && port == 0; i++) {
        sleep_ms(50);
        size_t n = 0;
        char *txt = (char *)tu_read_file(portfile, &n);
        if (txt != NULL && n > 0) {
            char b[16] = "";
            memcpy(b, txt, n < 15 ? n : 15);
            port = (unsigned)strtoul(b, NULL, 10);
        }
        free(txt);
    }
    char other[64], want[160], *out, *err;
    snprintf(other, sizeof(other), "http://127.0.0.1:%u", port);
    int st1 = port ? run(&out, &err, "status %s", other) : -1;
    if (port) {
        snprintf(want, sizeof(want),
                 "webota status: %s does not look like a webota device (HTTP 404 for "
                 "/api/status)",
                 other);
        assert_contains(err, want);
        assert_null(strstr(err, "DOCTYPE"));
        free(out);
        free(err);
        assert_int_equal(run(&out, &err, "push %s %s", other, good), 1);
        snprintf(want, sizeof(want), "webota push: %s does not look like a webota device", other);
        assert_contains(err, want);
        assert_null(strstr(err, "webota push: sent "));
        free(out);
        free(err);
        assert_int_equal(run(&out, &err, "confirm %s", other), 1);
        assert_contains(err, "(HTTP 404 for /api/confirm)");
        free(out);
        free(err);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (port == 0) {
        fail_msg("the Node.js server did not start");
    }
    assert_int_equal(st1, 1);
}

static void test_errors_without_a_device(void **state)
{
    (void)state;
    char *out, *err;
    /* a port nobody listens on: find one by binding and closing is racy, so use port 1 */
    assert_int_equal(run(&out, &err, "push http://127.0.0.1:1 %s", good), 1);
    assert_contains(err, "webota push: cannot reach http://127.0.0.1:1/api/status: ");
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

    /* a password never goes on the command line */
    assert_int_equal(run(&out, &err, "status http://any:secret@127.0.0.1:1"), 2);
    assert_contains(err, "leave the user and password out of the URL");
    assert_contains(err, "WEBOTA_PASSWORD");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "confirm --password-file"), 2);
    assert_contains(err, "--password-file needs a FILE");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "confirm --password-file %s/none %s", dir, url), 1);
    assert_contains(err, "cannot read the password file ");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "reboot"), 2);
    assert_contains(err, "usage: webota reboot [--json] [--no-wait] [--password-file FILE] URL");
    free(out);
    free(err);

    assert_int_equal(run(&out, NULL, "push --help"), 0);
    assert_contains(out, "usage: webota push [--json] [--force] [--confirm] [--no-wait]");
    assert_contains(out, "first-request");
    free(out);
    assert_int_equal(run(&out, NULL, "status --help"), 0);
    assert_contains(out, "usage: webota status [--json] [--password-file FILE] URL");
    /* the confirm side effect of a status request is said */
    assert_contains(out, "confirms a new firmware that is still on trial");
    free(out);
    assert_int_equal(run(&out, NULL, "confirm --help"), 0);
    assert_contains(out, "usage: webota confirm [--json] [--password-file FILE] URL");
    free(out);
    assert_int_equal(run(&out, NULL, "rollback --help"), 0);
    assert_contains(out, "usage: webota rollback [--json] [--no-wait] [--password-file FILE] URL");
    free(out);
}

/* ---- a simulator with --confirm manual and a password ---- */

static char pwfile[700];

/* Without the password: asked for, named how to give it; a wrong one is named;
 * --password-file and WEBOTA_PASSWORD work. */
static void test_password(void **state)
{
    (void)state;
    find_demo_images();
    char *out, *err;
    unsetenv("WEBOTA_PASSWORD");
    assert_int_equal(run(&out, &err, "status %s", url), 1);
    assert_contains(err, "webota status: error: unauthorized: ");
    assert_contains(err, "asks for a password: put it in the environment variable "
                         "WEBOTA_PASSWORD or in a file given with --password-file FILE");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "push %s %s", url, good), 1);
    assert_contains(err, "webota push: error: unauthorized: ");
    assert_null(strstr(err, "webota push: sent "));
    free(out);
    free(err);
    setenv("WEBOTA_PASSWORD", "wrong", 1);
    assert_int_equal(run(&out, &err, "status %s", url), 1);
    assert_contains(err, "refused the password from WEBOTA_PASSWORD: check it");
    assert_null(strstr(err, "wrong"));
    free(out);
    free(err);
    unsetenv("WEBOTA_PASSWORD");
    snprintf(pwfile, sizeof(pwfile), "%s/pw.txt", dir);
    tu_write_file(pwfile, "s3cret pw\n", 10);
    assert_int_equal(run(&out, &err, "status --password-file %s %s", pwfile, url), 0);
    assert_contains(out, "version:   1.0.0");
    free(out);
    free(err);
    setenv("WEBOTA_PASSWORD", "s3cret pw", 1);
    assert_int_equal(run(&out, &err, "status %s", url), 0);
    free(out);
    free(err);
}

/* With --confirm manual the new firmware stays on trial: push says so and how
 * to keep it, refuses a second push before sending it, `confirm` keeps it,
 * `push --confirm` confirms by itself, `reboot` and `rollback` wait for the
 * device and say what runs, refusals name the way out. */
static void test_manual_confirm_closes_the_loop(void **state)
{
    (void)state;
    char *out, *err, next[700], want[600];
    snprintf(next, sizeof(next), "%s/next-1.3.0.bin", dir);
    assert_int_equal(tu_runf(NULL, "'%s' image make --chip esp32 --project webota-demo --version "
                                   "1.3.0 --size 100000 -o '%s' >/dev/null",
                             WEBOTA_BIN, next),
                     0);
    assert_int_equal(run(&out, &err, "push %s %s", url, good), 0);
    assert_contains(out, "installed 1.1.0 into ota_0; the device is back: webota-demo 1.1.0 runs "
                         "from ota_0 (pending_verify)");
    snprintf(want, sizeof(want), "it is on trial: keep it with `webota confirm %s`", url);
    assert_contains(out, want);
    free(out);
    free(err);
    assert_int_equal(run(&out, NULL, "status %s", url), 0);
    assert_contains(out, "state pending_verify");
    snprintf(want, sizeof(want), "on trial: keep it with `webota confirm %s`, or `webota rollback %s`;", url, url);
    assert_contains(out, want);
    free(out);

    /* a second push is refused before anything is sent */
    assert_int_equal(run(&out, &err, "push %s %s", url, next), 1);
    assert_contains(err, "webota push: error: pending_verify: the device runs webota-demo 1.1.0 "
                         "from ota_0 on trial (pending_verify)");
    assert_contains(err, "nothing was sent");
    snprintf(want, sizeof(want), "keep it with `webota confirm %s`, or go back with `webota "
                                 "rollback %s`; then push again", url, url);
    assert_contains(err, want);
    free(out);
    free(err);
    expect_update_state("\"update\":{\"state\":\"idle\"");

    assert_int_equal(run(&out, &err, "confirm %s", url), 0);
    assert_contains(out, "confirmed: webota-demo 1.1.0 in ota_0 is valid and stays installed");
    free(out);
    free(err);

    /* push --confirm: the new firmware is confirmed once it answers */
    assert_int_equal(run(&out, &err, "push --confirm %s %s", url, next), 0);
    assert_contains(out, "installed 1.3.0 into ota_1; the device is back: webota-demo 1.3.0 runs "
                         "from ota_1, confirmed (valid)");
    free(out);
    free(err);
    expect_update_state("\"label\":\"ota_1\",\"offset\":2162688,\"size\":1048576,\"index\":1,"
                        "\"state\":\"valid\"");

    assert_int_equal(run(&out, &err, "reboot %s", url), 0);
    assert_contains(out, "reboot: the device is back: webota-demo 1.3.0 runs from ota_1 (valid)");
    free(out);
    free(err);

    assert_int_equal(run(&out, &err, "rollback --json %s", url), 0);
    assert_contains(out, "{\"ok\":true,\"rebooting\":true,\"back\":{\"slot\":\"ota_0\","
                         "\"project\":\"webota-demo\",\"version\":\"1.1.0\",\"state\":\"valid\"}}");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "rollback %s", url), 0);
    assert_contains(out, "rollback: the device is back: webota-demo 1.0.0 runs from factory");
    free(out);
    free(err);

    /* refusals name the way out */
    assert_int_equal(run(&out, &err, "confirm --json %s", url), 1);
    assert_contains(out, "\"error\":\"not_pending\"");
    assert_contains(err, "webota confirm: error: not_pending: ");
    assert_contains(err, "nothing to do: the running firmware is not on trial");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "rollback %s", url), 1);
    assert_contains(err, "webota rollback: error: rollback_impossible: ");
    assert_contains(err, "there is no earlier valid firmware on the device to go back to");
    free(out);
    free(err);

    /* a firmware left on trial is rolled back by a reboot */
    assert_int_equal(run(&out, &err, "push %s %s", url, next), 0);
    assert_contains(out, "runs from ota_0 (pending_verify)");
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "reboot --no-wait %s", url), 0);
    assert_contains(out, "reboot: the device is rebooting");
    free(out);
    free(err);
    wait_for("\"running\":{\"label\":\"factory\"");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    alarm(280); /* bounded, whatever the simulator does */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_human_and_json),
        cmocka_unit_test(test_push_checks_the_file_first),
        cmocka_unit_test(test_push_device_refusal),
        cmocka_unit_test(test_push_good_image_with_progress_bar),
        cmocka_unit_test(test_second_push_right_after_the_first),
        cmocka_unit_test(test_push_forced_image_without_updater),
        cmocka_unit_test(test_not_a_webota_device),
        cmocka_unit_test(test_errors_without_a_device),
    };
    int failed = cmocka_run_group_tests(tests, sim_start, sim_stop);
    const struct CMUnitTest manual[] = {
        cmocka_unit_test(test_password),
        cmocka_unit_test(test_manual_confirm_closes_the_loop),
    };
    failed += cmocka_run_group_tests_name("manual confirm, password", manual, sim_start_manual,
                                          sim_stop);
    return failed;
}
