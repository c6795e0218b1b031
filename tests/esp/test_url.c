/* The ESP-IDF binding's URL prefix rules (ports/esp-idf/src/webota_url.c):
 * what reaches the API, what is redirected to "<prefix>/", what is not ours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "webota_url.h"

typedef struct {
    const char *prefix, *uri;
    webota_url_where_t where;
    const char *path, *query;
} url_case_t;

static void check(const url_case_t *c)
{
    char uri[128];
    snprintf(uri, sizeof(uri), "%s", c->uri);
    const char *path = "unset", *query = "unset";
    webota_url_where_t w = webota_url_split(uri, c->prefix, &path, &query);
    if (w != c->where) {
        fail_msg("prefix \"%s\", uri \"%s\": where %d, want %d", c->prefix, c->uri, (int)w,
                 (int)c->where);
    }
    if (c->path == NULL) {
        assert_null(path);
    } else {
        assert_non_null(path);
        assert_string_equal(path, c->path);
    }
    if (c->query == NULL) {
        assert_null(query);
    } else {
        assert_non_null(query);
        assert_string_equal(query, c->query);
    }
}

static void test_no_prefix(void **state)
{
    (void)state;
    static const url_case_t cases[] = {
        {"", "/", WEBOTA_URL_API, "/", NULL},
        {"", "/api/status", WEBOTA_URL_API, "/api/status", NULL},
        {"", "/api/update?force=1", WEBOTA_URL_API, "/api/update", "force=1"},
        {"", "/?", WEBOTA_URL_API, "/", ""},
        {"", "/generate_204", WEBOTA_URL_API, "/generate_204", NULL}, /* the API 404s it */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check(&cases[i]);
    }
}

static void test_prefix(void **state)
{
    (void)state;
    static const url_case_t cases[] = {
        {"/ota", "/ota/", WEBOTA_URL_API, "/", NULL},
        {"/ota", "/ota/index.html", WEBOTA_URL_API, "/index.html", NULL},
        {"/ota", "/ota/api/status", WEBOTA_URL_API, "/api/status", NULL},
        {"/ota", "/ota/api/update?force=1", WEBOTA_URL_API, "/api/update", "force=1"},
        {"/ota", "/ota/update", WEBOTA_URL_API, "/update", NULL},
        {"/ota", "/ota", WEBOTA_URL_SLASH, NULL, NULL},
        {"/ota", "/ota?x=1", WEBOTA_URL_SLASH, NULL, "x=1"},
        {"/ota", "/", WEBOTA_URL_OUTSIDE, NULL, NULL},
        {"/ota", "/otafoo", WEBOTA_URL_OUTSIDE, NULL, NULL},
        {"/ota", "/otafoo/api/status", WEBOTA_URL_OUTSIDE, NULL, NULL},
        {"/ota", "/api/status", WEBOTA_URL_OUTSIDE, NULL, NULL},
        {"/ota", "/OTA/", WEBOTA_URL_OUTSIDE, NULL, NULL}, /* paths are case-sensitive */
        {"/ota", "/x?/ota/", WEBOTA_URL_OUTSIDE, NULL, "/ota/"},
        {"/a/b", "/a/b/api/reboot", WEBOTA_URL_API, "/api/reboot", NULL},
        {"/a/b", "/a/", WEBOTA_URL_OUTSIDE, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check(&cases[i]);
    }
}

static void test_prefix_ok(void **state)
{
    (void)state;
    assert_true(webota_url_prefix_ok(""));
    assert_true(webota_url_prefix_ok(NULL));
    assert_true(webota_url_prefix_ok("/ota"));
    assert_true(webota_url_prefix_ok("/a/b"));
    assert_false(webota_url_prefix_ok("ota"));
    assert_false(webota_url_prefix_ok("/ota/"));
    assert_false(webota_url_prefix_ok("/"));
    char longp[WEBOTA_URL_PREFIX_MAX + 2];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    assert_false(webota_url_prefix_ok(longp)); /* MAX + 1 bytes */
    longp[WEBOTA_URL_PREFIX_MAX] = '\0';
    assert_true(webota_url_prefix_ok(longp)); /* exactly MAX */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_prefix),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_prefix_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
