/* The ESP-IDF binding (ports/esp-idf/src) on the PC, against the ESP-IDF v5.5
 * stand-in of tests/esp/idf_host: a flash file with ESP-IDF's two-OTA layout
 * and a factory firmware, the simulated bootloader at every power-on, and an
 * application that calls webota_esp_start. The cases of test_sim_http.c run
 * on it through esp_http_server's handler API: the page, every refusal with
 * its status and code (the flash outside the slot being written byte for
 * byte unchanged, otadata included), an upload abandoned mid-way (client
 * gone, or stalled past the receive retries) and retried, partial receives
 * and tolerated timeouts, Expect: 100-continue, the multipart form, a forced
 * image without the updater rolled back by the bootloader, reboot, rollback
 * by hand, each confirm policy (first request, manual, delay, by the
 * application), the URL prefix, the password, the captive portal's redirect
 * and its DNS answer. Reboots happen when the virtual clock reaches the
 * binding's reboot timer, never before. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "idf_host.h"
#include "sim/device.h"
#include "sim/flash_image.h"
#include "sim/image_buf.h"
#include "testutil.h"
#include "webota/api.h"
#include "webota/image_make.h"
#include "webota/ota_state.h"
#include "webota/parttable.h"
#include "webota_esp.h"

#define FLASH_SIZE 0x400000u
#define OTADATA 0xd000u
#define OTADATA_SIZE 0x2000u
#define OTA0 0x110000u
#define OTA1 0x210000u
#define SLOT_SIZE 0x100000u
#define MS 1000u /* virtual clock: microseconds */

/* ---- the device ---- */

typedef struct app {
    webota_esp_config_t cfg; /* what app_main passes to webota_esp_start */
    esp_err_t start_err;
    unsigned starts;
} app_t;

static app_t s_app;
static sim_nor_t *s_nor;
static webota_flash_t s_flash;

static void app_main(void *ctx)
{
    app_t *a = ctx;
    a->starts++;
    a->start_err = webota_esp_start(&a->cfg);
}

static void app_stop(void *ctx)
{
    (void)ctx;
    webota_esp_stop();
}

static uint8_t *make_image(const char *version, bool marker, uint32_t seed, size_t *len)
{
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
    o.project = SIM_DEMO_PROJECT;
    o.version = version;
    o.marker = marker;
    o.seed = seed;
    o.size = 96u * 1024u;
    uint8_t *img = NULL;
    assert_int_equal(sim_image_make_alloc(&o, &img, len), WEBOTA_OK);
    return img;
}

/* A fresh flash file in its own folder (two-ota, factory 1.0.0), the device
 * configured with the menuconfig defaults changed by `tune`, powered on. */
static void device_new(const char *name, bool rollback, void (*tune)(webota_esp_config_t *))
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", tu_tmpdir(), name);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/%s/flash.bin", tu_tmpdir(), name);
    unlink(path);
    webota_err_t e = WEBOTA_OK;
    s_nor = sim_nor_open(path, FLASH_SIZE, &e);
    assert_non_null(s_nor);
    webota_parttable_t pt;
    assert_int_equal(webota_pt_builtin("two-ota", &pt), WEBOTA_OK);
    size_t len;
    uint8_t *factory = make_image("1.0.0", true, 100, &len);
    sim_flash_app_t a = {"factory", factory, len};
    assert_int_equal(sim_flash_make(s_nor, &pt, WEBOTA_PT_OFFSET_DEFAULT, &a, 1, NULL, 0), WEBOTA_OK);
    free(factory);
    s_flash = sim_nor_flash(s_nor);

    memset(&s_app, 0, sizeof(s_app));
    webota_esp_config_default(&s_app.cfg);
    if (tune != NULL) {
        tune(&s_app.cfg);
    }
    idf_host_config_t hc = {&s_flash, s_nor, rollback, 300, app_main, app_stop, &s_app};
    idf_host_init(&hc);
    assert_int_equal(idf_host_power_on(), WEBOTA_OK);
    assert_int_equal(s_app.start_err, ESP_OK);
}

static void device_close(void)
{
    idf_host_shutdown();
    assert_true(idf_host_wait_tasks());
    sim_nor_close(s_nor);
    s_nor = NULL;
}

static const sim_boot_result_t *booted(void)
{
    return idf_host_boot_result();
}

static void expect_boot(const char *label, const char *version, const char *state)
{
    const sim_boot_result_t *b = booted();
    if (strcmp(b->part.label, label) != 0 || strcmp(b->desc.version, version) != 0 ||
        strcmp(webota_ota_state_name(b->state), state) != 0) {
        fail_msg("booted %s %s (%s), want %s %s (%s)\nlog:\n%s", b->part.label, b->desc.version,
                 webota_ota_state_name(b->state), label, version, state, b->log);
    }
}

/* ---- requests ---- */

static idf_host_http_resp_t *s_r; /* the last answer (large) */

typedef struct {
    const char *h[IDF_HOST_HTTP_MAX_HEADERS];
} hdrs_t;

static idf_host_http_resp_t *request(const char *method, const char *uri, hdrs_t h, const void *body, size_t len)
{
    idf_host_http_req_t q;
    memset(&q, 0, sizeof(q));
    q.method = method;
    q.uri = uri;
    memcpy(q.headers, h.h, sizeof(q.headers));
    q.body = body;
    q.body_len = len;
    assert_int_equal(idf_host_http(&q, s_r), ESP_OK);
    return s_r;
}

static idf_host_http_resp_t *get(const char *uri)
{
    return request("GET", uri, (hdrs_t){{"Host: 192.168.4.1"}}, NULL, 0);
}

static idf_host_http_resp_t *post_empty(const char *uri)
{
    return request("POST", uri, (hdrs_t){{"Host: 192.168.4.1", "Content-Length: 0"}}, NULL, 0);
}

/* A raw upload with its plan of receives (q prepared by the caller or zero). */
static idf_host_http_resp_t *upload_with(idf_host_http_req_t *q, const char *uri, const uint8_t *img, size_t len,
                                         size_t content_length)
{
    static char cl[64];
    snprintf(cl, sizeof(cl), "Content-Length: %zu", content_length);
    q->method = "POST";
    q->uri = uri;
    q->headers[0] = "Host: 192.168.4.1";
    q->headers[1] = "Content-Type: application/octet-stream";
    q->headers[2] = cl;
    q->body = img;
    q->body_len = len;
    assert_int_equal(idf_host_http(q, s_r), ESP_OK);
    return s_r;
}

static idf_host_http_resp_t *upload(const uint8_t *img, size_t len)
{
    idf_host_http_req_t q;
    memset(&q, 0, sizeof(q));
    return upload_with(&q, "/api/update", img, len, len);
}

static void expect(const idf_host_http_resp_t *r, int status, const char *needle)
{
    if (r->status != status || (needle != NULL && strstr((const char *)r->body, needle) == NULL)) {
        fail_msg("want %d with %s, got %d (%s): %s\nlog:\n%s", status, needle ? needle : "-", r->status,
                 r->status_line, (const char *)r->body, idf_host_log_text());
    }
}

static void status_expect(const char *needle)
{
    expect(get("/api/status"), 200, needle);
}

static uint8_t *snapshot(void)
{
    uint8_t *p = malloc(FLASH_SIZE);
    assert_non_null(p);
    memcpy(p, sim_nor_data(s_nor), FLASH_SIZE);
    return p;
}

/* Everything outside [slot, slot + size) is as in `before` (otadata too
 * unless otadata_may_drop: opening a slot erases an otadata entry that still
 * points at it, as esp_ota_begin does). */
static void same_outside(const uint8_t *before, uint32_t slot, uint32_t size, bool otadata_may_drop)
{
    const uint8_t *now = sim_nor_data(s_nor);
    for (uint32_t i = 0; i < FLASH_SIZE; i++) {
        if (otadata_may_drop && i >= OTADATA && i < OTADATA + OTADATA_SIZE) {
            continue;
        }
        if ((i < slot || i >= slot + size) && now[i] != before[i]) {
            fail_msg("flash changed at 0x%x (outside 0x%x..0x%x): %02x -> %02x", i, slot, slot + size, before[i],
                     now[i]);
        }
    }
}

/* The reboot the answer announced: nothing before the binding's delay, the
 * device restarts when the clock reaches it. */
static void reboot_after_answer(void)
{
    unsigned restarts = idf_host_restarts();
    uint32_t delay_ms = s_app.cfg.reboot_delay_ms;
    assert_false(idf_host_advance_us((uint64_t)(delay_ms - 1) * MS));
    assert_int_equal(idf_host_restarts(), restarts);
    assert_true(idf_host_advance_us(1 * MS));
    assert_int_equal(idf_host_restarts(), restarts + 1);
}

/* ---- tests ---- */

static void captive_off(webota_esp_config_t *c)
{
    c->captive_portal = false;
}

static void test_updates_and_refusals(void **state)
{
    (void)state;
    device_new("main", true, captive_off);
    expect_boot("factory", "1.0.0", "undefined");
    size_t glen, nlen;
    uint8_t *good = make_image("1.1.0", true, 110, &glen);
    uint8_t *nomark = make_image("1.2.0", false, 120, &nlen);

    /* the page and the status of the factory firmware */
    idf_host_http_resp_t *r = get("/");
    expect(r, 200, NULL);
    assert_string_equal(idf_host_http_header(r, "Content-Encoding"), "gzip");
    assert_int_equal(r->body[0], 0x1f); /* gzip magic */
    assert_false(r->closed);
    status_expect("\"project\":\"webota-demo\",\"version\":\"1.0.0\"");
    status_expect("\"running\":{\"label\":\"factory\"");
    assert_string_equal(idf_host_http_header(s_r, "Cache-Control"), "no-store");
    uint8_t *before = snapshot();

    /* request-level refusals */
    r = request("POST", "/api/update", (hdrs_t){{"Host: 192.168.4.1", "Content-Type: application/octet-stream"}},
                NULL, 0);
    expect(r, 411, "\"error\":\"length_required\"");
    r = request("POST", "/api/update",
                (hdrs_t){{"Host: 192.168.4.1", "Content-Type: text/plain", "Content-Length: 5"}}, "hello", 5);
    expect(r, 415, "\"error\":\"unsupported_media_type\"");
    assert_int_equal(r->body_read, 5); /* the small unwanted body is read, the connection stays */
    assert_false(r->closed);
    r = request("POST", "/update",
                (hdrs_t){{"Host: 192.168.4.1", "Content-Type: multipart/form-data", "Content-Length: 5"}},
                "hello", 5);
    expect(r, 400, "<p>Error <code>bad_multipart</code> (HTTP 400).");
    assert_non_null(strstr(idf_host_http_header(r, "Content-Type"), "text/html"));
    r = request("POST", "/update",
                (hdrs_t){{"Host: 192.168.4.1", "Accept: application/json", "Content-Type: multipart/form-data",
                          "Content-Length: 5"}},
                "hello", 5);
    expect(r, 400, "\"error\":\"bad_multipart\"");
    /* larger than the slot, announced: answered at once, the connection
     * dropped rather than 5 MB read */
    r = request("POST", "/api/update",
                (hdrs_t){{"Host: 192.168.4.1", "Content-Type: application/octet-stream",
                          "Content-Length: 5000000"}},
                NULL, 0);
    expect(r, 413, "\"error\":\"too_large\"");
    assert_true(r->closed);
    assert_string_equal(idf_host_http_header(r, "Connection"), "close");
    r = request("POST", "/api/reboot",
                (hdrs_t){{"Host: 192.168.4.1", "Origin: http://evil.example", "Content-Length: 0"}}, NULL, 0);
    expect(r, 403, "\"error\":\"forbidden\"");
    char cl[64];
    snprintf(cl, sizeof(cl), "Content-Length: %zu", glen);
    r = request("POST", "/api/update",
                (hdrs_t){{"Host: 192.168.4.1", "Origin: http://attacker.test",
                          "Content-Type: application/octet-stream", cl}},
                good, glen);
    expect(r, 403, "\"error\":\"forbidden\"");
    expect(post_empty("/api/confirm"), 409, "\"error\":\"not_pending\"");
    expect(post_empty("/api/rollback"), 409, "\"error\":\"rollback_impossible\"");
    expect(get("/nothing"), 404, "\"error\":\"not_found_route\"");
    /* esp_http_server's parser refuses chunked request bodies before any handler */
    r = request("POST", "/api/update",
                (hdrs_t){{"Host: 192.168.4.1", "Content-Type: application/octet-stream",
                          "Transfer-Encoding: chunked"}},
                good, 100);
    assert_int_equal(r->status, 400);
    assert_true(r->closed);
    assert_int_equal(r->body_read, 0);
    same_outside(before, FLASH_SIZE, 0, false); /* nothing at all changed */

    /* every bad image kind */
    uint8_t *bad = malloc(glen + SLOT_SIZE);
    struct {
        const char *what;
        size_t off;
        uint8_t x;
        size_t len;
        int status;
        const char *code;
    } kinds[] = {
        {"bad magic", 0, 0x01, glen, 422, "bad_magic"},
        {"wrong chip", 12, 0x05, glen, 422, "wrong_chip"},
        {"truncated", 0, 0, glen - 1000, 422, "truncated"},
        {"bad checksum", glen - 33, 0x5a, glen, 422, "bad_checksum"},
        {"too big", 0, 0, glen + SLOT_SIZE, 413, "too_large"},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        memset(bad, 0, glen + SLOT_SIZE);
        memcpy(bad, good, glen);
        bad[kinds[i].off] ^= kinds[i].x;
        r = upload(bad, kinds[i].len);
        if (r->status != kinds[i].status || strstr((const char *)r->body, kinds[i].code) == NULL) {
            fail_msg("%s: want %d %s, got %d %s", kinds[i].what, kinds[i].status, kinds[i].code, r->status,
                     (const char *)r->body);
        }
        same_outside(before, OTA0, SLOT_SIZE, false);
        assert_int_equal(idf_host_ota_open_handles(), 0);
    }
    /* a bad image refused in its first bytes: the answer first, then the
     * rest is read so that the client gets it cleanly */
    memcpy(bad, good, glen);
    bad[12] ^= 0x05;
    r = upload(bad, glen);
    expect(r, 422, "wrong_chip");
    assert_int_equal(r->body_read, glen);
    assert_false(r->closed);
    r = upload(nomark, nlen);
    expect(r, 422, "\"error\":\"no_updater\"");
    status_expect("\"version\":\"1.0.0\"");
    same_outside(before, OTA0, SLOT_SIZE, false);

    /* the client goes away mid-upload: no answer, the connection closes,
     * the session is aborted (nothing switched), the handle released */
    idf_host_http_req_t q;
    memset(&q, 0, sizeof(q));
    q.client_closes = true;
    r = upload_with(&q, "/api/update", good, glen / 2, glen);
    assert_int_equal(r->status, 0);
    assert_true(r->closed);
    assert_int_equal(idf_host_ota_open_handles(), 0);
    status_expect("\"error\":\"aborted\"");
    same_outside(before, OTA0, SLOT_SIZE, false);

    /* a stalled client: the binding tolerates WEBOTA_RECV_RETRIES receive
     * timeouts in a row, then abandons the upload */
    memset(&q, 0, sizeof(q));
    r = upload_with(&q, "/api/update", good, glen / 3, glen);
    assert_int_equal(r->status, 0);
    assert_true(r->closed);
    assert_int_equal(r->timeouts_returned, (unsigned)s_app.cfg.recv_retries + 1);
    assert_int_equal(idf_host_ota_open_handles(), 0);
    status_expect("\"error\":\"aborted\"");
    same_outside(before, OTA0, SLOT_SIZE, false);
    assert_int_equal(idf_host_restarts(), 0);

    /* the retry, in odd pieces with timeouts below the limit and Expect:
     * 100-continue -> ota_0 */
    memset(&q, 0, sizeof(q));
    q.headers[3] = "Expect: 100-continue";
    q.chunk[0] = 1;
    q.chunk[1] = 7;
    q.chunk[2] = 1000;
    q.chunk[3] = 4096;
    q.chunk[4] = 333;
    q.timeout_at[0] = 0;
    q.timeouts[0] = 2;
    q.timeout_at[1] = 5000;
    q.timeouts[1] = (unsigned)s_app.cfg.recv_retries; /* the limit itself is tolerated */
    q.timeout_at[2] = glen - 1;
    q.timeouts[2] = 1;
    r = upload_with(&q, "/api/update", good, glen, glen);
    expect(r, 200, "\"version\":\"1.1.0\",\"slot\":\"ota_0\"");
    assert_non_null(strstr((const char *)r->body, "\"rebooting\":true"));
    assert_non_null(strstr(r->head, "HTTP/1.1 100 Continue\r\n\r\n"));
    assert_true(r->lru_updates > 0);
    /* partial receives: far more calls than buffer-sized ones would take */
    assert_true(r->recv_calls > 3 * (glen / 4096 + 1) + r->timeouts_returned);
    assert_int_equal(r->timeouts_returned, 2 + (unsigned)s_app.cfg.recv_retries + 1);
    assert_int_equal(idf_host_ota_open_handles(), 0);
    /* the answer is out; the reboot follows on the binding's timer */
    expect_boot("factory", "1.0.0", "undefined");
    reboot_after_answer();
    expect_boot("ota_0", "1.1.0", "pending_verify");
    assert_int_equal(s_app.starts, 2);
    /* first-request policy: the first status request confirms */
    status_expect("\"version\":\"1.1.0\"");
    status_expect("\"running\":{\"label\":\"ota_0\",\"offset\":1114112,\"size\":1048576,\"index\":0,"
                  "\"state\":\"valid\"}");

    /* the multipart form (curl -F) -> ota_1 */
    size_t n3;
    uint8_t *v13 = make_image("1.3.0", true, 130, &n3);
    static const char pre[] = "--XyZ\r\nContent-Disposition: form-data; name=\"firmware\"; filename=\"f.bin\"\r\n"
                              "Content-Type: application/octet-stream\r\n\r\n";
    static const char post[] = "\r\n--XyZ--\r\n";
    size_t flen = sizeof(pre) - 1 + n3 + sizeof(post) - 1;
    uint8_t *form = malloc(flen);
    memcpy(form, pre, sizeof(pre) - 1);
    memcpy(form + sizeof(pre) - 1, v13, n3);
    memcpy(form + sizeof(pre) - 1 + n3, post, sizeof(post) - 1);
    snprintf(cl, sizeof(cl), "Content-Length: %zu", flen);
    r = request("POST", "/update",
                (hdrs_t){{"Host: 192.168.4.1", "Accept: application/json",
                          "Content-Type: multipart/form-data; boundary=XyZ", cl}},
                form, flen);
    expect(r, 200, "\"version\":\"1.3.0\",\"slot\":\"ota_1\"");
    reboot_after_answer();
    expect_boot("ota_1", "1.3.0", "pending_verify");
    status_expect("\"running\":{\"label\":\"ota_1\"");
    status_expect("\"state\":\"valid\"}");

    /* the image without the updater, forced: it boots, serves nothing; the
     * watchdog resets it and the bootloader goes back to 1.3.0 */
    memset(&q, 0, sizeof(q));
    r = upload_with(&q, "/api/update?force=1", nomark, nlen, nlen);
    expect(r, 200, "\"version\":\"1.2.0\",\"slot\":\"ota_0\"");
    unsigned starts = s_app.starts;
    reboot_after_answer();
    expect_boot("ota_0", "1.2.0", "pending_verify");
    assert_false(booted()->marker);
    assert_int_equal(s_app.starts, starts); /* no updater: the application does not start webota */
    assert_int_equal(idf_host_http(&q, s_r), ESP_ERR_INVALID_STATE); /* nothing listens */
    assert_int_equal(idf_host_power_on(), WEBOTA_OK);               /* the watchdog */
    expect_boot("ota_1", "1.3.0", "valid");
    status_expect("\"version\":\"1.3.0\"");

    /* reboot on request: the same firmware comes back */
    expect(post_empty("/api/reboot"), 200, "\"rebooting\":true");
    reboot_after_answer();
    expect_boot("ota_1", "1.3.0", "valid");

    /* an upload that stalls now: opening ota_0 erases the otadata entry that
     * still points at it (esp_ota_begin with rollback: a half-written slot
     * must never be a way back); the running slot's entry stays byte for byte */
    uint8_t *pre_stall = snapshot();
    memset(&q, 0, sizeof(q));
    r = upload_with(&q, "/api/update", good, glen / 3, glen);
    assert_int_equal(r->status, 0);
    assert_true(r->closed);
    status_expect("\"error\":\"aborted\"");
    same_outside(pre_stall, OTA0, SLOT_SIZE, true);
    const uint8_t *now = sim_nor_data(s_nor);
    size_t kept = 0, erased = 0;
    for (uint32_t sec = OTADATA; sec < OTADATA + OTADATA_SIZE; sec += 0x1000) {
        kept += memcmp(now + sec, pre_stall + sec, 32) == 0 && pre_stall[sec] != 0xff;
        erased += now[sec] == 0xff && pre_stall[sec] != 0xff;
    }
    assert_int_equal(kept, 1);
    assert_int_equal(erased, 1);
    status_expect("\"running\":{\"label\":\"ota_1\",\"offset\":2162688,\"size\":1048576,\"index\":1,"
                  "\"state\":\"valid\"}");
    free(pre_stall);

    /* roll back by hand: ota_0 holds the aborted 1.2.0, so (as
     * esp_ota_check_rollback_is_possible) the valid factory app is the way back */
    status_expect("\"rollback_possible\":true");
    expect(post_empty("/api/rollback"), 200, "\"state\":\"invalid\",\"rebooting\":true");
    reboot_after_answer();
    expect_boot("factory", "1.0.0", "undefined");
    status_expect("\"rollback_possible\":false");
    expect(post_empty("/api/rollback"), 409, "\"error\":\"rollback_impossible\"");

    device_close();
    free(form);
    free(v13);
    free(bad);
    free(good);
    free(nomark);
    free(before);
}

static void manual(webota_esp_config_t *c)
{
    c->confirm = WEBOTA_ESP_CONFIRM_MANUAL;
}

static void delay2(webota_esp_config_t *c)
{
    c->confirm = WEBOTA_ESP_CONFIRM_DELAY;
    c->confirm_delay_s = 2;
}

static void by_app(webota_esp_config_t *c)
{
    c->confirm = WEBOTA_ESP_CONFIRM_BY_APP;
}

static void confirm_now(void *arg)
{
    *(esp_err_t *)arg = webota_esp_confirm();
}

static const char *PENDING0 = "\"running\":{\"label\":\"ota_0\",\"offset\":1114112,\"size\":1048576,\"index\":0,"
                              "\"state\":\"pending_verify\"}";

/* Manual: requests do not confirm, updates are refused while pending, a
 * reboot rolls back; POST /api/confirm makes it valid. */
static void test_confirm_manual(void **state)
{
    (void)state;
    device_new("manual", true, manual);
    size_t glen;
    uint8_t *good = make_image("1.1.0", true, 110, &glen);
    expect(upload(good, glen), 200, "\"slot\":\"ota_0\"");
    reboot_after_answer();
    expect_boot("ota_0", "1.1.0", "pending_verify");
    expect(get("/"), 200, NULL);
    status_expect(PENDING0);
    status_expect(PENDING0);
    uint8_t *before = snapshot();
    expect(upload(good, glen), 409, "\"error\":\"pending_verify\"");
    same_outside(before, FLASH_SIZE, 0, false);
    expect(post_empty("/api/reboot"), 200, "\"rebooting\":true");
    reboot_after_answer();
    expect_boot("factory", "1.0.0", "undefined"); /* pending_verify -> aborted */
    assert_non_null(strstr(booted()->log, "aborted"));

    expect(upload(good, glen), 200, "\"slot\":\"ota_0\"");
    reboot_after_answer();
    expect_boot("ota_0", "1.1.0", "pending_verify");
    assert_true(webota_esp_pending_verify());
    expect(post_empty("/api/confirm"), 200, "\"state\":\"valid\"");
    assert_false(webota_esp_pending_verify());
    expect(post_empty("/api/reboot"), 200, "\"rebooting\":true");
    reboot_after_answer();
    expect_boot("ota_0", "1.1.0", "valid");
    device_close();
    free(good);
    free(before);
}

/* Resumable uploads through the binding: the id from the hardware RNG seam,
 * a client gone mid-upload is held (not aborted), other uploads get 409 with
 * the hold time, a wrong offset 416; the rest with Upload-Offset installs the
 * image's bytes. Then a held upload ends when the hold time has passed on
 * the clock, with no request in between (the binding's timer): flash outside
 * the slot untouched, the updater free. */
static void test_resume(void **state)
{
    (void)state;
    device_new("resume", true, captive_off);
    size_t glen, len2;
    uint8_t *good = make_image("1.1.0", true, 110, &glen);
    uint8_t *v12 = make_image("1.2.0", true, 120, &len2);
    idf_host_http_resp_t *r = post_empty("/api/update/session");
    expect(r, 200, "\"hold_s\":60");
    const char *id = idf_host_http_header(r, "Upload-Id");
    assert_non_null(id);
    assert_int_equal(strlen(id), 32);
    char uri[96], off[48];
    snprintf(uri, sizeof(uri), "/api/update?id=%s", id);
    idf_host_http_req_t q;
    memset(&q, 0, sizeof(q));
    q.client_closes = true;
    r = upload_with(&q, uri, good, glen / 2, glen);
    assert_int_equal(r->status, 0);
    snprintf(off, sizeof(off), "\"offset\":%zu,", glen / 2);
    expect(get(uri), 200, "\"state\":\"held\"");
    expect(get(uri), 200, off);
    expect(upload(good, glen), 409, "held for its client for 60 s more");
    memset(&q, 0, sizeof(q));
    q.headers[3] = "Upload-Offset: 1";
    expect(upload_with(&q, uri, good + 1, glen - 1, glen - 1), 416, "\"error\":\"bad_offset\"");
    memset(&q, 0, sizeof(q));
    snprintf(off, sizeof(off), "Upload-Offset: %zu", glen / 2);
    q.headers[3] = off;
    expect(upload_with(&q, uri, good + glen / 2, glen - glen / 2, glen - glen / 2), 200,
           "\"slot\":\"ota_0\"");
    reboot_after_answer();
    expect_boot("ota_0", "1.1.0", "pending_verify");
    assert_memory_equal(sim_nor_data(s_nor) + OTA0, good, glen);
    status_expect("\"version\":\"1.1.0\""); /* first request: confirmed */

    /* held, then the hold time passes: the session ends, nothing switched */
    uint8_t *before = snapshot();
    r = post_empty("/api/update/session");
    expect(r, 200, "\"id\"");
    snprintf(uri, sizeof(uri), "/api/update?id=%s", idf_host_http_header(r, "Upload-Id"));
    memset(&q, 0, sizeof(q));
    q.client_closes = true;
    r = upload_with(&q, uri, v12, len2 / 3, len2);
    assert_int_equal(r->status, 0);
    expect(get(uri), 200, "\"state\":\"held\"");
    /* no request from here: the binding's api timer ends the hold at 60 s,
     * not a microsecond before (the OTA handle is closed then) */
    assert_int_equal(idf_host_ota_open_handles(), 1);
    assert_false(idf_host_advance_us(60000u * MS - 1));
    assert_int_equal(idf_host_ota_open_handles(), 1);
    assert_false(idf_host_advance_us(1));
    assert_int_equal(idf_host_ota_open_handles(), 0);
    status_expect("\"held\":false");
    expect(get(uri), 404, "\"error\":\"upload_not_found\"");
    status_expect("\"error\":\"aborted\"");
    same_outside(before, OTA0 + SLOT_SIZE, SLOT_SIZE, false);
    device_close();
    free(good);
    free(v12);
    free(before);
}

/* Delay: the binding confirms by itself when the delay has passed on the
 * clock, not a microsecond before. */
static void test_confirm_delay(void **state)
{
    (void)state;
    device_new("delay", true, delay2);
    size_t glen;
    uint8_t *good = make_image("1.1.0", true, 110, &glen);
    expect(upload(good, glen), 200, "\"slot\":\"ota_0\"");
    reboot_after_answer();
    expect_boot("ota_0", "1.1.0", "pending_verify");
    status_expect(PENDING0);
    assert_false(idf_host_advance_us(2000u * MS - 1));
    status_expect(PENDING0);
    assert_false(idf_host_advance_us(1));
    status_expect("\"state\":\"valid\"}");
    assert_int_equal(idf_host_power_on(), WEBOTA_OK);
    expect_boot("ota_0", "1.1.0", "valid");
    device_close();
    free(good);
}

/* By the application: only webota_esp_confirm() confirms. */
static void test_confirm_by_app(void **state)
{
    (void)state;
    device_new("byapp", true, by_app);
    size_t glen;
    uint8_t *good = make_image("1.1.0", true, 110, &glen);
    esp_err_t e = ESP_FAIL;
    assert_false(idf_host_run(confirm_now, &e));
    assert_int_equal(e, ESP_ERR_INVALID_STATE); /* factory: nothing to confirm */
    expect(upload(good, glen), 200, "\"slot\":\"ota_0\"");
    reboot_after_answer();
    expect_boot("ota_0", "1.1.0", "pending_verify");
    expect(get("/"), 200, NULL);
    status_expect(PENDING0);
    assert_false(idf_host_advance_us(3600u * 1000u * MS));
    status_expect(PENDING0);
    assert_false(idf_host_run(confirm_now, &e));
    assert_int_equal(e, ESP_OK);
    status_expect("\"state\":\"valid\"}");
    device_close();
    free(good);
}

/* Without rollback in the bootloader: the new firmware boots as written (no
 * otadata state), a PENDING_VERIFY check never applies, a confirm makes the
 * entry VALID. */
static void test_no_rollback(void **state)
{
    (void)state;
    device_new("norollback", false, NULL);
    size_t glen;
    uint8_t *good = make_image("1.1.0", true, 110, &glen);
    expect(upload(good, glen), 200, "\"slot\":\"ota_0\"");
    reboot_after_answer();
    expect_boot("ota_0", "1.1.0", "undefined");
    expect(upload(good, glen), 200, "\"slot\":\"ota_1\"");
    reboot_after_answer();
    expect_boot("ota_1", "1.1.0", "undefined");
    /* a confirm writes VALID into the entry, as esp_ota_mark_app_valid_cancel_rollback
     * and the NOR-flash slot writer do */
    expect(post_empty("/api/confirm"), 200, "\"state\":\"valid\"");
    assert_int_equal(idf_host_power_on(), WEBOTA_OK);
    expect_boot("ota_1", "1.1.0", "valid");
    device_close();
    free(good);
}

static char verifier_text[WEBOTA_AUTH_VERIFIER_MAX];

/* The device keeps the verifier of "s3cret" (as `webota passwd` makes it). */
static void prefix_password(webota_esp_config_t *c)
{
    c->url_prefix = "/ota";
    uint8_t salt[WEBOTA_AUTH_SALT_LEN] = {9, 8, 7};
    webota_auth_verifier_t v;
    assert_int_equal(webota_auth_verifier_make("s3cret", 6, salt, 1000, &v), WEBOTA_OK);
    assert_int_equal(webota_auth_verifier_format(&v, verifier_text, sizeof(verifier_text)), WEBOTA_OK);
    c->auth_verifier = verifier_text;
}

/* A client's login answer for METHOD path (as the API sees it, without the
 * prefix): challenge from /ota/api/auth, key from "s3cret" and the salt. */
static void login(const char *method, const char *path, char *out, size_t cap)
{
    idf_host_http_resp_t *r = get("/ota/api/auth");
    expect(r, 200, "\"required\":true");
    const char *body = (const char *)r->body;
    char nonce[33], salt_hex[33];
    const char *n = strstr(body, "\"nonce\":\"");
    const char *sl = strstr(body, "\"salt\":\"");
    assert_non_null(n);
    assert_non_null(sl);
    memcpy(nonce, n + 9, 32);
    nonce[32] = 0;
    memcpy(salt_hex, sl + 8, 32);
    salt_hex[32] = 0;
    uint8_t salt[WEBOTA_AUTH_SALT_LEN];
    for (int i = 0; i < WEBOTA_AUTH_SALT_LEN; i++) {
        unsigned b;
        assert_int_equal(sscanf(salt_hex + 2 * i, "%2x", &b), 1);
        salt[i] = (uint8_t)b;
    }
    webota_auth_verifier_t k;
    assert_int_equal(webota_auth_verifier_make("s3cret", 6, salt, 1000, &k), WEBOTA_OK);
    char mac[65];
    assert_int_equal(webota_auth_mac(k.key, nonce, method, path, NULL, mac), WEBOTA_OK);
    snprintf(out, cap, "Authorization: WebOTA-HMAC nonce=\"%s\", mac=\"%s\"", nonce, mac);
}

/* URL prefix, password and the captive portal (redirects, DNS answer). */
static void test_prefix_password_captive(void **state)
{
    (void)state;
    device_new("prefix", true, prefix_password);
    idf_host_http_resp_t *r = get("/ota");
    expect(r, 301, NULL);
    assert_string_equal(idf_host_http_header(r, "Location"), "/ota/");
    r = get("/ota/api/status");
    expect(r, 401, NULL);
    assert_string_equal(idf_host_http_header(r, "WWW-Authenticate"),
                        "WebOTA-HMAC realm=\"webota\", challenge=\"api/auth\"");
    /* HTTP Basic (the password in clear) is not accepted any more */
    r = request("GET", "/ota/api/status", (hdrs_t){{"Host: 192.168.4.1", "Authorization: Basic dXNlcjpzM2NyZXQ="}},
                NULL, 0);
    expect(r, 401, NULL);
    char authz[200];
    login("GET", "/api/status", authz, sizeof(authz));
    r = request("GET", "/ota/api/status", (hdrs_t){{"Host: 192.168.4.1", authz}}, NULL, 0);
    expect(r, 200, "\"version\":\"1.0.0\"");
    assert_string_equal(idf_host_http_header(r, "X-Frame-Options"), "DENY");
    assert_non_null(strstr(idf_host_http_header(r, "Content-Security-Policy"), "frame-ancestors 'none'"));
    /* replayed: its nonce is used up */
    r = request("GET", "/ota/api/status", (hdrs_t){{"Host: 192.168.4.1", authz}}, NULL, 0);
    expect(r, 401, "stale_nonce");
    /* DNS rebinding: a POST for a foreign host is refused (421); a GET for
     * one is a phone's probe: the captive portal sends it to the page */
    login("POST", "/api/reboot", authz, sizeof(authz));
    r = request("POST", "/ota/api/reboot",
                (hdrs_t){{"Host: evil.example", "Origin: http://evil.example", "Content-Length: 0", authz}}, NULL, 0);
    expect(r, 421, "wrong_host");
    r = request("GET", "/ota/api/status", (hdrs_t){{"Host: evil.example"}}, NULL, 0);
    expect(r, 302, NULL);
    assert_string_equal(idf_host_http_header(r, "Location"), "http://192.168.4.1/ota/");
    r = get("/ota/");
    expect(r, 200, NULL);
    assert_non_null(strstr(idf_host_http_header(r, "Content-Security-Policy"), "script-src 'sha256-"));
    /* outside the prefix, and a phone's connectivity probe: to the page */
    r = get("/otafoo");
    expect(r, 302, NULL);
    assert_string_equal(idf_host_http_header(r, "Location"), "http://192.168.4.1/ota/");
    r = get("/generate_204");
    expect(r, 302, NULL);
    assert_string_equal(idf_host_http_header(r, "Location"), "http://192.168.4.1/ota/");
    /* a POST outside: esp_http_server's 404 */
    r = post_empty("/elsewhere");
    expect(r, 404, NULL);

    /* the DNS responder answers every A question with the AP address */
    uint16_t port = idf_host_udp_port();
    assert_true(port > 0);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static const uint8_t query[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p',
                                    'l',  'e',  3,    'c',  'o', 'm', 0, 0, 1, 0, 1};
    assert_int_equal(sendto(s, query, sizeof(query), 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)sizeof(query));
    struct pollfd p = {s, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 10000), 1);
    uint8_t ans[512];
    ssize_t n = recv(s, ans, sizeof(ans), 0);
    close(s);
    assert_true(n >= (ssize_t)sizeof(query) + 16);
    assert_int_equal(ans[0], 0x12);
    assert_int_equal(ans[1], 0x34);
    assert_true((ans[2] & 0x80) != 0); /* a response */
    assert_int_equal(ans[7], 1);       /* one answer */
    static const uint8_t ap[4] = {192, 168, 4, 1};
    assert_memory_equal(ans + n - 4, ap, 4);
    device_close();
    assert_int_equal(idf_host_tasks_running(), 0);
}

static int setup(void **state)
{
    (void)state;
    s_r = malloc(sizeof(*s_r));
    return s_r == NULL;
}

static int teardown(void **state)
{
    (void)state;
    if (s_nor != NULL) {
        idf_host_shutdown();
        idf_host_wait_tasks();
        sim_nor_close(s_nor);
        s_nor = NULL;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    free(s_r);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_updates_and_refusals, teardown),
        cmocka_unit_test_teardown(test_confirm_manual, teardown),
        cmocka_unit_test_teardown(test_resume, teardown),
        cmocka_unit_test_teardown(test_confirm_delay, teardown),
        cmocka_unit_test_teardown(test_confirm_by_app, teardown),
        cmocka_unit_test_teardown(test_no_rollback, teardown),
        cmocka_unit_test_teardown(test_prefix_password_captive, teardown),
    };
    return cmocka_run_group_tests(tests, setup, group_teardown);
}
