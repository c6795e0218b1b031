/* Compressed uploads through the transport-free API on a real slot writer
 * (RAM NOR flash, two-ota layout, factory firmware): a gzip image installs
 * through POST /api/update (Content-Encoding: gzip) and the form (a .gz
 * file), and every damaged stream is refused with its own code, the flash
 * outside the target slot untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gz_util.h"
#include "testutil.h"
#include "sim/bootloader.h"
#include "sim/flash_image.h"
#include "sim/inflate_zlib.h"
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
    const char *project; /* policy: the project this device runs (NULL = any) */
    bool no_inflate;     /* a device without an inflater */
} dev_t_;

static sim_inflate_zlib_t zl;

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
    memset(&ac, 0, sizeof(ac));
    ac.slot = &d->run.rules;
    webota_update_policy_init(&ac.policy);
    ac.policy.check_chip = true;
    ac.policy.chip = WEBOTA_CHIP_ESP32;
    ac.policy.project = d->project;
    ac.chip = "esp32";
    ac.chip_rev_known = true;
    ac.chip_rev = 300;
    static const char *const hosts[] = {"192.168.4.1"};
    ac.hosts = hosts;
    ac.hosts_count = 1;
    ac.page_gz = page;
    ac.page_gz_len = sizeof(page);
    ac.inflate = d->no_inflate ? NULL : sim_inflate_zlib_init(&zl);
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

/* ---- tests ---- */

static void post_gz(dev_t_ *d, const char *encoding, const void *gz, size_t len, size_t step,
                    answer_t *a)
{
    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_encoding = encoding;
    r.content_length = (int64_t)len;
    call(d, &r, gz, len, step, a);
}

/* The image that a successful update put into ota_0. */
static void assert_installed(dev_t_ *d, const uint8_t *img, size_t len)
{
    assert_memory_equal(sim_nor_data(d->nor) + 0x110000, img, len);
}

static void test_gzip_installs(void **state)
{
    dev_t_ *d = *state;
    status_has(d, "\"gzip\":true");
    status_has(d, "\"inflate\":{\"name\":\"zlib\",\"window\":32768,\"ram\":");
    size_t len, gl;
    uint8_t *img = make_image("2.0.0", true, 7, &len);
    uint8_t *gz = gz_make(img, len, &gl);
    assert_true(gl < len);
    static const size_t steps[] = {1, 333, 4096, 100000};
    for (size_t i = 0; i < 4; i++) {
        answer_t a;
        post_gz(d, i % 2 ? "gzip" : " GZIP ", gz, gl, steps[i], &a);
        if (a.status != 200) {
            fail_msg("step %zu: %d %s", steps[i], a.status, a.body);
        }
        char want[80];
        snprintf(want, sizeof(want), "\"size\":%zu,\"compressed_size\":%zu", len, gl);
        assert_non_null(strstr(a.body, want));
        assert_installed(d, img, len);
        /* the next one starts from a fresh device */
        teardown(state);
        setup(state);
        d = *state;
    }
    free(gz);
    free(img);
}

static void test_gzip_form(void **state)
{
    dev_t_ *d = *state;
    size_t len, gl;
    uint8_t *img = make_image("2.0.1", true, 8, &len);
    uint8_t *gz = gz_make(img, len, &gl);
    char *body = malloc(gl + 1000);
    size_t n = form_body(body, gz, gl, NULL);
    answer_t a;
    post_form(d, "application/json", body, n, 777, &a);
    if (a.status != 200) {
        fail_msg("%d %s", a.status, a.body);
    }
    assert_installed(d, img, len);
    /* a damaged .gz in the form: its own code, in the HTML page too */
    teardown(state);
    setup(state);
    d = *state;
    uint8_t *before = snapshot(d);
    gz[gl - 6] ^= 1; /* CRC */
    n = form_body(body, gz, gl, NULL);
    post_form(d, NULL, body, n, 4096, &a);
    expect_html_error(&a, 422, "bad_gzip_crc");
    assert_unchanged(d, before);
    free(body);
    free(gz);
    free(img);
}

static void test_gzip_refusals(void **state)
{
    dev_t_ *d = *state;
    size_t len, gl;
    uint8_t *img = make_image("2.0.2", true, 9, &len);
    uint8_t *gz = gz_make(img, len, &gl);
    struct {
        const char *what;
        size_t at, cut; /* flip a bit at `at` (SIZE_MAX: none); send only `cut` bytes (0: all) */
        int status;
        const char *code;
    } cases[] = {
        {"truncated", SIZE_MAX, 0, 422, "gzip_truncated"},
        {"truncated in the trailer", SIZE_MAX, 3, 422, "gzip_truncated"},
        {"bad CRC", 1, 0, 422, "bad_gzip_crc"},
        {"bad ISIZE", 2, 0, 422, "bad_gzip_size"},
        {"not gzip", 3, 0, 422, "bad_gzip_header"},
        {"corrupt deflate", 4, 0, 422, "bad_gzip_data"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t *g = malloc(gl);
        memcpy(g, gz, gl);
        size_t n = gl;
        if (i == 0) {
            n = gl / 2;
        } else if (i == 1) {
            n = gl - 3;
        } else if (i == 2) {
            g[gl - 8] ^= 0x40;
        } else if (i == 3) {
            g[gl - 2] ^= 0x01;
        } else if (i == 4) {
            g[0] = 0xE9;
        } else {
            g[10] = 0x07;
        }
        uint8_t *before = snapshot(d);
        answer_t a;
        post_gz(d, "gzip", g, n, 1000, &a);
        expect_error(&a, cases[i].status, cases[i].code);
        if (i != 4) {
            assert_non_null(strstr(a.body, "of the compressed upload"));
        }
        assert_unchanged(d, before);
        assert_int_equal(d->reboots, 0);
        status_has(d, "\"state\":\"failed\"");
        free(g);
    }
    /* data after the member */
    uint8_t *two = malloc(gl + 10);
    memcpy(two, gz, gl);
    memset(two + gl, 0, 10);
    uint8_t *before = snapshot(d);
    answer_t a;
    post_gz(d, "gzip", two, gl + 10, 4096, &a);
    expect_error(&a, 422, "gzip_trailing_data");
    assert_unchanged(d, before);
    free(two);
    /* a plain image declared gzip, a gzip one sent plain: never installed */
    post_gz(d, "gzip", img, len, 4096, &a);
    expect_error(&a, 422, "bad_gzip_header");
    post_gz(d, NULL, gz, gl, 4096, &a);
    expect_error(&a, 422, "bad_magic");
    /* other encodings */
    post_gz(d, "br", gz, gl, 4096, &a);
    expect_error(&a, 415, "unsupported_media_type");
    post_gz(d, "identity", img, len, 4096, &a);
    assert_int_equal(a.status, 200);
    free(gz);
    free(img);
}

/* 64 MiB of zeros behind a valid image header would fill any slot: refused
 * with 413 once the slot is full; the image checker's own verdicts on what
 * inflates (wrong chip) are the plain upload's. */
static void test_gzip_bomb_and_image_errors(void **state)
{
    dev_t_ *d = *state;
    size_t len;
    uint8_t *img = make_image("2.0.3", true, 10, &len);
    size_t big = 64u << 20, gl;
    uint8_t *bomb = calloc(1, big);
    memcpy(bomb, img, len);
    uint8_t *gz = gz_make(bomb, big, &gl);
    free(bomb);
    uint8_t *before = snapshot(d);
    answer_t a;
    post_gz(d, "gzip", gz, gl, 4096, &a);
    expect_error(&a, 413, "gzip_too_big");
    assert_non_null(strstr(a.body, "(slot holds 1048576 bytes)"));
    assert_unchanged(d, before);
    free(gz);
    /* a wrong-chip image, compressed: the checker's answer, nothing erased */
    webota_image_make_opts_t o;
    webota_image_make_defaults(&o, WEBOTA_CHIP_ESP32C3);
    o.project = "webota-demo";
    o.version = "3";
    o.size = 40000;
    size_t cl = webota_image_make_length(&o);
    uint8_t *c3 = malloc(cl), *p = c3;
    assert_int_equal(webota_image_make(&o, sink, &p), WEBOTA_OK);
    gz = gz_make(c3, cl, &gl);
    uint64_t erases = sim_nor_stats(d->nor).erases;
    before = snapshot(d);
    post_gz(d, "gzip", gz, gl, 4096, &a);
    expect_error(&a, 422, "wrong_chip");
    assert_int_equal(sim_nor_stats(d->nor).erases, erases);
    assert_unchanged(d, before);
    free(gz);
    free(c3);
    free(img);
}

/* A client that goes away halfway: the session and the inflater stop; the
 * next upload works. */
static void test_gzip_abort_then_retry(void **state)
{
    dev_t_ *d = *state;
    size_t len, gl;
    uint8_t *img = make_image("2.0.4", true, 11, &len);
    uint8_t *gz = gz_make(img, len, &gl);
    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_encoding = "gzip";
    r.content_length = (int64_t)gl;
    webota_api_conn_t conn;
    webota_api_response_t resp;
    assert_int_equal(webota_api_begin(&d->api, &conn, &r, &resp), WEBOTA_API_READ_BODY);
    assert_true(webota_api_body(&d->api, &conn, gz, gl / 2));
    webota_api_abort(&d->api, &conn);
    assert_false(webota_api_busy(&d->api));
    answer_t a;
    post_gz(d, "gzip", gz, gl, 4096, &a);
    assert_int_equal(a.status, 200);
    assert_installed(d, img, len);
    free(gz);
    free(img);
}

static void test_no_inflater(void **state)
{
    dev_t_ *d = *state;
    d->no_inflate = true;
    boot(d);
    status_has(d, "\"gzip\":false");
    size_t len, gl;
    uint8_t *img = make_image("2.0.5", true, 12, &len);
    uint8_t *gz = gz_make(img, len, &gl);
    answer_t a;
    post_gz(d, "gzip", gz, gl, 4096, &a);
    expect_error(&a, 415, "gzip_unsupported");
    char *body = malloc(gl + 1000);
    size_t n = form_body(body, gz, gl, NULL);
    uint8_t *before = snapshot(d);
    post_form(d, "application/json", body, n, 4096, &a);
    expect_error(&a, 415, "gzip_unsupported");
    assert_unchanged(d, before);
    free(body);
    free(gz);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gzip_installs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_bomb_and_image_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_abort_then_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_inflater, setup, teardown),
    };
    assert_int_equal(webota_crypto_init(), WEBOTA_OK);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
