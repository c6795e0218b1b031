/* A device for the transport-free HTTP API tests (test_api, test_api_gzip):
 * a RAM NOR flash with the two-ota layout and a factory firmware (1.0.0),
 * powered on through the simulated bootloader (rollback on), the api over the
 * booted slot writer, and request helpers that drive webota_api_begin, _body
 * and _end and keep the answer. Each test program defines api_fx_configure
 * (the config fields only it sets) after including this once. */
#ifndef WEBOTA_API_FIXTURE_H
#define WEBOTA_API_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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
    int requests[16];
    const webota_auth_verifier_t *auth; /* the password (test_api) */
    uint32_t now;        /* the api's clock, moved by the tests */
    char log[4096];      /* the api's log lines */
    const char *project; /* policy: the project this device runs (NULL = any) */
    bool no_inflate;     /* a device without an inflater (test_api_gzip) */
} dev_t_;

/* The test program's own config fields, applied at each boot. */
static void api_fx_configure(dev_t_ *d, webota_api_config_t *ac);

static const unsigned char page[] = {0x1f, 0x8b, 8, 0, 'p', 'a', 'g', 'e'};
static const char *const device_hosts[] = {"192.168.4.1", "webota.local"};

static inline webota_err_t sink(void *ctx, const void *d, size_t n)
{
    uint8_t **p = ctx;
    memcpy(*p, d, n);
    *p += n;
    return WEBOTA_OK;
}

static inline uint8_t *make_image_of(const char *project, const char *version, bool marker,
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

static inline uint8_t *make_image(const char *version, bool marker, uint32_t seed, size_t *len)
{
    return make_image_of("webota-demo", version, marker, seed, len);
}

static inline void on_reboot(void *ctx)
{
    ((dev_t_ *)ctx)->reboots++;
}

static inline void on_request(void *ctx, webota_api_route_t route)
{
    ((dev_t_ *)ctx)->requests[route]++;
}

static inline uint32_t clock_ms(void *ctx)
{
    return ((dev_t_ *)ctx)->now;
}

static inline void log_line(void *ctx, const char *line)
{
    dev_t_ *d = ctx;
    size_t n = strlen(d->log);
    snprintf(d->log + n, sizeof(d->log) - n, "%s\n", line);
}

/* Boots the flash as the bootloader would and (re)opens slot writer and api. */
static inline void boot(dev_t_ *d)
{
    sim_boot_config_t bc;
    sim_boot_config_init(&bc);
    bc.rollback = true;
    assert_int_equal(sim_power_on(&d->flash, &bc, &d->run, NULL), WEBOTA_OK);
    webota_api_config_t ac;
    webota_api_config_init(&ac, &d->run.rules);
    ac.policy.check_chip = true;
    ac.policy.chip = WEBOTA_CHIP_ESP32;
    ac.policy.project = d->project;
    ac.chip = "esp32";
    ac.chip_rev_known = true;
    ac.chip_rev = 300;
    ac.hosts = device_hosts;
    ac.hosts_count = 2;
    ac.page_gz = page;
    ac.page_gz_len = sizeof(page);
    ac.request_reboot = on_reboot;
    ac.on_request = on_request;
    ac.ctx = d;
    api_fx_configure(d, &ac);
    assert_int_equal(webota_api_init(&d->api, &ac), WEBOTA_OK);
}

static inline int setup(void **state)
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

static inline int teardown(void **state)
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

static inline webota_api_request_t req_of(const char *method, const char *path)
{
    webota_api_request_t r;
    memset(&r, 0, sizeof(r));
    r.method = method;
    r.path = path;
    r.content_length = -1;
    r.host = "192.168.4.1";
    r.client = "192.168.4.2";
    return r;
}

static inline void keep(answer_t *a, const webota_api_response_t *resp)
{
    a->resp = *resp;
    a->status = resp->status;
    size_t n = resp->body_len < WEBOTA_API_BODY_MAX ? resp->body_len : WEBOTA_API_BODY_MAX;
    memcpy(a->body, resp->body, n);
    a->body[n] = '\0';
}

/* A whole request; the body is fed in `step`-byte chunks. */
static inline void call(dev_t_ *d, const webota_api_request_t *req, const void *body, size_t len,
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

static inline void post_raw(dev_t_ *d, const char *query, const void *img, size_t len, answer_t *a)
{
    webota_api_request_t r = req_of("POST", "/api/update");
    r.content_type = "application/octet-stream";
    r.content_length = (int64_t)len;
    r.query = query;
    call(d, &r, img, len, 1000, a);
}

static inline void expect_error(const answer_t *a, int status, const char *code)
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
static inline void expect_html_error(const answer_t *a, int status, const char *code)
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
static inline uint8_t *snapshot(dev_t_ *d)
{
    uint8_t *s = malloc(0x2000 + 0x100000);
    memcpy(s, sim_nor_data(d->nor) + 0xd000, 0x2000);
    memcpy(s + 0x2000, sim_nor_data(d->nor) + 0x10000, 0x100000);
    return s;
}

static inline void assert_unchanged(dev_t_ *d, uint8_t *before)
{
    uint8_t *now = snapshot(d);
    assert_memory_equal(before, now, 0x2000 + 0x100000);
    free(now);
    free(before);
}

static inline void status_has(dev_t_ *d, const char *needle)
{
    answer_t a;
    webota_api_request_t r = req_of("GET", "/api/status");
    call(d, &r, NULL, 0, 0, &a);
    assert_int_equal(a.status, 200);
    if (strstr(a.body, needle) == NULL) {
        fail_msg("status lacks %s: %s", needle, a.body);
    }
}

/* multipart body: optional force field, file part, closing */
static inline size_t form_body(char *out, const uint8_t *img, size_t len, const char *force)
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

static inline void post_form(dev_t_ *d, const char *accept, const char *body, size_t n, size_t step,
                             answer_t *a)
{
    webota_api_request_t r = req_of("POST", "/update");
    r.content_type = "multipart/form-data; boundary=BoUnD";
    r.content_length = (int64_t)n;
    r.accept = accept;
    call(d, &r, body, n, step, a);
}

#endif
