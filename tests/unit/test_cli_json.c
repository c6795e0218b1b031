/* The CLI's JSON reader (src/cli/json_get.c), compiled in directly: it is part
 * of the `webota` program, not of a library. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/json_get.c"

static const char STATUS[] =
    "{\"chip\":\"esp32\",\"project\":\"webota-demo\",\"version\":\"1.0.0\",\"idf_ver\":\"v5.3\","
    "\"secure_version\":0,\"running\":{\"label\":\"factory\",\"offset\":65536,\"size\":1048576,"
    "\"state\":\"undefined\"},\"next\":{\"label\":\"ota_0\",\"size\":1048576},"
    "\"rollback_possible\":false,\"update\":{\"state\":\"idle\",\"received\":0,\"total\":0},"
    "\"list\":[1,{\"label\":\"x\"},\"]\"]}";

#define LEN(s) strlen(s)

static void test_paths(void **state)
{
    (void)state;
    char buf[64];
    bool b = true;
    unsigned long long u = 1;
    assert_true(cli_json_valid(STATUS, LEN(STATUS)));
    assert_true(cli_json_text(STATUS, LEN(STATUS), "chip", buf, sizeof(buf)));
    assert_string_equal(buf, "esp32");
    assert_true(cli_json_text(STATUS, LEN(STATUS), "running.state", buf, sizeof(buf)));
    assert_string_equal(buf, "undefined");
    assert_true(cli_json_text(STATUS, LEN(STATUS), "next.label", buf, sizeof(buf)));
    assert_string_equal(buf, "ota_0");
    assert_true(cli_json_uint(STATUS, LEN(STATUS), "running.offset", &u));
    assert_int_equal(u, 65536);
    assert_true(cli_json_bool(STATUS, LEN(STATUS), "rollback_possible", &b));
    assert_false(b);
    assert_true(cli_json_text(STATUS, LEN(STATUS), "secure_version", buf, sizeof(buf)));
    assert_string_equal(buf, "0");
    /* missing keys, keys inside arrays, objects as text, wrong types */
    assert_false(cli_json_text(STATUS, LEN(STATUS), "label", buf, sizeof(buf)));
    assert_false(cli_json_text(STATUS, LEN(STATUS), "running.nope", buf, sizeof(buf)));
    assert_false(cli_json_text(STATUS, LEN(STATUS), "chip.x", buf, sizeof(buf)));
    assert_false(cli_json_text(STATUS, LEN(STATUS), "running", buf, sizeof(buf)));
    assert_false(cli_json_text(STATUS, LEN(STATUS), "list", buf, sizeof(buf)));
    assert_false(cli_json_bool(STATUS, LEN(STATUS), "chip", &b));
    assert_false(cli_json_uint(STATUS, LEN(STATUS), "chip", &u));
    /* too small a buffer */
    assert_false(cli_json_text(STATUS, LEN(STATUS), "project", buf, 5));
    assert_true(cli_json_text(STATUS, LEN(STATUS), "project", buf, 12));
    assert_string_equal(buf, "webota-demo");
    assert_false(cli_json_text(STATUS, LEN(STATUS), "project", buf, 11));
    assert_false(cli_json_text(STATUS, LEN(STATUS), "project", buf, 0));
    assert_false(cli_json_text(NULL, 0, "chip", buf, sizeof(buf)));
}

static void test_escapes(void **state)
{
    (void)state;
    char buf[64];
    const char *j = "{\"m\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\u20ac\\ud83d\\ude00\\ud800x\\u0000\"}";
    assert_true(cli_json_text(j, LEN(j), "m", buf, sizeof(buf)));
    assert_string_equal(buf, "a\"b\\c/d?\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80?x?");
    const char *k = "{\"a\\u0062\":1,\"b\":2}";
    unsigned long long u = 0;
    assert_false(cli_json_uint(k, LEN(k), "ab", &u)); /* escaped keys never match */
    assert_true(cli_json_uint(k, LEN(k), "b", &u));
    assert_int_equal(u, 2);
}

static void test_numbers(void **state)
{
    (void)state;
    unsigned long long u = 0;
    const char *j = "{\"a\":-1,\"b\":1.5,\"c\":1e3,\"d\":18446744073709551615,\"e\":0}";
    assert_true(cli_json_valid(j, LEN(j)));
    assert_false(cli_json_uint(j, LEN(j), "a", &u));
    assert_false(cli_json_uint(j, LEN(j), "b", &u));
    assert_false(cli_json_uint(j, LEN(j), "c", &u));
    assert_false(cli_json_uint(j, LEN(j), "d", &u)); /* 20 digits: refused, not wrapped */
    assert_true(cli_json_uint(j, LEN(j), "e", &u));
    assert_int_equal(u, 0);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",      "{",     "{\"a\":1", "{\"a\" 1}",  "{\"a\":1,}", "{a:1}",      "[1,]",
        "[1 2]", "\"abc", "\"a\\x\"", "\"a\\u12\"", "tru",        "nul",        "01",
        "-",     "1.",    "1e",       "{\"a\":1}x", "\"\x01\"",   "{\"a\":1}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(cli_json_valid(bad[i], strlen(bad[i])));
    }
    /* a value after the one asked for is broken: the whole document is refused */
    char buf[16];
    const char *late = "{\"chip\":\"esp32\",\"x\":[}";
    assert_false(cli_json_text(late, LEN(late), "chip", buf, sizeof(buf)));
    /* truncated by len */
    assert_false(cli_json_text(STATUS, 20, "chip", buf, sizeof(buf)));
    /* nesting bound */
    char deep[200];
    memset(deep, '[', sizeof(deep));
    assert_false(cli_json_valid(deep, sizeof(deep)));
    char ok[2 * (CLI_JSON_MAX_DEPTH + 1)];
    memset(ok, '[', CLI_JSON_MAX_DEPTH + 1);
    memset(ok + CLI_JSON_MAX_DEPTH + 1, ']', CLI_JSON_MAX_DEPTH + 1);
    assert_true(cli_json_valid(ok, sizeof(ok)));
    char over[2 * (CLI_JSON_MAX_DEPTH + 2)];
    memset(over, '[', CLI_JSON_MAX_DEPTH + 2);
    memset(over + CLI_JSON_MAX_DEPTH + 2, ']', CLI_JSON_MAX_DEPTH + 2);
    assert_false(cli_json_valid(over, sizeof(over)));
    const char *ws = " \t\r\n{ \"a\" : [ ] , \"b\" : { } }\n";
    assert_true(cli_json_valid(ws, LEN(ws)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
