/* `webota push` and `webota status` against the real simulator on 127.0.0.1
 * (a free port): a good image is installed and the device comes back with it,
 * bad images are refused with the device's reason and exit 1, the progress
 * bar is drawn on a terminal, connection and usage errors are clear. */
#include "sim_proc.h"

static int sim_start(void **state)
{
    (void)state;
    return sim_start_with(NULL);
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
    assert_contains(out, "usage: webota push [--json] [--force] URL FILE");
    free(out);
    assert_int_equal(run(&out, NULL, "status --help"), 0);
    assert_contains(out, "usage: webota status [--json] URL");
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
