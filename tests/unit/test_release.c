/* Release manifests (webota/release.h): the parser on good and broken
 * manifests (every refusal with its field and offset), the writer's output
 * read back, version order, rollout buckets (deterministic, about the
 * percentage asked, widening keeps members) and image URL resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "webota/release.h"

#define SHA_HEX "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"

static const char good[] =
    "{\"format\":1,\"project\":\"webota-demo\",\"version\":\"1.1.0\",\"secure_version\":2,"
    "\"chip\":\"esp32\",\"image\":\"images/webota-demo-1.1.0.bin\",\"size\":196608,"
    "\"sha256\":\"" SHA_HEX "\",\"rollout\":10,\"channel\":\"stable\","
    "\"created\":\"2026-12-06T00:00:00Z\",\"revoked\":false}";

static webota_err_t parse(const char *s, webota_release_t *r, webota_release_error_t *e)
{
    return webota_release_parse(s, strlen(s), r, e);
}

static void test_good(void **state)
{
    (void)state;
    webota_release_t r;
    webota_release_error_t e;
    assert_int_equal(parse(good, &r, &e), WEBOTA_OK);
    assert_int_equal(r.format, 1);
    assert_string_equal(r.project, "webota-demo");
    assert_string_equal(r.version, "1.1.0");
    assert_int_equal(r.secure_version, 2);
    assert_string_equal(r.chip, "esp32");
    assert_string_equal(r.image, "images/webota-demo-1.1.0.bin");
    assert_int_equal(r.size, 196608);
    assert_int_equal(r.sha256[0], 0x00);
    assert_int_equal(r.sha256[31], 0xff);
    assert_int_equal(r.sha256[16], 0x00);
    assert_int_equal(r.rollout, 10);
    assert_string_equal(r.channel, "stable");
    assert_string_equal(r.created, "2026-12-06T00:00:00Z");
    assert_false(r.revoked);
}

static void test_roundtrip(void **state)
{
    (void)state;
    webota_release_t r, back;
    assert_int_equal(parse(good, &r, NULL), WEBOTA_OK);
    r.revoked = true;
    strcpy(r.project, "quote\"back\\slash\ttab");
    char buf[WEBOTA_RELEASE_MANIFEST_MAX];
    size_t n = 0;
    assert_int_equal(webota_release_write(&r, buf, sizeof(buf), &n), WEBOTA_OK);
    assert_int_equal(n, strlen(buf));
    assert_int_equal(buf[n - 1], '\n');
    assert_int_equal(webota_release_parse(buf, n, &back, NULL), WEBOTA_OK);
    assert_memory_equal(&r, &back, sizeof(r));
    /* too small a buffer: NO_SPACE, never cut */
    for (size_t cap = 0; cap < n + 1; cap += 37) {
        assert_int_equal(webota_release_write(&r, buf, cap, NULL), WEBOTA_ERR_NO_SPACE);
    }
    assert_int_equal(webota_release_write(&r, buf, n + 1, NULL), WEBOTA_OK);
    r.rollout = 101;
    assert_int_equal(webota_release_write(&r, buf, sizeof(buf), NULL), WEBOTA_ERR_ARG);
    r.rollout = 100;
    r.format = 2;
    assert_int_equal(webota_release_write(&r, buf, sizeof(buf), NULL), WEBOTA_ERR_ARG);
}

static void test_unknown_and_escapes(void **state)
{
    (void)state;
    char s[2048];
    snprintf(s, sizeof(s),
             " {\"future\":{\"a\":[1,2.5e3,-7,true,false,null,\"x\\u00e9\"],\"b\":{}},"
             "\"a_very_long_key_name_that_is_longer_than_any_field\":[],%s \n",
             good + 1);
    webota_release_t r;
    assert_int_equal(parse(s, &r, NULL), WEBOTA_OK);
    assert_string_equal(r.version, "1.1.0");
    /* escapes in a value: \u00e9 is UTF-8 c3 a9, \/ is / */
    snprintf(s, sizeof(s), "%.*s", (int)(strstr(good, "webota-demo\"") - good), good);
    strcat(s, "caf\\u00e9\\/\\u20ac\"");
    strcat(s, strstr(good, "webota-demo\"") + strlen("webota-demo\""));
    assert_int_equal(parse(s, &r, NULL), WEBOTA_OK);
    assert_string_equal(r.project, "caf\xc3\xa9/\xe2\x82\xac");
    /* revoked is optional */
    snprintf(s, sizeof(s), "%s", good);
    char *p = strstr(s, ",\"revoked\":false");
    memmove(p, p + strlen(",\"revoked\":false"), strlen(p + strlen(",\"revoked\":false")) + 1);
    assert_int_equal(parse(s, &r, NULL), WEBOTA_OK);
    assert_false(r.revoked);
}

/* Replaces the first occurrence of from in good by to. */
static void edit(char *out, size_t cap, const char *from, const char *to)
{
    const char *p = strstr(good, from);
    assert_non_null(p);
    snprintf(out, cap, "%.*s%s%s", (int)(p - good), good, to, p + strlen(from));
}

static void refused(const char *s, const char *field, const char *msg_part)
{
    webota_release_t r;
    webota_release_error_t e;
    webota_err_t err = parse(s, &r, &e);
    if (err != WEBOTA_ERR_REL_MALFORMED || strcmp(e.field, field) != 0 ||
        strstr(e.message, msg_part) == NULL) {
        print_error("manifest %s\n  -> %s field '%s' '%s' (want '%s' '%s')\n", s, webota_err_name(err),
                    e.field, e.message, field, msg_part);
        fail();
    }
    assert_true(e.offset <= strlen(s));
}

static void test_refusals(void **state)
{
    (void)state;
    char s[4600];
    struct {
        const char *from, *to, *field, *msg;
    } cases[] = {
        {"\"format\":1", "\"format\":2", "format", "unknown format"},
        {"\"format\":1", "\"format\":\"1\"", "format", "invalid number"},
        {"\"project\":\"webota-demo\"", "\"project\":\"\"", "project", "empty"},
        {"\"project\":\"webota-demo\"", "\"project\":\"0123456789012345678901234567890123\"", "project",
         "too long"},
        {"\"project\":\"webota-demo\"", "\"project\":7", "project", "string was expected"},
        {"\"project\":\"webota-demo\"", "\"project\":\"a\\x\"", "project", "invalid escape"},
        {"\"project\":\"webota-demo\"", "\"project\":\"a\\u00zz\"", "project", "\\u escape"},
        {"\"project\":\"webota-demo\"", "\"project\":\"a\\u0000\"", "project", "surrogate"},
        {"\"project\":\"webota-demo\"", "\"project\":\"a\\ud800\"", "project", "surrogate"},
        {"\"project\":\"webota-demo\"", "\"project\":\"a\tb\"", "project", "control character"},
        {"\"version\":\"1.1.0\"", "\"version\":null", "version", "string was expected"},
        {"\"secure_version\":2", "\"secure_version\":-1", "secure_version", "integer"},
        {"\"secure_version\":2", "\"secure_version\":2.5", "secure_version", "integer"},
        {"\"secure_version\":2", "\"secure_version\":4294967296", "secure_version", "integer"},
        {"\"secure_version\":2", "\"secure_version\":1e3", "secure_version", "integer"},
        {"\"secure_version\":2", "\"secure_version\":02", "secure_version", "invalid number"},
        {"\"secure_version\":2", "\"secure_version\":2.", "secure_version", "invalid number"},
        {"\"secure_version\":2", "\"secure_version\":2e", "secure_version", "invalid number"},
        {"\"chip\":\"esp32\"", "\"chip\":\"\"", "chip", "empty"},
        {"\"size\":196608", "\"size\":0", "size", "must not be 0"},
        {"\"sha256\":\"" SHA_HEX "\"", "\"sha256\":\"0011\"", "sha256", "64 hex"},
        {"\"sha256\":\"" SHA_HEX "\"",
         "\"sha256\":\"g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"", "sha256",
         "64 hex"},
        {"\"rollout\":10", "\"rollout\":101", "rollout", "0..100"},
        {"\"revoked\":false", "\"revoked\":0", "revoked", "true or false"},
        {"\"revoked\":false", "\"revoked\":tru", "revoked", "invalid value"},
        {"\"channel\":\"stable\"", "\"channel\":\"stable\",\"channel\":\"beta\"", "channel", "twice"},
        {"\"channel\":\"stable\",", "", "channel", "required field missing"},
        {"\"image\":\"images/webota-demo-1.1.0.bin\",", "", "image", "required field missing"},
        {"\"created\":\"2026-12-06T00:00:00Z\"", "\"created\":\"x\" \"y\"", "", "',' or '}'"},
        {"\"size\":196608", "\"size\" 196608", "", "':' expected"},
        {"\"format\":1,", "\"x\":[1 2],\"format\":1,", "", "',' or end"},
        {"\"format\":1,", "\"x\":[[[[[[[[[]]]]]]]]],\"format\":1,", "", "nested too deeply"},
        {"\"format\":1,", "\"x\":{\"a\" 1},\"format\":1,", "", "':' expected"},
        {"\"format\":1,", "\"x\":nul,\"format\":1,", "", "invalid value"},
        {"\"format\":1,", "\"x\":-,\"format\":1,", "", "invalid number"},
        {"\"format\":1,", "\"x\":\"\\q\",\"format\":1,", "", "invalid escape"},
        {"\"format\":1,", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\q\":1,\"format\":1,", "",
         "invalid escape"},
        {"{", "[", "", "one JSON object"},
        {"\"revoked\":false}", "\"revoked\":false} x", "", "text after"},
        {"\"revoked\":false}", "\"revoked\":false", "", "unterminated object"},
        {"\"revoked\":false}", "\"revoked\":", "revoked", "true or false"},
        {"\"revoked\":false}", "\"revoked\":false,\"x\":[1,", "", "value expected"},
        {"\"revoked\":false}", "\"revoked\":false,\"x\":[1", "", "unterminated object or array"},
        {"\"revoked\":false}", "\"revoked\":false,\"x\":\"abc", "", "unterminated string"},
        {"\"revoked\":false}", "\"revoked\":false,\"x\":\"abc\\", "", "unterminated string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        edit(s, sizeof(s), cases[i].from, cases[i].to);
        refused(s, cases[i].field, cases[i].msg);
    }
    refused("", "", "one JSON object");
    refused("{}", "format", "required field missing");
    /* larger than the bound, even when valid */
    memset(s, ' ', sizeof(s));
    memcpy(s, good, strlen(good));
    s[WEBOTA_RELEASE_MANIFEST_MAX + 1] = '\0';
    refused(s, "", "larger than 4096");
    webota_release_t r;
    assert_int_equal(webota_release_parse(NULL, 1, &r, NULL), WEBOTA_ERR_ARG);
    assert_int_equal(webota_release_parse(good, strlen(good), NULL, NULL), WEBOTA_ERR_ARG);
    /* every prefix of a good manifest is refused, and never read past its end */
    for (size_t n = 0; n < strlen(good); n++) {
        assert_int_equal(webota_release_parse(good, n, &r, NULL), WEBOTA_ERR_REL_MALFORMED);
    }
}

static void test_versions(void **state)
{
    (void)state;
    struct {
        const char *a, *b;
        int want;
    } cases[] = {
        {"1.1.0", "1.0.0", 1},   {"1.0.0", "1.1.0", -1},   {"1.2", "1.2.0", 0},
        {"v1.10", "1.9.9", 1},   {"2", "1.99.99.99", 1},   {"1.2.0-rc1", "1.2.0", -1},
        {"1.2.0", "1.2.0-rc1", 1}, {"1.2.0-rc2", "1.2.0-rc1", 1}, {"1.2.0-a", "1.2.0-a", 0},
        {"1.2.3.4", "1.2.3.5", -1}, {"4294967295", "4294967294", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool ok = false;
        assert_int_equal(webota_version_cmp(cases[i].a, cases[i].b, &ok), cases[i].want);
        assert_true(ok);
    }
    const char *bad[] = {"", "v", "x1", "1.", "1..2", "1.2.3.4.5", "1.2-", "1.2 ", "4294967296",
                         "1,2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool ok = true;
        assert_int_equal(webota_version_cmp(bad[i], "1.0", &ok), 0);
        assert_false(ok);
        ok = true;
        assert_int_equal(webota_version_cmp("1.0", bad[i], &ok), 0);
        assert_false(ok);
    }
    assert_int_equal(webota_version_cmp(NULL, "1", NULL), 0);
}

static void test_rollout(void **state)
{
    (void)state;
    uint32_t b1, b2;
    /* the documented construction, computed independently */
    const char *text = "webota-rollout-v1\nwebota-demo\n1.1.0\ndevice-007";
    uint8_t d[32];
    assert_int_equal(webota_sha256(text, strlen(text), d), WEBOTA_OK);
    uint32_t want = (((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) | ((uint32_t)d[2] << 8) | d[3]) %
                    10000u;
    assert_int_equal(webota_release_bucket("device-007", "webota-demo", "1.1.0", &b1), WEBOTA_OK);
    assert_int_equal(b1, want);
    assert_int_equal(webota_release_bucket("device-007", "webota-demo", "1.1.0", &b2), WEBOTA_OK);
    assert_int_equal(b1, b2);
    assert_int_equal(webota_release_bucket(NULL, "p", "v", &b1), WEBOTA_ERR_ARG);
    /* 1000 devices: each percentage takes about its share; widening keeps members */
    unsigned in10 = 0, in50 = 0, in100 = 0, differ = 0;
    for (unsigned i = 0; i < 1000; i++) {
        char id[32];
        snprintf(id, sizeof(id), "device-%03u", i);
        uint32_t b, other;
        assert_int_equal(webota_release_bucket(id, "webota-demo", "1.1.0", &b), WEBOTA_OK);
        assert_true(b < 10000);
        assert_int_equal(webota_release_bucket(id, "webota-demo", "1.2.0", &other), WEBOTA_OK);
        differ += (other != b);
        bool m10 = webota_release_in_rollout(b, 10), m50 = webota_release_in_rollout(b, 50);
        assert_false(webota_release_in_rollout(b, 0));
        in10 += m10;
        in50 += m50;
        in100 += webota_release_in_rollout(b, 100);
        if (m10) {
            assert_true(m50);
        }
    }
    assert_int_equal(in100, 1000);
    assert_in_range(in10, 70, 130);
    assert_in_range(in50, 450, 550);
    assert_true(differ > 990); /* another release draws other devices */
}

static void test_image_url(void **state)
{
    (void)state;
    struct {
        const char *manifest, *image, *want;
    } cases[] = {
        {"http://h:8080/fw/stable.json", "images/a.bin", "http://h:8080/fw/images/a.bin"},
        {"http://h:8080/fw/stable.json?x=1#f", "a.bin", "http://h:8080/fw/a.bin"},
        {"https://h/stable.json", "a.bin", "https://h/a.bin"},
        {"http://h:8080/fw/stable.json", "/other/a.bin", "http://h:8080/other/a.bin"},
        {"http://h:8080", "a.bin", "http://h:8080/a.bin"},
        {"http://h:8080?q", "/a.bin", "http://h:8080/a.bin"},
        {"http://h/fw/x.json", "https://cdn.example/a.bin", "https://cdn.example/a.bin"},
    };
    char out[WEBOTA_RELEASE_URL_MAX];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(webota_release_image_url(cases[i].manifest, cases[i].image, out, sizeof(out)),
                         WEBOTA_OK);
        assert_string_equal(out, cases[i].want);
    }
    assert_int_equal(webota_release_image_url("ftp://h/x", "a", out, sizeof(out)), WEBOTA_ERR_ARG);
    assert_int_equal(webota_release_image_url("http:///x", "a", out, sizeof(out)), WEBOTA_ERR_ARG);
    assert_int_equal(webota_release_image_url("http://h/x", "a", out, 8), WEBOTA_ERR_NO_SPACE);
    assert_int_equal(webota_release_image_url("http://h/x", "https://long.example/a", out, 8),
                     WEBOTA_ERR_NO_SPACE);
    assert_int_equal(webota_release_image_url(NULL, "a", out, sizeof(out)), WEBOTA_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),     cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_unknown_and_escapes), cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_versions), cmocka_unit_test(test_rollout),
        cmocka_unit_test(test_image_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
