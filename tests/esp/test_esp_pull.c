/* The ESP-IDF binding's release puller (ports/esp-idf/src/webota_esp_pull.c)
 * on the PC, against the ESP-IDF host stand-in (tests/esp/idf_host: its
 * esp_http_client speaks real HTTP to a real nginx on 127.0.0.1, NVS is
 * kept across restarts) and a release published by the real CLI:
 *   - the device (factory 1.0.0) polls, downloads, activates and restarts
 *     into 1.1.0 (pending), is confirmed, polls again: not_newer, shown in
 *     /api/status; the NVS record is settled;
 *   - 1.2.0 installed but never confirmed: the restart rolls back, the
 *     record blocks 1.2.0, the next poll reports rolled_back_before and
 *     downloads nothing;
 *   - a manifest signed by an untrusted key: nothing installed;
 *   - a manifest signed by the trusted key for an image signed by another
 *     key only: downloaded, refused (untrusted_key), nothing installed;
 *   - an image for a later chip revision: refused at its header;
 *   - a download cut short resumes with Range (nginx answers 206).
 * The test drives the puller (stack_size 0: webota_esp_pull_step) and the
 * virtual clock, so esp_restart jumps back to the stand-in's power-on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "esp_system.h"
#include "idf_host.h"
#include "sim/device.h"
#include "sim/flash_image.h"
#include "sim/image_buf.h"
#include "testutil.h"
#include "webota/image_make.h"
#include "webota/ota_state.h"
#include "webota/parttable.h"
#include "webota_esp.h"

#define FLASH_SIZE 0x400000u

static char s_dir[600], s_url[200], s_digest[65], s_other_digest[65];
static int s_port;
static sim_nor_t *s_nor;
static webota_flash_t s_flash;

typedef struct app {
    webota_esp_config_t cfg;
    webota_esp_pull_config_t pull;
    esp_err_t start_err, pull_err;
} app_t;
static app_t s_app;

static void app_main(void *ctx)
{
    app_t *a = ctx;
    a->start_err = webota_esp_start(&a->cfg);
    a->pull_err = webota_esp_pull_start(&a->pull);
}

static void app_stop(void *ctx)
{
    (void)ctx;
    webota_esp_stop();
}

static void digest_of(const char *name, char out[65])
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' keygen --scheme ecdsa256 -o %s.pem --pub %s.pub.pem", s_dir, WEBOTA_BIN,
             name, name);
    char *o = NULL;
    assert_int_equal(tu_run(cmd, &o), 0);
    const char *h = strstr(o, "eFuse): ");
    assert_non_null(h);
    memcpy(out, h + 8, 64);
    out[64] = '\0';
    free(o);
}

/* Runs a shell command; its output in the failure. */
static void sh(const char *cmd)
{
    char *o = NULL;
    if (tu_run(cmd, &o) != 0) {
        fail_msg("%s\n%s", cmd, o);
    }
    free(o);
}

static void publish(const char *version)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && '%s' image make --chip esp32 --project webota-demo --version %s --size 96K -o %s.bin && "
             "'%s' release publish --key key.pem --dir www/fw %s.bin",
             s_dir, WEBOTA_BIN, version, version, WEBOTA_BIN, version);
    sh(cmd);
}

static int setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof(s_dir), "%s/esp-pull", tu_tmpdir());
    mkdir(s_dir, 0755);
    /* nginx's worker runs as another user when the test runs as root */
    chmod(tu_tmpdir(), 0755);
    digest_of("key", s_digest);
    digest_of("other", s_other_digest);
    /* nginx on a free port (its own config, logs and pid under s_dir) */
    for (int i = 0; i < 20 && s_port == 0; i++) {
        int port = 20000 + (int)((getpid() * 7 + i * 977) % 40000);
        char conf[8192];
        snprintf(conf, sizeof(conf),
                 "pid %s/nginx.pid;\nerror_log %s/error.log;\nevents { worker_connections 64; }\n"
                 "http { access_log %s/access.log; client_body_temp_path %s/tmp; proxy_temp_path %s/tmp;\n"
                 "fastcgi_temp_path %s/tmp; uwsgi_temp_path %s/tmp; scgi_temp_path %s/tmp;\n"
                 "server { listen 127.0.0.1:%d; root %s/www; } }\n",
                 s_dir, s_dir, s_dir, s_dir, s_dir, s_dir, s_dir, s_dir, port, s_dir);
        char path[800];
        snprintf(path, sizeof(path), "%s/nginx.conf", s_dir);
        tu_write_file(path, conf, strlen(conf));
        char cmd[8192];
        snprintf(cmd, sizeof(cmd),
                 "mkdir -p '%s/www/fw' '%s/tmp' && N=$(command -v nginx || echo /usr/sbin/nginx) && "
                 "\"$N\" -p '%s' -e '%s/error.log' -c '%s/nginx.conf' >/dev/null 2>&1",
                 s_dir, s_dir, s_dir, s_dir, s_dir);
        if (tu_run(cmd, NULL) == 0) {
            s_port = port;
        }
    }
    assert_int_not_equal(s_port, 0);
    snprintf(s_url, sizeof(s_url), "http://127.0.0.1:%d/fw/stable.json", s_port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "kill $(cat '%s/nginx.pid') 2>/dev/null", s_dir);
    tu_run(cmd, NULL);
    return 0;
}

static void device_new(const char *digest)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/flash.bin", s_dir);
    unlink(path);
    webota_err_t e = WEBOTA_OK;
    s_nor = sim_nor_open(path, FLASH_SIZE, &e);
    assert_non_null(s_nor);
    webota_parttable_t pt;
    assert_int_equal(webota_pt_builtin("two-ota", &pt), WEBOTA_OK);
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
    o.project = SIM_DEMO_PROJECT;
    o.version = "1.0.0";
    o.size = 96u * 1024u;
    uint8_t *img = NULL;
    size_t len = 0;
    assert_int_equal(sim_image_make_alloc(&o, &img, &len), WEBOTA_OK);
    sim_flash_app_t a = {"factory", img, len};
    assert_int_equal(sim_flash_make(s_nor, &pt, WEBOTA_PT_OFFSET_DEFAULT, &a, 1, NULL, 0), WEBOTA_OK);
    free(img);
    s_flash = sim_nor_flash(s_nor);
    memset(&s_app, 0, sizeof(s_app));
    webota_esp_config_default(&s_app.cfg);
    s_app.cfg.confirm = WEBOTA_ESP_CONFIRM_BY_APP;
    webota_esp_pull_config_default(&s_app.pull);
    s_app.pull.manifest_url = s_url;
    s_app.pull.interval_s = 10;
    s_app.pull.device_id = "esp-host-1";
    s_app.pull.key_scheme[0] = 2; /* ecdsa256 */
    s_app.pull.key_digest[0] = digest;
    s_app.pull.key_count = 1;
    s_app.pull.stack_size = 0; /* the test drives it */
    idf_host_config_t hc = {&s_flash, s_nor, true, 300, app_main, app_stop, &s_app};
    idf_host_init(&hc);
    assert_int_equal(idf_host_power_on(), WEBOTA_OK);
    assert_int_equal(s_app.start_err, ESP_OK);
    assert_int_equal(s_app.pull_err, ESP_OK);
}

static void device_close(void)
{
    idf_host_shutdown();
    assert_true(idf_host_wait_tasks());
    sim_nor_close(s_nor);
    s_nor = NULL;
    /* the next device starts without a record: NVS lives in the process */
}

static void step_fn(void *arg)
{
    *(uint32_t *)arg = webota_esp_pull_step();
}

/* Steps the puller (moving the virtual clock to each due time) until it
 * restarts the device or max steps ran. True when it restarted. */
static bool run_steps(int max)
{
    for (int i = 0; i < max; i++) {
        uint32_t due = 0;
        if (idf_host_run(step_fn, &due)) {
            return true;
        }
        assert_int_not_equal(due, UINT32_MAX);
        if (idf_host_advance_us((uint64_t)due * 1000u + 1000u)) {
            return true;
        }
    }
    return false;
}

static void expect_boot(const char *version, const char *state)
{
    const sim_boot_result_t *b = idf_host_boot_result();
    if (strcmp(b->desc.version, version) != 0 || strcmp(webota_ota_state_name(b->state), state) != 0) {
        fail_msg("booted %s (%s), want %s (%s)\nlog:\n%s", b->desc.version, webota_ota_state_name(b->state), version,
                 state, idf_host_log_text());
    }
}

/* GET /api/status contains want; fails the test when must and it does not. */
static bool status_check(const char *want, bool must)
{
    idf_host_http_req_t req;
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.uri = "/api/status";
    req.headers[0] = "Host: 192.168.4.1";
    idf_host_http_resp_t *resp = calloc(1, sizeof(*resp));
    assert_non_null(resp);
    assert_int_equal(idf_host_http(&req, resp), ESP_OK);
    bool ok = resp->status == 200 && strstr((const char *)resp->body, want) != NULL;
    if (!ok && must) {
        fail_msg("status %d %s, want %s", resp->status, resp->body, want);
    }
    free(resp);
    return ok;
}

static void status_has(const char *want)
{
    status_check(want, true);
}

static void confirm_fn(void *arg)
{
    *(esp_err_t *)arg = webota_esp_confirm();
}

static void restart_fn(void *arg)
{
    (void)arg;
    esp_restart();
}

static void test_install_confirm_then_rollback(void **state)
{
    (void)state;
    publish("1.1.0");
    device_new(s_digest);
    expect_boot("1.0.0", "undefined");
    if (!run_steps(20)) { /* poll, download, activate, restart */
        fail_msg("no restart; log:\n%s", idf_host_log_text());
    }
    expect_boot("1.1.0", "pending_verify");
    assert_false(run_steps(3)); /* unconfirmed: nothing is polled */
    status_has("\"pull\":{\"state\":\"unconfirmed\"");
    esp_err_t e = ESP_FAIL;
    assert_false(idf_host_run(confirm_fn, &e));
    assert_int_equal(e, ESP_OK);
    assert_false(run_steps(3));
    status_has("\"verdict\":\"not_newer\"");
    /* 1.2.0 installed, never confirmed: a reset rolls it back, it is blocked */
    publish("1.2.0");
    if (!run_steps(20)) {
        fail_msg("no restart into 1.2.0 (pull_start %d); log:\n%s", (int)s_app.pull_err, idf_host_log_text());
    }
    expect_boot("1.2.0", "pending_verify");
    assert_true(idf_host_run(restart_fn, NULL));
    expect_boot("1.1.0", "valid");
    status_has("\"verdict\":\"rolled_back_before\"");
    assert_false(run_steps(3));
    status_has("\"verdict\":\"rolled_back_before\"");
    status_has("\"blocked\":1");
    expect_boot("1.1.0", "valid");
    device_close();
}

static void test_untrusted_key(void **state)
{
    (void)state;
    publish("1.3.0");
    device_new(s_other_digest);
    assert_false(run_steps(3));
    status_has("\"verdict\":\"bad_manifest_signature\"");
    expect_boot("1.0.0", "undefined");
    device_close();
}

/* The manifest is signed by the trusted key, the image only by another
 * (published with that key, the manifest signed again with the trusted
 * one): downloaded, refused before activation (untrusted_key), the reason in
 * /api/status, the factory firmware still runs. */
static void test_image_signed_by_untrusted_key(void **state)
{
    (void)state;
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && '%s' image make --chip esp32 --project webota-demo --version 1.4.0 --size 96K -o 1.4.0.bin && "
             "'%s' release publish --key other.pem --dir www/fw 1.4.0.bin && "
             "'%s' release sign --key key.pem www/fw/stable.json",
             s_dir, WEBOTA_BIN, WEBOTA_BIN, WEBOTA_BIN);
    sh(cmd);
    device_new(s_digest);
    assert_false(run_steps(6));
    status_has("\"verdict\":\"untrusted_key\",\"message\":\"image is not signed by a key this device trusts");
    expect_boot("1.0.0", "undefined");
    if (strstr(idf_host_log_text(), "pull: untrusted_key") == NULL) {
        fail_msg("log:\n%s", idf_host_log_text());
    }
    device_close();
}

/* An image that needs a later chip revision than the device's (v3.0 in the
 * stand-in): the ESP port passes esp_chip_info's revision to the puller, the
 * update session refuses the image at its header, as an upload. */
static void test_chip_revision(void **state)
{
    (void)state;
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
    o.project = SIM_DEMO_PROJECT;
    o.version = "1.5.0";
    o.size = 96u * 1024u;
    o.min_rev_full = 400;
    uint8_t *img = NULL;
    size_t len = 0;
    assert_int_equal(sim_image_make_alloc(&o, &img, &len), WEBOTA_OK);
    char path[800];
    snprintf(path, sizeof(path), "%s/1.5.0-rev4.bin", s_dir);
    tu_write_file(path, img, len);
    free(img);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' release publish --key key.pem --dir www/fw 1.5.0-rev4.bin", s_dir,
             WEBOTA_BIN);
    sh(cmd);
    device_new(s_digest);
    assert_false(run_steps(6));
    status_has("\"verdict\":\"chip_rev_too_low\"");
    expect_boot("1.0.0", "undefined");
    device_close();
}

/* A download cut short: nginx serves the image file while only its first
 * part is on disk (a complete 200 answer with fewer bytes than the
 * manifest's size, as a dropped connection leaves it). The puller keeps the
 * session open and asks for the rest with Range once the file is whole:
 * nginx answers 206, the image installs. */
static void test_resume_with_range(void **state)
{
    (void)state;
    publish("1.6.0");
    char path[800];
    snprintf(path, sizeof(path), "%s/www/fw/images/webota-demo-1.6.0.bin", s_dir);
    size_t len = 0;
    uint8_t *whole = tu_read_file(path, &len);
    assert_non_null(whole);
    tu_write_file(path, whole, len / 3);
    device_new(s_digest);
    bool cut = false;
    for (int i = 0; i < 10 && !cut; i++) {
        uint32_t due = 0;
        assert_false(idf_host_run(step_fn, &due));
        cut = status_check("\"resumes\":1", false);
        if (!cut) {
            assert_false(idf_host_advance_us((uint64_t)due * 1000u + 1000u));
        }
    }
    assert_true(cut);
    char want[64];
    snprintf(want, sizeof(want), "\"state\":\"downloading\"");
    status_has(want);
    snprintf(want, sizeof(want), "\"received\":%zu", len / 3);
    status_has(want);
    tu_write_file(path, whole, len);
    free(whole);
    if (!run_steps(20)) {
        fail_msg("no restart after the resumed download; log:\n%s", idf_host_log_text());
    }
    expect_boot("1.6.0", "pending_verify");
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "grep -c '\"GET /fw/images/webota-demo-1.6.0.bin HTTP/1.1\" 206 ' '%s/access.log'", s_dir);
    char *out = NULL;
    assert_int_equal(tu_run(cmd, &out), 0);
    assert_true(atoi(out) >= 1);
    free(out);
    device_close();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install_confirm_then_rollback),
        cmocka_unit_test(test_untrusted_key),
        cmocka_unit_test(test_image_signed_by_untrusted_key),
        cmocka_unit_test(test_chip_revision),
        cmocka_unit_test(test_resume_with_range),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
