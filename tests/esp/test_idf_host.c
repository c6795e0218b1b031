/* The host stand-in itself (tests/esp/idf_host) against ESP-IDF v5.5's
 * documented behaviour, independently of the binding: the wildcard URI
 * matcher's examples from esp_http_server.h, handler registration, header
 * getters (no case, leading spaces, truncation, gone once a response is
 * sent), requests outside a handler refused, esp_timer's arming rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "esp_http_server.h"
#include "esp_timer.h"
#include "idf_host.h"

static bool m(const char *tpl, const char *uri)
{
    return httpd_uri_match_wildcard(tpl, uri, strlen(uri));
}

/* The examples of httpd_uri_match_wildcard's documentation. */
static void test_wildcard_examples(void **state)
{
    (void)state;
    assert_true(m("*", "/anything"));
    assert_true(m("*", ""));
    assert_true(m("/api/?", "/api"));
    assert_true(m("/api/?", "/api/"));
    assert_false(m("/api/?", "/api/status"));
    assert_true(m("/api/*", "/api/"));
    assert_true(m("/api/*", "/api/status"));
    assert_false(m("/api/*", "/api"));
    assert_false(m("/api/*", "/ap"));
    static const char *const both[] = {"/api/?*", "/api/*?"};
    for (int i = 0; i < 2; i++) {
        assert_true(m(both[i], "/api/"));
        assert_true(m(both[i], "/api/status"));
        assert_true(m(both[i], "/api"));
        assert_false(m(both[i], "/apix"));
        assert_false(m(both[i], "/ap"));
    }
    assert_true(m("/exact", "/exact"));
    assert_false(m("/exact", "/exactly"));
    /* only the first match_upto characters count (the query is not matched) */
    assert_true(httpd_uri_match_wildcard("/api/?", "/api?x=1", 4));
}

static httpd_req_t *s_seen_req;
static char s_trunc[8];
static esp_err_t s_trunc_err, s_after_err;
static size_t s_len_before, s_len_after;

static esp_err_t probe(httpd_req_t *r)
{
    s_seen_req = r;
    s_len_before = httpd_req_get_hdr_value_len(r, "x-long");
    s_trunc_err = httpd_req_get_hdr_value_str(r, "X-LONG", s_trunc, sizeof(s_trunc));
    httpd_resp_set_status(r, "201 Created");
    httpd_resp_set_hdr(r, "X-Probe", "yes");
    assert_int_equal(httpd_resp_set_hdr(r, "X-Bad", "a\r\nb"), ESP_ERR_INVALID_ARG);
    esp_err_t e = httpd_resp_send(r, "done", HTTPD_RESP_USE_STRLEN);
    s_len_after = httpd_req_get_hdr_value_len(r, "X-Long");
    char v[32];
    s_after_err = httpd_req_get_hdr_value_str(r, "X-Long", v, sizeof(v));
    return e;
}

static esp_err_t other(httpd_req_t *r)
{
    return httpd_resp_send(r, "other", HTTPD_RESP_USE_STRLEN);
}

static void test_server(void **state)
{
    (void)state;
    idf_host_http_resp_t *resp = malloc(sizeof(*resp));
    assert_non_null(resp);
    httpd_handle_t h = NULL;
    httpd_config_t cfg = HTTPD_DEFAULT_CONFIG();
    cfg.uri_match_fn = httpd_uri_match_wildcard;
    cfg.max_uri_handlers = 2;
    assert_int_equal(httpd_start(&h, &cfg), ESP_OK);
    httpd_uri_t u = {.uri = "/p/?*", .method = HTTP_GET, .handler = probe, .user_ctx = NULL};
    assert_int_equal(httpd_register_uri_handler(h, &u), ESP_OK);
    /* a URI the registered template already takes, with the same method */
    httpd_uri_t dup = {.uri = "/p/x", .method = HTTP_GET, .handler = other, .user_ctx = NULL};
    assert_int_equal(httpd_register_uri_handler(h, &dup), ESP_ERR_HTTPD_HANDLER_EXISTS);
    dup.method = HTTP_POST;
    assert_int_equal(httpd_register_uri_handler(h, &dup), ESP_OK);
    httpd_uri_t third = {.uri = "/q", .method = HTTP_GET, .handler = other, .user_ctx = NULL};
    assert_int_equal(httpd_register_uri_handler(h, &third), ESP_ERR_HTTPD_HANDLERS_FULL);

    idf_host_http_req_t q;
    memset(&q, 0, sizeof(q));
    q.method = "GET";
    q.uri = "/p/abc?z=1";
    q.headers[0] = "X-Long:    0123456789";
    assert_int_equal(idf_host_http(&q, resp), ESP_OK);
    assert_int_equal(resp->status, 201);
    assert_string_equal(resp->status_line, "201 Created");
    assert_string_equal((const char *)resp->body, "done");
    assert_string_equal(idf_host_http_header(resp, "X-Probe"), "yes");
    assert_string_equal(idf_host_http_header(resp, "Content-Type"), "text/html");
    assert_int_equal(s_len_before, 10);
    assert_int_equal(s_trunc_err, ESP_ERR_HTTPD_RESULT_TRUNC);
    assert_string_equal(s_trunc, "0123456");
    assert_int_equal(s_len_after, 0); /* request headers are gone once a response is sent */
    assert_int_equal(s_after_err, ESP_ERR_NOT_FOUND);
    assert_false(resp->closed);
    /* outside its handler the request is no longer valid */
    assert_int_equal(httpd_resp_send(s_seen_req, "x", 1), ESP_ERR_HTTPD_INVALID_REQ);
    char b[4];
    assert_int_equal(httpd_req_recv(s_seen_req, b, sizeof(b)), HTTPD_SOCK_ERR_INVALID);

    /* the same URI with another method: 405; no URI: 404; both close */
    q.method = "PUT";
    assert_int_equal(idf_host_http(&q, resp), ESP_OK);
    assert_int_equal(resp->status, 405);
    assert_true(resp->closed);
    q.method = "GET";
    q.uri = "/nowhere";
    assert_int_equal(idf_host_http(&q, resp), ESP_OK);
    assert_int_equal(resp->status, 404);
    assert_true(resp->closed);
    /* the body a handler leaves unread is received and dropped */
    q.method = "POST";
    q.uri = "/p/x";
    q.headers[0] = "Content-Length: 10";
    q.body = (const uint8_t *)"0123456789";
    q.body_len = 10;
    assert_int_equal(idf_host_http(&q, resp), ESP_OK);
    assert_string_equal((const char *)resp->body, "other");
    assert_int_equal(resp->body_read, 10);
    assert_false(resp->closed);
    assert_int_equal(httpd_stop(h), ESP_OK);
    free(resp);
}

static int s_fired;

static void fire(void *arg)
{
    (void)arg;
    s_fired++;
}

static void test_timer_rules(void **state)
{
    (void)state;
    esp_timer_handle_t t;
    esp_timer_create_args_t a = {.callback = fire, .arg = NULL, .name = "t"};
    assert_int_equal(esp_timer_create(&a, &t), ESP_OK);
    assert_int_equal(esp_timer_stop(t), ESP_ERR_INVALID_STATE); /* not armed */
    int64_t t0 = esp_timer_get_time();
    assert_int_equal(esp_timer_start_once(t, 1000), ESP_OK);
    assert_int_equal(esp_timer_start_once(t, 1000), ESP_ERR_INVALID_STATE); /* armed */
    assert_int_equal(esp_timer_delete(t), ESP_ERR_INVALID_STATE);           /* armed */
    assert_false(idf_host_advance_us(999));
    assert_int_equal(s_fired, 0);
    assert_false(idf_host_advance_us(1));
    assert_int_equal(s_fired, 1);
    assert_int_equal(esp_timer_get_time() - t0, 1000);
    assert_int_equal(esp_timer_stop(t), ESP_ERR_INVALID_STATE); /* one-shot: disarmed once fired */
    assert_int_equal(esp_timer_start_once(t, 5), ESP_OK);
    assert_int_equal(esp_timer_stop(t), ESP_OK);
    assert_false(idf_host_advance_us(100));
    assert_int_equal(s_fired, 1);
    assert_int_equal(esp_timer_delete(t), ESP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wildcard_examples),
        cmocka_unit_test(test_server),
        cmocka_unit_test(test_timer_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
