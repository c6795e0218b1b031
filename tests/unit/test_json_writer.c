/* The core's bounded JSON writer (include/webota/json.h): objects, arrays,
 * commas, escaping, integers and fixed-point numbers, and that a document
 * that does not fit (or is unbalanced, or nests too deep) is reported as
 * NO_SPACE with an empty buffer instead of being cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "webota/json.h"

static void test_objects_arrays_and_values(void **state)
{
    (void)state;
    char buf[256];
    webota_json_t j;
    webota_json_init(&j, buf, sizeof(buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "a");
    webota_json_arr_begin(&j);
    webota_json_uint(&j, 1);
    webota_json_int(&j, -2);
    webota_json_str(&j, "x\"y\\z\n\t\x7f");
    webota_json_obj_begin(&j);
    webota_json_key(&j, "k");
    webota_json_null(&j);
    webota_json_obj_end(&j);
    webota_json_arr_begin(&j);
    webota_json_arr_end(&j);
    webota_json_arr_end(&j);
    webota_json_key(&j, "b");
    webota_json_bool(&j, true);
    webota_json_key(&j, "c");
    webota_json_str(&j, NULL);
    webota_json_key(&j, "min");
    webota_json_int(&j, INT64_MIN);
    webota_json_obj_end(&j);
    size_t len = 0;
    assert_int_equal(webota_json_end(&j, &len), WEBOTA_OK);
    assert_string_equal(buf, "{\"a\":[1,-2,\"x\\\"y\\\\z\\n\\u0009\\u007f\",{\"k\":null},[]],"
                             "\"b\":true,\"c\":null,\"min\":-9223372036854775808}");
    assert_int_equal(len, strlen(buf));

    /* an array at the top, as `webota parttable dump --json` prints */
    webota_json_init(&j, buf, sizeof(buf));
    webota_json_arr_begin(&j);
    webota_json_obj_begin(&j);
    webota_json_key(&j, "label");
    webota_json_str(&j, "nvs");
    webota_json_obj_end(&j);
    webota_json_obj_begin(&j);
    webota_json_obj_end(&j);
    webota_json_arr_end(&j);
    assert_int_equal(webota_json_end(&j, NULL), WEBOTA_OK);
    assert_string_equal(buf, "[{\"label\":\"nvs\"},{}]");
}

static void test_fixed_point(void **state)
{
    (void)state;
    char buf[256];
    webota_json_t j;
    webota_json_init(&j, buf, sizeof(buf));
    webota_json_arr_begin(&j);
    webota_json_fixed(&j, 12345, 1);
    webota_json_fixed(&j, 0, 1);
    webota_json_fixed(&j, 7, 3);
    webota_json_fixed(&j, -5, 2);
    webota_json_fixed(&j, -1234, 2);
    webota_json_fixed(&j, 42, 0);
    webota_json_fixed(&j, INT64_MIN, 9);
    webota_json_arr_end(&j);
    assert_int_equal(webota_json_end(&j, NULL), WEBOTA_OK);
    assert_string_equal(buf, "[1234.5,0.0,0.007,-0.05,-12.34,42,-9223372036.854775808]");
    /* after a key too */
    webota_json_init(&j, buf, sizeof(buf));
    webota_json_obj_begin(&j);
    webota_json_key(&j, "ms");
    webota_json_fixed(&j, 15, 1);
    webota_json_key(&j, "n");
    webota_json_uint(&j, 3);
    webota_json_obj_end(&j);
    assert_int_equal(webota_json_end(&j, NULL), WEBOTA_OK);
    assert_string_equal(buf, "{\"ms\":1.5,\"n\":3}");
}

static void test_refuses_what_does_not_fit(void **state)
{
    (void)state;
    char buf[16];
    webota_json_t j;
    size_t len = 99;
    /* too long: every prefix length is refused, never cut */
    for (size_t cap = 1; cap <= 12; cap++) {
        webota_json_init(&j, buf, cap);
        webota_json_arr_begin(&j);
        webota_json_str(&j, "abcdefgh");
        webota_json_arr_end(&j);
        assert_int_equal(webota_json_end(&j, &len), WEBOTA_ERR_NO_SPACE);
        assert_int_equal(len, 0);
        assert_string_equal(buf, "");
    }
    webota_json_init(&j, buf, 13);
    webota_json_arr_begin(&j);
    webota_json_str(&j, "abcdefgh");
    webota_json_arr_end(&j);
    assert_int_equal(webota_json_end(&j, &len), WEBOTA_OK);
    assert_string_equal(buf, "[\"abcdefgh\"]");

    /* unbalanced */
    webota_json_init(&j, buf, sizeof(buf));
    webota_json_arr_begin(&j);
    assert_int_equal(webota_json_end(&j, NULL), WEBOTA_ERR_NO_SPACE);

    /* deeper than WEBOTA_JSON_DEPTH */
    char big[64];
    webota_json_init(&j, big, sizeof(big));
    for (int i = 0; i <= WEBOTA_JSON_DEPTH; i++) {
        webota_json_arr_begin(&j);
    }
    for (int i = 0; i <= WEBOTA_JSON_DEPTH; i++) {
        webota_json_arr_end(&j);
    }
    assert_int_equal(webota_json_end(&j, NULL), WEBOTA_ERR_NO_SPACE);
    webota_json_init(&j, big, sizeof(big));
    for (int i = 0; i < WEBOTA_JSON_DEPTH; i++) {
        webota_json_arr_begin(&j);
    }
    for (int i = 0; i < WEBOTA_JSON_DEPTH; i++) {
        webota_json_arr_end(&j);
    }
    assert_int_equal(webota_json_end(&j, NULL), WEBOTA_OK);
    assert_string_equal(big, "[[[[[[[[]]]]]]]]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objects_arrays_and_values),
        cmocka_unit_test(test_fixed_point),
        cmocka_unit_test(test_refuses_what_does_not_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
