/* The transport-free HTTP API over a real slot writer (slot_flash) on a RAM
 * NOR flash holding the two-ota layout and a factory firmware: every route and
 * every status code path, and the flash left untouched by every failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "sim/bootloader.h"
#include "sim/flash_image.h"
#include "sim/nor_flash.h"
#include "sim/power_on.h"
#include "webota/api.h"
#include "webota/image_make.h"
#include "webota/slot_flash.h"

#define FLASH_SIZE 0x400000u

typedef struct {
    sim_nor_t *nor;
    webota_flash_t flash;
    sim_running_t run; /* boot result, slot writer, seam, rules */
    webota_api_t api;
    int reboots;
    int requests[8];
    char *pw;
    const char *project; /* policy: the project this device runs (NULL = any) */
} dev_t_;

static const unsigned char page[] = {0x1f, 0x8b, 8, 0, 'p', 'a', 'g', 'e'};

static webota_err_t sink(void *ctx, const void *d, size_t n)
{
    uint8_t **p = ctx;
    memcpy(*p, d, n);
    *p += n;
    return WEBOTA_OK;
}

static uint8_t *make_image_of(const char *project, const char *version, bool marker,
                              uint32_t seed, size_t *len)
{
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32);
    o.project = project;
    o.version = version;
    o.marker = marker;
    o.seed = seed;
    o.size = 40000;
    *len = webota_image_make_length(&o);
    uint8_t *buf = malloc(*len);
    uint8_t *p = buf;
    assert_int_equal(webota_image_make(&o, sink, &p), WEBOTA_OK);
    assert_int_equal((size_t)(p - buf), *len);
    return buf;
}

static uint8_t *make_image(const char *version, bool marker, uint32_t seed, size_t *len)
{
    return make_image_of("webota-demo", version, marker, seed, len);
}

static void on_reboot(void *ctx)
{
    ((dev_t_ *)ctx)->reboots++;
}

static void on_request(void *ctx, webota_api_route_t route)
{
    ((dev_t_ *)ctx)->requests[route]++;
}

/* Boots the flash as the bootloader would and (re)opens slot writer and api. */
static void boot(dev_t_ *d)
{
    sim_boot_config_t bc;
    sim_boot_config_init(&bc);
    bc.rollback = true;
    assert_int_equal(sim_power_on(&d->flash, &bc, &d->run, NULL), WEBOTA_OK);
    webota_api_config_t ac;
    webota_api_config_init(&ac, &d->run.rules);
    ac.policy.chip = WEBOTA_CHIP_ESP32;
    ac.policy.project = d->project;
    ac.chip = "esp32";
    ac.chip_rev = 300;
    ac.password = d->pw;
    ac.page_gz = page;
    ac.page_gz_len = sizeof(page);
    ac.request_reboot = on_reboot;
    ac.on_request = on_request;
    ac.ctx = d;
    assert_int_equal(webota_api_init(&d->api, &ac), WEBOTA_OK);
}

static int setup(void **state)
{
    dev_t_ *d = calloc(1, sizeof(*d));
    d->nor = sim_nor_new_ram(FLASH_SIZE);
    d->flash = sim_nor_flash(d->nor);
    webota_parttable_t pt;
    assert_int_equal(webota_pt_builtin("two-ota", &pt), WEBOTA_OK);
    size_t len;
    uint8_t *fw = make_image("1.0.0", true, 1, &len);
    sim_flash_app_t app = {"factory", fw, len};
    assert_int_equal(sim_flash_make(d->nor, &pt, 0x8000, &app, 1, NULL, 0), WEBOTA_OK);
    free(fw);
    boot(d);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    dev_t_ *d = *state;
    sim_nor_close(d->nor);
    free(d);
    return 0;
}

/* ---- request helpers ---- */

typedef struct {
    int status;
    char body[WEBOTA_API_BODY_MAX + 1];
    webota_api_response_t resp;
} answer_t;

static webota_api_request_t req_of(const char *method, const char *path)
{
    webota_api_request_t r;
    memset(&r, 0, sizeof(r));
    r.method = method;
    r.path = path;
    r.content_length = -1;
    r.host = "192.168.4.1";
    return r;
}

static void keep(answer_t *a, const webota_api_response_t *resp)
{
    a->resp = *resp;
    a->status = resp->status;
    size_t n = resp->body_len < WEBOTA_API_BODY_MAX ? resp->body_len : WEBOTA_API_BODY_MAX;
    memcpy(a->body, resp->body, n);
    a->body[n] = '\0';
}

/* A whole request; the body is fed in `step`-byte chunks. */
static void call(dev_t_ *d, const webota_api_request_t *req, const void *body, size_t len,
                 size_t step, answer_t *a)
{
    webota_api_conn_t conn;
    webota_api_response_t resp;
    memset(a, 0, sizeof(*a));
    if (webota_api_begin(&d->api, &conn, req, &resp) == WEBOTA_API_RESPOND) {
        keep(a, &resp);
        return;
    }
    const uint8_t *p = body;
    if (step == 0) {
        step = len ? len : 1;
    }
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        if (!webota_api_body(&d->api, &conn, p + off, n)) {
            break;
        }
    }
    webota_api_end(&d->api, &conn, &resp);
    keep(a, &resp);
}

static void post_raw(dev_t_ *d, const char *query, const void *img, size_t len, answer_t *a)
{
    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    r.query = query;
    call(d, &r, img, len, 1000, a);
}

static void expect_error(const answer_t *a, int status, const char *code)
{
    char want[120];
    snprintf(want, sizeof(want), "{\"error\":\"%s\",\"message\":\"", code);
    if (a->status != status || strncmp(a->body, want, strlen(want)) != 0) {
        fail_msg("want %d %s, got %d %s", status, code, a->status, a->body);
    }
    assert_string_equal(a->resp.content_type, "application/json");
    assert_string_equal(a->resp.cache_control, "no-store");
}

/* The error page of POST /update for a browser without JavaScript: a whole,
 * small HTML document naming the code and status, with a relative link back. */
static void expect_html_error(const answer_t *a, int status, const char *code)
{
    char want[160];
    snprintf(want, sizeof(want), "<p>Error <code>%s</code> (HTTP %d).", code, status);
    if (a->status != status || strstr(a->body, want) == NULL) {
        fail_msg("want an HTML page for %d %s, got %d %s", status, code, a->status, a->body);
    }
    assert_string_equal(a->resp.content_type, "text/html; charset=utf-8");
    assert_string_equal(a->resp.cache_control, "no-store");
    assert_int_equal(a->resp.body_len, strlen(a->body));
    assert_true(a->resp.body_len < WEBOTA_API_BODY_MAX);
    assert_int_equal(strncmp(a->body, "<!doctype html><html>", 21), 0);
    const char *title = status >= 500 ? "<h1>Update failed</h1><p>" : "<h1>Update refused</h1><p>";
    const char *h1 = strstr(a->body, title);
    assert_non_null(h1);
    /* the human message follows the title and is not empty */
    assert_true(h1[strlen(title)] != '<');
    assert_non_null(strstr(a->body, "<a href=\"./\">Back to the updater</a>"));
    assert_null(strstr(a->body, "\"/\""));
    size_t n = strlen(a->body);
    assert_true(n > 14 && strcmp(a->body + n - 14, "</body></html>") == 0);
}

/* The otadata sectors and the factory app: what no failure may change. */
static uint8_t *snapshot(dev_t_ *d)
{
    uint8_t *s = malloc(0x2000 + 0x100000);
    memcpy(s, sim_nor_data(d->nor) + 0xd000, 0x2000);
    memcpy(s + 0x2000, sim_nor_data(d->nor) + 0x10000, 0x100000);
    return s;
}

static void assert_unchanged(dev_t_ *d, uint8_t *before)
{
    uint8_t *now = snapshot(d);
    assert_memory_equal(before, now, 0x2000 + 0x100000);
    free(now);
    free(before);
}

static void status_has(dev_t_ *d, const char *needle)
{
    answer_t a;
    webota_api_request_t r = req_of("GET", "/api/status");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    if (strstr(a.body, needle) == NULL) {
        fail_msg("status lacks %s: %s", needle, a.body);
    }
}

/* ---- tests ---- */

/* GET /api/status never hashes an image: the rollback target's verdict is
 * taken at power-on and kept until a slot is written. */
static void test_status_reads_no_image(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    answer_t a;
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 200);
    boot(d); /* ota_0, pending; the factory app is the rollback target */
    for (int i = 0; i < 3; i++) {
        sim_nor_reset_stats(d->nor);
        status_has(d, "\"rollback_possible\":true");
        assert_true(sim_nor_stats(d->nor).bytes_read < 1024); /* otadata and a descriptor */
    }
    free(img);
}


static void test_page_status_routes(void **state)
{
    dev_t_ *d = *state;
    answer_t a;
    webota_api_request_t r = req_of("GET", "/");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.resp.content_encoding, "gzip");
    assert_int_equal(a.resp.body_len, sizeof(page));
    assert_ptr_equal(a.resp.body, page);
    assert_int_equal(d->requests[WEBOTA_API_ROUTE_PAGE], 1);

    r = req_of("GET", "/api/status");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.resp.content_type, "application/json");
    assert_string_equal(
        a.body,
        "{\"chip\":\"esp32\",\"chip_rev\":300,\"project\":\"webota-demo\",\"version\":\"1.0.0\","
        "\"idf_ver\":\"v5.5\",\"secure_version\":0,\"security_version\":null,\"running\":{\"label\":\"factory\",\"offset\":65536,"
        "\"size\":1048576,\"index\":-1,\"state\":\"undefined\"},\"next\":{\"label\":\"ota_0\","
        "\"offset\":1114112,\"size\":1048576,\"index\":0},\"rollback_possible\":false,"
        "\"require_marker\":true,\"signed_only\":false,\"trusted_keys\":[],\"gzip\":false,"
        "\"update\":{\"state\":\"idle\",\"received\":0,\"total\":0,\"held\":false},\"rebooting\":false}");
    assert_int_equal(d->requests[WEBOTA_API_ROUTE_STATUS], 1);

    r = req_of("GET", "/nope");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 404, "not_found_route");
    r = req_of("POST", "/api/status");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 405, "method_not_allowed");
    assert_string_equal(a.resp.allow, "GET");
    r = req_of("GET", "/api/update");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 405, "method_not_allowed");
    assert_string_equal(a.resp.allow, "POST");
    r = req_of(NULL, "/");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 400, "bad_request");

    /* no page configured */
    d->api.cfg.page_gz = NULL;
    r = req_of("GET", "/index.html");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 404, "not_found_route");
}

static void test_password(void **state)
{
    dev_t_ *d = *state;
    d->pw = "s3cret";
    boot(d);
    answer_t a;
    webota_api_request_t r = req_of("GET", "/api/status");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 401, "unauthorized");
    assert_non_null(a.resp.www_authenticate);
    static const char *bad[] = {"Basic dXNlcjp3cm9uZw==" /* user:wrong */, "Bearer s3cret",
                                "Basic ####", "Basic dXNlcnMzY3JldA==" /* users3cret */,
                                "Basic dXNlcjpzM2NyZXQx" /* user:s3cret1 */,
                                "Basic dXNlcjpzM2NyZQ==" /* user:s3cre */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r.authorization = bad[i];
        call(d, &r, NULL, 0, 0, &a);
        expect_error(&a, 401, "unauthorized");
    }
    assert_int_equal(d->requests[WEBOTA_API_ROUTE_STATUS], 0); /* refused before the hook */
    r.authorization = "Basic dXNlcjpzM2NyZXQ="; /* user:s3cret */
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    r.authorization = "basic OnMzY3JldA=="; /* :s3cret */
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
}

static void test_cross_origin(void **state)
{
    dev_t_ *d = *state;
    answer_t a;
    uint8_t *before = snapshot(d);
    static const char *bad[] = {"http://evil.example", "null", "http://192.168.4.1.evil",
                                "ftp://192.168.4.1", "http://192.168.4.1:81"};
    static const char *paths[] = {"/api/update", "/update", "/api/confirm", "/api/rollback",
                                  "/api/reboot"};
    for (size_t p = 0; p < 5; p++) {
        for (size_t i = 0; i < 5; i++) {
            webota_api_request_t r = req_of("POST", paths[p]);
            r.origin = bad[i];
            r.content_length = 0;
            call(d, &r, NULL, 0, 0, &a);
            if (p == 1) {
                expect_html_error(&a, 403, "forbidden"); /* the no-JavaScript form's answer */
            } else {
                expect_error(&a, 403, "forbidden");
            }
        }
    }
    webota_api_request_t r = req_of("POST", "/api/reboot");
    r.origin = "http://192.168.4.1";
    r.host = NULL;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 403, "forbidden");
    assert_int_equal(d->reboots, 0);
    /* a GET from anywhere is fine (it changes nothing) */
    r = req_of("GET", "/api/status");
    r.origin = "http://evil.example";
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    /* same origin passes */
    r = req_of("POST", "/api/reboot");
    r.origin = "HTTP://192.168.4.1/";
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{\"ok\":true,\"rebooting\":true}");
    assert_true(a.resp.reboot);
    assert_int_equal(d->reboots, 1);
    assert_unchanged(d, before);
}

static void test_update_ok_then_busy_then_boot(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    answer_t a;
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 200);
    char want[200];
    snprintf(want, sizeof(want),
             "{\"ok\":true,\"project\":\"webota-demo\",\"version\":\"1.1.0\",\"slot\":\"ota_0\","
             "\"size\":%zu,\"rebooting\":true}",
             len);
    assert_string_equal(a.body, want);
    assert_int_equal(d->reboots, 1);
    assert_true(a.resp.reboot);
    status_has(d, "\"update\":{\"state\":\"done\"");
    status_has(d, "\"rebooting\":true");
    /* nothing more until the reboot */
    post_raw(d, NULL, img, len, &a);
    expect_error(&a, 409, "busy");
    webota_api_request_t r = req_of("POST", "/api/rollback");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 409, "busy");

    boot(d);
    status_has(d, "\"version\":\"1.1.0\",");
    status_has(d, "\"running\":{\"label\":\"ota_0\",\"offset\":1114112,\"size\":1048576,\"index\":0,"
                  "\"state\":\"pending_verify\"}");
    status_has(d, "\"rollback_possible\":true");
    /* pending: a new update is refused until confirmed */
    uint8_t *img2 = make_image("1.2.0", true, 3, &len);
    post_raw(d, NULL, img2, len, &a);
    expect_error(&a, 409, "pending_verify");
    r = req_of("POST", "/api/confirm");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{\"ok\":true,\"state\":\"valid\",\"rebooting\":false}");
    call(d, &r, NULL, 0, 0, &a); /* already valid: fine, as esp_ota_mark_app_valid_cancel_rollback */
    assert_int_equal(a.status, 200);
    post_raw(d, NULL, img2, len, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"slot\":\"ota_1\""));
    boot(d);
    status_has(d, "\"version\":\"1.2.0\",");
    /* roll back to 1.1.0 */
    r = req_of("POST", "/api/rollback");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{\"ok\":true,\"state\":\"invalid\",\"rebooting\":true}");
    boot(d);
    status_has(d, "\"version\":\"1.1.0\",");
    free(img);
    free(img2);
}

static void test_rollback_impossible(void **state)
{
    dev_t_ *d = *state;
    answer_t a;
    uint8_t *before = snapshot(d);
    webota_api_request_t r = req_of("POST", "/api/rollback");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 409, "rollback_impossible");
    r = req_of("POST", "/api/confirm");
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 409, "not_pending");
    assert_int_equal(d->reboots, 0);
    assert_unchanged(d, before);
}

static void test_update_refusals(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *good = make_image("1.1.0", true, 2, &len);
    uint8_t *bad = malloc(len);
    answer_t a;
    uint8_t *before = snapshot(d);

    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "text/plain";
    r.content_length = (int64_t)len;
    call(d, &r, good, len, 0, &a);
    expect_error(&a, 415, "unsupported_media_type");
    r.content_type = "application/octet-stream";
    r.content_length = -1;
    call(d, &r, good, len, 0, &a);
    expect_error(&a, 411, "length_required");
    r.content_length = 0x100001;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 413, "too_large");

    /* a body in pieces that ends early: the announced length is not reached */
    r.content_length = (int64_t)len;
    call(d, &r, good, len - 1000, 0, &a);
    assert_true(a.status == 400 || a.status == 422);

    struct {
        size_t off;
        uint8_t val;
        const char *code;
    } cases[] = {
        {0, 0xE8, "bad_magic"},
        {12, 5, "wrong_chip"},
        {len / 2, 0, "bad_checksum"}, /* patched below: flip */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(bad, good, len);
        if (i == 2) {
            bad[cases[i].off] ^= 0x55;
        } else {
            bad[cases[i].off] = cases[i].val;
        }
        post_raw(d, NULL, bad, len, &a);
        if (i == 2) {
            assert_int_equal(a.status, 422);
            assert_true(strstr(a.body, "bad_checksum") || strstr(a.body, "bad_sha256"));
        } else {
            expect_error(&a, 422, cases[i].code);
        }
        status_has(d, "\"update\":{\"state\":\"failed\"");
    }
    /* truncated: the whole (short) body arrives, the image is incomplete */
    post_raw(d, NULL, good, len / 2, &a);
    expect_error(&a, 422, "truncated");
    /* no marker, unless forced */
    uint8_t *nomark = make_image("1.2.0", false, 4, &len);
    post_raw(d, NULL, nomark, len, &a);
    expect_error(&a, 422, "no_updater");
    post_raw(d, "force=0", nomark, len, &a);
    expect_error(&a, 422, "no_updater");
    /* an empty body */
    post_raw(d, NULL, good, 0, &a);
    expect_error(&a, 400, "empty");
    /* chunked with no length: too big is caught while it streams */
    r = req_of("POST", "/api/update");
    r.chunked = true;
    size_t biglen = 0x100000 + 4096;
    uint8_t *big = calloc(1, biglen);
    memcpy(big, good, 4096 < len ? 4096 : len);
    call(d, &r, big, biglen, 4096, &a);
    assert_int_equal(a.status, 422); /* its checksum/layout fails before the slot overflows */
    assert_int_equal(d->reboots, 0);
    assert_unchanged(d, before);

    post_raw(d, "x=1&force=1", nomark, len, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"version\":\"1.2.0\""));
    free(big);
    free(good);
    free(bad);
    free(nomark);
}

static void test_concurrent_and_abort(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    uint8_t *before = snapshot(d);
    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    webota_api_conn_t c1, c2;
    webota_api_response_t resp;
    assert_int_equal(webota_api_begin(&d->api, &c1, &r, &resp), WEBOTA_API_READ_BODY);
    assert_true(webota_api_busy(&d->api));
    assert_true(webota_api_body(&d->api, &c1, img, len / 2));
    status_has(d, "\"update\":{\"state\":\"receiving\"");
    /* a second upload, a form upload, confirm and reboot: 409 */
    assert_int_equal(webota_api_begin(&d->api, &c2, &r, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409);
    webota_api_request_t f = req_of("POST", "/update");
    f.content_type = "multipart/form-data; boundary=x";
    f.content_length = 100;
    assert_int_equal(webota_api_begin(&d->api, &c2, &f, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409);
    webota_api_request_t rb = req_of("POST", "/api/reboot");
    assert_int_equal(webota_api_begin(&d->api, &c2, &rb, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409);
    rb = req_of("POST", "/api/confirm");
    assert_int_equal(webota_api_begin(&d->api, &c2, &rb, &resp), WEBOTA_API_RESPOND);
    assert_int_equal(resp.status, 409);
    /* a stranger's body or end does nothing to c1's session */
    assert_false(webota_api_body(&d->api, &c2, img, 10));
    webota_api_end(&d->api, &c2, &resp);
    assert_int_equal(resp.status, 409);
    webota_api_abort(&d->api, &c2);
    assert_true(webota_api_busy(&d->api));
    /* the client leaves */
    webota_api_abort(&d->api, &c1);
    webota_api_abort(&d->api, &c1);
    assert_false(webota_api_busy(&d->api));
    status_has(d, "\"update\":{\"state\":\"failed\"");
    status_has(d, "\"error\":\"aborted\"");
    assert_unchanged(d, before);
    /* the next upload works */
    answer_t a;
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 200);
    free(img);
}

/* multipart body: optional force field, file part, closing */
static size_t form_body(char *out, const uint8_t *img, size_t len, const char *force)
{
    size_t n = 0;
    n += (size_t)sprintf(out + n, "preamble\r\n");
    if (force != NULL) {
        n += (size_t)sprintf(out + n,
                             "--BoUnD\r\nContent-Disposition: form-data; name=\"force\"\r\n\r\n%s\r\n",
                             force);
    }
    n += (size_t)sprintf(out + n, "--BoUnD\r\nContent-Disposition: form-data; name=\"firmware\"; "
                                  "filename=\"fw.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    memcpy(out + n, img, len);
    n += len;
    n += (size_t)sprintf(out + n, "\r\n--BoUnD\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi"
                                  "\r\n--BoUnD--\r\n");
    return n;
}

static void post_form(dev_t_ *d, const char *accept, const char *body, size_t n, size_t step,
                      answer_t *a)
{
    webota_api_request_t r = req_of("POST", "/update");
    r.content_type = "multipart/form-data; boundary=BoUnD";
    r.content_length = (int64_t)n;
    r.accept = accept;
    call(d, &r, body, n, step, a);
}

static void test_form(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    uint8_t *nomark = make_image("1.2.0", false, 4, &len);
    char *body = malloc(len + 1024);
    answer_t a;
    uint8_t *before = snapshot(d);

    /* refusals known from the headers, as the no-JavaScript form's HTML page,
     * and as JSON when Accept prefers it (curl -F -H 'Accept: application/json') */
    static const char *const accepts[] = {NULL, "application/json"};
    for (size_t i = 0; i < 2; i++) {
        void (*want)(const answer_t *, int, const char *) = i == 0 ? expect_html_error : expect_error;
        webota_api_request_t r = req_of("POST", "/update");
        r.accept = accepts[i];
        r.content_type = "application/octet-stream";
        r.content_length = 10;
        call(d, &r, NULL, 0, 0, &a);
        want(&a, 415, "unsupported_media_type");
        r.content_type = "multipart/form-data";
        call(d, &r, NULL, 0, 0, &a);
        want(&a, 400, "bad_multipart");
        r.content_type = "multipart/form-data; boundary=BoUnD";
        r.content_length = -1;
        call(d, &r, NULL, 0, 0, &a);
        want(&a, 411, "length_required");
        r.content_length = 0x100000 + WEBOTA_API_FORM_OVERHEAD + 1;
        call(d, &r, NULL, 0, 0, &a);
        want(&a, 413, "too_large");
        r = req_of("GET", "/update");
        r.accept = accepts[i];
        call(d, &r, NULL, 0, 0, &a);
        want(&a, 405, "method_not_allowed");
        assert_string_equal(a.resp.allow, "POST");
    }

    const char *nofile = "--BoUnD\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--BoUnD--";
    post_form(d, NULL, nofile, strlen(nofile), 0, &a);
    expect_html_error(&a, 400, "no_file");
    post_form(d, "application/json", nofile, strlen(nofile), 0, &a);
    expect_error(&a, 400, "no_file");
    size_t n = form_body(body, nomark, len, NULL);
    post_form(d, NULL, body, n, 777, &a);
    expect_html_error(&a, 422, "no_updater");
    /* the update session's own message, with its details */
    assert_non_null(strstr(a.body, "<h1>Update refused</h1><p>image does not contain the webota updater"));
    post_form(d, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", body, n, 777,
              &a);
    expect_html_error(&a, 422, "no_updater");
    post_form(d, "application/json", body, n, 777, &a);
    expect_error(&a, 422, "no_updater");
    n = form_body(body, nomark, len, "0");
    post_form(d, NULL, body, n, 777, &a);
    expect_html_error(&a, 422, "no_updater");
    /* a bad image */
    nomark[0] = 0x12; /* the magic byte */
    n = form_body(body, nomark, len, NULL);
    nomark[0] = 0xe9;
    post_form(d, "text/html", body, n, 777, &a);
    expect_html_error(&a, 422, "bad_magic");
    assert_non_null(strstr(a.body, "not an ESP app image (first byte is not 0xE9) at offset 0"));
    /* malformed: the closing boundary never comes */
    n = form_body(body, img, len, NULL);
    post_form(d, NULL, body, n - 12, 1000, &a);
    expect_html_error(&a, 400, "bad_multipart");
    post_form(d, "application/json", body, n - 12, 1000, &a);
    expect_error(&a, 400, "bad_multipart");
    /* malformed in the middle of the file */
    n = form_body(body, img, len, NULL);
    memcpy(body + 3000, "\r\n--BoUnDx", 10);
    post_form(d, NULL, body, n, 1000, &a);
    expect_html_error(&a, 400, "bad_multipart");
    assert_unchanged(d, before);
    assert_int_equal(d->reboots, 0);

    /* HTML answer for a browser form */
    n = form_body(body, img, len, NULL);
    post_form(d, "text/html,*/*", body, n, 1, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.resp.content_type, "text/html; charset=utf-8");
    assert_non_null(strstr(a.body, "webota-demo 1.1.0 was written to ota_0"));
    /* links back to the page are relative, so they work under a URL prefix */
    assert_non_null(strstr(a.body, "url=./\""));
    assert_non_null(strstr(a.body, "<a href=\"./\">"));
    assert_null(strstr(a.body, "\"/\""));
    assert_int_equal(d->reboots, 1);
    boot(d);
    status_has(d, "\"version\":\"1.1.0\"");
    webota_api_request_t c = req_of("POST", "/api/confirm");
    call(d, &c, NULL, 0, 0, &a);
    /* JSON when asked, and the force checkbox */
    n = form_body(body, nomark, len, "on");
    post_form(d, "application/json", body, n, 4096, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"version\":\"1.2.0\",\"slot\":\"ota_1\""));
    free(body);
    free(img);
    free(nomark);
}

/* Which Accept headers get JSON from POST /update: only those naming
 * application/json with a q above 0 and not below text/html's. The other
 * routes answer JSON whatever Accept says. */
static void test_form_accept(void **state)
{
    dev_t_ *d = *state;
    static const struct {
        const char *accept;
        bool json;
    } cases[] = {
        {NULL, false},
        {"", false},
        {"*/*", false},
        {"text/html", false},
        {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8", false},
        {"application/json", true},
        {"  Application/JSON ; charset=utf-8 ", true},
        {"application/json, text/html", true},
        {"text/html, application/json", true},
        {"application/json, text/plain, */*", true},
        {"text/html, application/json;q=0.9", false},
        {"text/html;q=0.5, application/json;q=0.8", true},
        {"application/json;q=0.9, text/*;q=0.5", true},
        {"application/json;q=0.5, text/*", false},
        {"application/json;q=0.5, */*", false},
        {"application/json;q=0.5, */*;q=0.4", true},
        {"text/html;level=1;q=0.2, application/json;q=0.3", true},
        {"application/json;q=0", false},
        {"application/json;q=0.000", false},
        {"application/json;q=1.000", true},
        {"application/json;q=1.5", false},
        {"application/json;q=bogus", false},
        {"application/json;q=0.1234", false},
        {"application/jsonx", false},
        {"application/*", false},
        {"application/json-seq", false},
    };
    answer_t a;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        webota_api_request_t r = req_of("POST", "/update");
        r.accept = cases[i].accept;
        r.content_type = "text/plain";
        r.content_length = 10;
        call(d, &r, NULL, 0, 0, &a);
        bool json = strcmp(a.resp.content_type, "application/json") == 0;
        if (json != cases[i].json) {
            fail_msg("Accept: %s answered %s", cases[i].accept ? cases[i].accept : "(none)",
                     a.resp.content_type);
        }
        if (json) {
            expect_error(&a, 415, "unsupported_media_type");
        } else {
            expect_html_error(&a, 415, "unsupported_media_type");
        }
    }
    /* the API routes stay JSON for a browser's Accept */
    static const char *const nav = "text/html,application/xhtml+xml,*/*;q=0.8";
    webota_api_request_t r = req_of("POST", "/api/update");
    r.accept = nav;
    r.content_type = "text/plain";
    r.content_length = 10;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 415, "unsupported_media_type");
    r = req_of("GET", "/api/update");
    r.accept = nav;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 405, "method_not_allowed");
    r = req_of("GET", "/nowhere");
    r.accept = nav;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 404, "not_found_route");
    r = req_of("POST", "/api/confirm");
    r.accept = nav;
    call(d, &r, NULL, 0, 0, &a);
    expect_error(&a, 409, "not_pending");
}

/* Whatever the image or the request brings is escaped in the HTML pages;
 * the longest message still makes a whole page. */
static void test_form_html_escaping(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    answer_t a;
    d->project = "webota-demo";
    boot(d);
    uint8_t *before = snapshot(d);
    uint8_t *evil = make_image_of("<script>x</script>", "1.1.0", true, 2, &len);
    char *body = malloc(len + 1024);
    size_t n = form_body(body, evil, len, NULL);
    post_form(d, NULL, body, n, 1000, &a);
    expect_html_error(&a, 422, "wrong_project");
    if (strstr(a.body, "image is &quot;&lt;script&gt;x&lt;/script&gt;&quot;, this device runs "
                       "&quot;webota-demo&quot;") == NULL) {
        fail_msg("project not escaped: %s", a.body);
    }
    assert_null(strstr(a.body, "<script"));
    assert_null(strstr(a.body, "\"<"));
    /* the same refusal as JSON keeps the raw name (JSON-escaped) */
    post_form(d, "application/json", body, n, 1000, &a);
    expect_error(&a, 422, "wrong_project");
    assert_non_null(strstr(a.body, "<script>x</script>"));
    free(evil);
    free(body);

    /* the longest names: every byte of both is escaped to 5 or 6 */
    static const char quotes[] = "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"";
    d->project = "&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&";
    boot(d);
    assert_int_equal(strlen(quotes), 31);
    evil = make_image_of(quotes, "1.1.0", true, 2, &len);
    body = malloc(len + 1024);
    n = form_body(body, evil, len, NULL);
    post_form(d, NULL, body, n, 1000, &a);
    expect_html_error(&a, 422, "wrong_project");
    assert_non_null(strstr(a.body, "&quot;&quot;&quot;&quot;&quot;&quot;&quot;&quot;"));
    assert_non_null(strstr(a.body, "&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;&amp;"));
    assert_null(strstr(a.body, "\"\""));
    free(evil);
    free(body);
    assert_unchanged(d, before);

    /* the success page escapes the installed image's project too */
    d->project = NULL;
    boot(d);
    evil = make_image_of("<i>'a'&\"b\"</i>", "1.1.0", true, 2, &len);
    body = malloc(len + 1024);
    n = form_body(body, evil, len, NULL);
    post_form(d, NULL, body, n, 1000, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.resp.content_type, "text/html; charset=utf-8");
    if (strstr(a.body, "<p>&lt;i&gt;&#39;a&#39;&amp;&quot;b&quot;&lt;/i&gt; 1.1.0 was written to "
                       "ota_0.") == NULL) {
        fail_msg("success page not escaped: %s", a.body);
    }
    assert_null(strstr(a.body, "<i>"));
    assert_int_equal(d->reboots, 1);
    free(evil);
    free(body);
}

static void test_http_status_map(void **state)
{
    (void)state;
    assert_int_equal(webota_api_http_status(WEBOTA_OK), 200);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_IMG_HASH), 422);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_IMG_TOO_BIG), 413);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_UPD_NO_MARKER), 422);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_UPD_BUSY), 409);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_FLASH_POWER), 500);
    assert_int_equal(webota_api_http_status(WEBOTA_ERR_HTTP_LENGTH_REQUIRED), 411);
    webota_api_t api;
    webota_api_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(webota_api_init(&api, &cfg), WEBOTA_ERR_ARG);
    webota_slot_ops_t ops;
    memset(&ops, 0, sizeof(ops));
    webota_slot_t rules;
    assert_int_equal(webota_slot_init(&rules, &ops), WEBOTA_ERR_ARG); /* functions missing */
    cfg.slot = &rules;
    assert_int_equal(webota_api_init(&api, &cfg), WEBOTA_ERR_ARG);
    assert_int_equal(webota_api_init(NULL, &cfg), WEBOTA_ERR_ARG);
}

static void test_flash_failure_is_500(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    answer_t a;
    sim_nor_cut_power_at(d->nor, 3, SIM_CUT_CLEAN, 1);
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 500);
    assert_non_null(strstr(a.body, "\"error\":\"flash_power_lost\""));
    sim_nor_power_on(d->nor);
    free(img);
}

/* Every corrupted ESP32 image of the conformance vectors (made from ESP-IDF's
 * own tools' output, tests/vectors/manifest.tsv) sent as an upload: refused
 * with 422 or 413 and an image-checker code (never a device error), and the
 * otadata and the factory app untouched. The ones the manifest calls valid
 * pass the checker and stop only at the missing webota marker. A good upload
 * works afterwards. */
static void test_vector_images(void **state)
{
    dev_t_ *d = *state;
    size_t mlen;
    uint8_t *raw = tu_read_vector("manifest.tsv", &mlen);
    char *manifest = malloc(mlen + 1);
    memcpy(manifest, raw, mlen);
    manifest[mlen] = '\0';
    free(raw);
    uint8_t *before = snapshot(d);
    int invalid = 0, valid = 0;
    static const char prefix[] = "image/corrupt/esp32_small.";
    for (char *line = strtok(manifest, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char path[256], kind[64], expected[64];
        if (sscanf(line, "%255[^\t]\t%63[^\t]\t%63[^\t]", path, kind, expected) != 3 ||
            strcmp(kind, "image.corrupt") != 0 || strncmp(path, prefix, sizeof(prefix) - 1) != 0) {
            continue;
        }
        size_t n;
        uint8_t *img = tu_read_vector(path, &n);
        answer_t a;
        post_raw(d, NULL, img, n, &a);
        free(img);
        if (strncmp(expected, "valid", 5) == 0) {
            expect_error(&a, 422, "no_updater");
            valid++;
            continue;
        }
        if ((a.status != 422 && a.status != 413) || strncmp(a.body, "{\"error\":\"", 10) != 0 ||
            strstr(a.body, "\"message\":\"\"") != NULL) {
            fail_msg("%s (%s): want an image refusal (422/413 with a reason), got %d %s", path,
                     expected, a.status, a.body);
        }
        invalid++;
    }
    free(manifest);
    assert_unchanged(d, before);
    assert_int_equal(invalid, 19); /* every ESP32 kind in the manifest, none skipped */
    assert_int_equal(valid, 2);
    size_t len;
    uint8_t *img = make_image("1.1.0", true, 2, &len);
    answer_t a;
    post_raw(d, NULL, img, len, &a);
    assert_int_equal(a.status, 200);
    free(img);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_status_reads_no_image), T(test_page_status_routes),  T(test_password),         T(test_cross_origin),
        T(test_update_ok_then_busy_then_boot), T(test_rollback_impossible), T(test_update_refusals),
        T(test_concurrent_and_abort), T(test_form),            T(test_form_accept),
        T(test_form_html_escaping),            T(test_http_status_map),
        T(test_flash_failure_is_500), T(test_vector_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
