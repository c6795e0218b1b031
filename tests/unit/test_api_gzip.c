/* Compressed uploads through the transport-free API on a real slot writer
 * (RAM NOR flash, two-ota layout, factory firmware): a gzip image installs
 * through POST /api/update (Content-Encoding: gzip) and the form (a .gz
 * file), and every damaged stream is refused with its own code, the flash
 * outside the target slot untouched. */
#include "api_fixture.h"
#include "gz_util.h"
#include "testutil.h"
#include "sim/inflate_zlib.h"

static sim_inflate_zlib_t zl;

static void api_fx_configure(dev_t_ *d, webota_api_config_t *ac)
{
    ac->inflate = d->no_inflate ? NULL : sim_inflate_zlib_init(&zl);
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
