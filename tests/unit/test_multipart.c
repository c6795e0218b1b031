/* Streaming multipart/form-data parser: every split position, preamble and
 * epilogue, several parts, malformed bodies, limits, boundary extraction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webota/multipart.h"

/* What the callbacks saw, as text: "[name|filename|F]content;" per part. */
typedef struct {
    char log[8192];
    size_t len;
    int begins, ends;
    webota_err_t fail_begin; /* returned by part_begin when not OK */
    webota_err_t fail_data;
} rec_t;

static void rec_put(rec_t *r, const char *s, size_t n)
{
    assert_true(r->len + n < sizeof(r->log));
    memcpy(r->log + r->len, s, n);
    r->len += n;
    r->log[r->len] = '\0';
}

static webota_err_t on_begin(void *ctx, const char *name, const char *filename, bool has_filename)
{
    rec_t *r = ctx;
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "[%s|%s|%c]", name, filename, has_filename ? 'F' : '-');
    rec_put(r, tmp, strlen(tmp));
    r->begins++;
    return r->fail_begin;
}

static webota_err_t on_data(void *ctx, const void *data, size_t len)
{
    rec_t *r = ctx;
    assert_true(len > 0);
    rec_put(r, data, len);
    return r->fail_data;
}

static webota_err_t on_end(void *ctx)
{
    rec_t *r = ctx;
    rec_put(r, ";", 1);
    r->ends++;
    return WEBOTA_OK;
}

static webota_mp_callbacks_t cbs(rec_t *r)
{
    webota_mp_callbacks_t cb = {.ctx = r, .part_begin = on_begin, .part_data = on_data,
                                .part_end = on_end};
    return cb;
}

/* Parses body fed in pieces of `step` bytes (0 = one piece); returns the
 * finish result, r gets the log. */
static webota_err_t parse(const char *boundary, const char *body, size_t len, size_t step, rec_t *r)
{
    memset(r, 0, sizeof(*r));
    webota_mp_t mp;
    webota_mp_callbacks_t cb = cbs(r);
    webota_err_t err = webota_mp_init(&mp, boundary, &cb);
    if (err != WEBOTA_OK) {
        return err;
    }
    if (step == 0) {
        step = len ? len : 1;
    }
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        err = webota_mp_feed(&mp, body + off, n);
        if (err != WEBOTA_OK) {
            assert_int_equal(webota_mp_feed(&mp, "x", 1), err); /* sticky */
            assert_int_equal(webota_mp_finish(&mp), err);
            return err;
        }
    }
    return webota_mp_finish(&mp);
}

/* Feeds the body split in two at position `cut`. */
static webota_err_t parse_split(const char *boundary, const char *body, size_t len, size_t cut,
                                rec_t *r)
{
    memset(r, 0, sizeof(*r));
    webota_mp_t mp;
    webota_mp_callbacks_t cb = cbs(r);
    assert_int_equal(webota_mp_init(&mp, boundary, &cb), WEBOTA_OK);
    webota_err_t err = webota_mp_feed(&mp, body, cut);
    if (err == WEBOTA_OK) {
        err = webota_mp_feed(&mp, body + cut, len - cut);
    }
    if (err == WEBOTA_OK) {
        err = webota_mp_finish(&mp);
    }
    return err;
}

#define CURL_BOUNDARY "------------------------d74496d66958873e"
#define CURL_BODY                                                                          \
    "--" CURL_BOUNDARY "\r\n"                                                               \
    "Content-Disposition: form-data; name=\"file\"; filename=\"fw.bin\"\r\n"               \
    "Content-Type: application/octet-stream\r\n"                                           \
    "\r\n"                                                                                 \
    "\xE9\x03\x02\r\n--\r\n-------------------------d74496d66958873\r\nend"           \
    "\r\n--" CURL_BOUNDARY "--\r\n"
#define CURL_EXPECT                                                                        \
    "[file|fw.bin|F]\xE9\x03\x02\r\n--\r\n-------------------------d74496d66958873\r\nend;"

static void test_simple_every_split(void **state)
{
    (void)state;
    const char *body = CURL_BODY;
    size_t len = strlen(body);
    rec_t r;
    for (size_t step = 0; step <= 9; step++) {
        assert_int_equal(parse(CURL_BOUNDARY, body, len, step, &r), WEBOTA_OK);
        assert_string_equal(r.log, CURL_EXPECT);
    }
    for (size_t cut = 0; cut <= len; cut++) {
        assert_int_equal(parse_split(CURL_BOUNDARY, body, len, cut, &r), WEBOTA_OK);
        assert_string_equal(r.log, CURL_EXPECT);
        assert_int_equal(r.begins, 1);
        assert_int_equal(r.ends, 1);
    }
}

static void test_preamble_epilogue_multiple_parts(void **state)
{
    (void)state;
    const char *body = "This is the preamble. --XyZ is not a delimiter\r\n"
                       "--XyZ  \t\r\n" /* transport padding */
                       "content-disposition: form-data; name=force\r\n"
                       "\r\n"
                       "1\r\n"
                       "--XyZ\r\n"
                       "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"q\\\".bin\"\r\n"
                       "\r\n"
                       "\r\r\n\r\n-\r\n--XY\r\n-XyZZ --XyZ"
                       "\r\n--XyZ\r\n"
                       "\r\n" /* a part without headers */
                       "empty headers\r\n"
                       "--XyZ--this is the epilogue\r\n--XyZ\r\nignored";
    const char *expect = "[force||-]1;[file|a \"q\".bin|F]\r\r\n\r\n-\r\n--XY\r\n-XyZZ --XyZ;[||-]empty headers;";
    size_t len = strlen(body);
    rec_t r;
    for (size_t cut = 0; cut <= len; cut++) {
        assert_int_equal(parse_split("XyZ", body, len, cut, &r), WEBOTA_OK);
        assert_string_equal(r.log, expect);
    }
    for (size_t step = 1; step <= 7; step++) {
        assert_int_equal(parse("XyZ", body, len, step, &r), WEBOTA_OK);
        assert_string_equal(r.log, expect);
    }
}

static void test_binary_content_all_bytes(void **state)
{
    (void)state;
    /* every byte value, and content full of near-delimiters */
    static char body[4096];
    char content[1024];
    size_t n = 0;
    for (int i = 0; i < 256; i++) {
        content[n++] = (char)i;
    }
    const char *near = "\r\n--bnd\r\n-bnd\r\r\n--bn\r\n--b";
    for (int k = 0; k < 10; k++) {
        memcpy(content + n, near, strlen(near));
        n += strlen(near);
    }
    size_t len = 0;
    const char *head = "--bnd+\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n";
    memcpy(body, head, strlen(head));
    len += strlen(head);
    memcpy(body + len, content, n);
    len += n;
    memcpy(body + len, "\r\n--bnd+--", 10);
    len += 10;
    rec_t r;
    for (size_t cut = 0; cut <= len; cut += 3) {
        assert_int_equal(parse_split("bnd+", body, len, cut, &r), WEBOTA_OK);
        assert_int_equal(r.len, strlen("[f||F]") + n + 1);
        assert_memory_equal(r.log, "[f||F]", 6);
        assert_memory_equal(r.log + 6, content, n);
    }
    assert_int_equal(parse("bnd+", body, len, 1, &r), WEBOTA_OK);
    assert_memory_equal(r.log + 6, content, n);
}

static void test_missing_close_and_malformed(void **state)
{
    (void)state;
    rec_t r;
    static const char *bad[] = {
        "--b\r\n\r\ndata",                     /* no closing delimiter */
        "no delimiter at all",                 /* nothing */
        "",                                    /* empty body */
        "--b\r\n\r\ndata\r\n--b",              /* ends after a delimiter */
        "--b\r\n\r\ndata\r\n--b-",             /* half a close */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse("b", bad[i], strlen(bad[i]), 0, &r), WEBOTA_ERR_MP_SYNTAX);
    }
    static const char *syntax[] = {
        "--bX\r\n\r\n--b--",                               /* garbage after the delimiter */
        "--b\rX\r\n--b--",                                 /* CR without LF after delimiter */
        "--b\r\nContent-Disposition: form-data\rX\r\n\r\n", /* bare CR in a header */
        "--b\r\nContent-Disposition: attachment; name=x\r\n\r\n\r\n--b--", /* not form-data */
        "--b\r\n\r\nx\r\n--b-x",                           /* '-' then not '-' */
        "--b  -\r\n",                                      /* padding then '-' */
        "--b\r\n\r\nx\r\n--bb\r\n--b--",                   /* boundary in content */
    };
    for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++) {
        webota_err_t err = parse("b", syntax[i], strlen(syntax[i]), 0, &r);
        assert_int_equal(err, WEBOTA_ERR_MP_SYNTAX);
        for (size_t step = 1; step < 4; step++) {
            assert_int_equal(parse("b", syntax[i], strlen(syntax[i]), step, &r), WEBOTA_ERR_MP_SYNTAX);
        }
    }
}

static void test_long_headers(void **state)
{
    (void)state;
    static char body[8192];
    rec_t r;
    /* a filename longer than the kept one is truncated, the line still fits */
    char fname[600];
    memset(fname, 'n', sizeof(fname) - 1);
    fname[sizeof(fname) - 1] = '\0';
    snprintf(body, sizeof(body),
             "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n\r\nX\r\n--b--",
             fname);
    assert_int_equal(parse("b", body, strlen(body), 5, &r), WEBOTA_OK);
    char expect[WEBOTA_MP_FILENAME_MAX + 32];
    snprintf(expect, sizeof(expect), "[file|%.*s|F]X;", WEBOTA_MP_FILENAME_MAX - 1, fname);
    assert_string_equal(r.log, expect);

    /* a header line of exactly WEBOTA_MP_LINE_MAX bytes is accepted, one more is not */
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = 0;
        n += (size_t)sprintf(body + n, "--b\r\nX-Long: ");
        size_t line = strlen("X-Long: ");
        while (line < (size_t)WEBOTA_MP_LINE_MAX + (size_t)extra) {
            body[n++] = 'a';
            line++;
        }
        n += (size_t)sprintf(body + n, "\r\n\r\nX\r\n--b--");
        assert_int_equal(parse("b", body, n, 7, &r), extra ? WEBOTA_ERR_MP_SYNTAX : WEBOTA_OK);
    }
    /* too many header lines */
    for (int count = WEBOTA_MP_HEADERS_MAX; count <= WEBOTA_MP_HEADERS_MAX + 1; count++) {
        size_t n = (size_t)sprintf(body, "--b\r\n");
        for (int i = 0; i < count; i++) {
            n += (size_t)sprintf(body + n, "X-H%d: v\r\n", i);
        }
        n += (size_t)sprintf(body + n, "\r\nX\r\n--b--");
        assert_int_equal(parse("b", body, n, 0, &r),
                         count > WEBOTA_MP_HEADERS_MAX ? WEBOTA_ERR_MP_SYNTAX : WEBOTA_OK);
    }
}

static void test_callback_errors_stop(void **state)
{
    (void)state;
    const char *body = CURL_BODY;
    rec_t r;
    memset(&r, 0, sizeof(r));
    r.fail_begin = WEBOTA_ERR_IMG_MAGIC;
    webota_mp_t mp;
    webota_mp_callbacks_t cb = cbs(&r);
    assert_int_equal(webota_mp_init(&mp, CURL_BOUNDARY, &cb), WEBOTA_OK);
    assert_int_equal(webota_mp_feed(&mp, body, strlen(body)), WEBOTA_ERR_IMG_MAGIC);
    assert_int_equal(webota_mp_finish(&mp), WEBOTA_ERR_IMG_MAGIC);
    assert_false(webota_mp_done(&mp));

    memset(&r, 0, sizeof(r));
    r.fail_data = WEBOTA_ERR_IMG_TOO_BIG;
    assert_int_equal(webota_mp_init(&mp, CURL_BOUNDARY, &cb), WEBOTA_OK);
    assert_int_equal(webota_mp_feed(&mp, body, strlen(body)), WEBOTA_ERR_IMG_TOO_BIG);
    assert_int_equal(r.ends, 0);
}

static void test_done_and_parts(void **state)
{
    (void)state;
    rec_t r;
    memset(&r, 0, sizeof(r));
    webota_mp_t mp;
    webota_mp_callbacks_t cb = cbs(&r);
    const char *body = "--q\r\n\r\na\r\n--q\r\n\r\nb\r\n--q--";
    assert_int_equal(webota_mp_init(&mp, "q", &cb), WEBOTA_OK);
    assert_int_equal(webota_mp_feed(&mp, body, strlen(body) - 1), WEBOTA_OK);
    assert_false(webota_mp_done(&mp));
    assert_int_equal(webota_mp_feed(&mp, body + strlen(body) - 1, 1), WEBOTA_OK);
    assert_true(webota_mp_done(&mp));
    assert_int_equal(webota_mp_parts(&mp), 2);
    assert_int_equal(webota_mp_feed(&mp, "more epilogue", 13), WEBOTA_OK);
    assert_int_equal(webota_mp_finish(&mp), WEBOTA_OK);
    assert_int_equal(webota_mp_feed(NULL, "x", 1), WEBOTA_ERR_ARG);
    assert_int_equal(webota_mp_feed(&mp, NULL, 1), WEBOTA_ERR_ARG);
    assert_int_equal(webota_mp_finish(NULL), WEBOTA_ERR_ARG);
    assert_false(webota_mp_done(NULL));
    assert_int_equal(webota_mp_parts(NULL), 0);
}

static void test_boundary_param(void **state)
{
    (void)state;
    char b[80];
    assert_int_equal(webota_mp_boundary("multipart/form-data; boundary=abc", b, sizeof(b)), WEBOTA_OK);
    assert_string_equal(b, "abc");
    assert_int_equal(webota_mp_boundary("  Multipart/Form-Data;charset=utf-8;BOUNDARY=\"a b:c\"", b,
                                        sizeof(b)),
                     WEBOTA_OK);
    assert_string_equal(b, "a b:c");
    assert_int_equal(webota_mp_boundary("multipart/form-data; boundary=" CURL_BOUNDARY, b, sizeof(b)),
                     WEBOTA_OK);
    assert_string_equal(b, CURL_BOUNDARY);
    char max[WEBOTA_MP_BOUNDARY_MAX + 64];
    strcpy(max, "multipart/form-data; boundary=");
    size_t n = strlen(max);
    memset(max + n, 'z', WEBOTA_MP_BOUNDARY_MAX);
    max[n + WEBOTA_MP_BOUNDARY_MAX] = '\0';
    assert_int_equal(webota_mp_boundary(max, b, sizeof(b)), WEBOTA_OK);
    assert_int_equal(webota_mp_boundary(max, b, WEBOTA_MP_BOUNDARY_MAX), WEBOTA_ERR_MP_SYNTAX);
    strcat(max, "z");
    assert_int_equal(webota_mp_boundary(max, b, sizeof(b)), WEBOTA_ERR_MP_SYNTAX);

    assert_int_equal(webota_mp_boundary("application/octet-stream", b, sizeof(b)),
                     WEBOTA_ERR_HTTP_MEDIA_TYPE);
    assert_int_equal(webota_mp_boundary("multipart/form-datax; boundary=a", b, sizeof(b)),
                     WEBOTA_ERR_HTTP_MEDIA_TYPE);
    assert_int_equal(webota_mp_boundary(NULL, b, sizeof(b)), WEBOTA_ERR_HTTP_MEDIA_TYPE);
    assert_int_equal(webota_mp_boundary("multipart/form-data", b, sizeof(b)), WEBOTA_ERR_MP_SYNTAX);
    assert_int_equal(webota_mp_boundary("multipart/form-data; boundary=", b, sizeof(b)),
                     WEBOTA_ERR_MP_SYNTAX);
    assert_int_equal(webota_mp_boundary("multipart/form-data; boundary=\"a\rb\"", b, sizeof(b)),
                     WEBOTA_ERR_MP_SYNTAX);
    assert_int_equal(webota_mp_boundary("multipart/form-data; boundary=\"ab \"", b, sizeof(b)),
                     WEBOTA_ERR_MP_SYNTAX);
    assert_int_equal(webota_mp_boundary("multipart/form-data; name=boundary", b, sizeof(b)),
                     WEBOTA_ERR_MP_SYNTAX);

    webota_mp_t mp;
    rec_t r;
    webota_mp_callbacks_t cb = cbs(&r);
    assert_int_equal(webota_mp_init(&mp, "", &cb), WEBOTA_ERR_MP_SYNTAX);
    assert_int_equal(webota_mp_feed(&mp, "x", 1), WEBOTA_ERR_MP_SYNTAX);
    assert_int_equal(webota_mp_init(&mp, "a\r\n", &cb), WEBOTA_ERR_MP_SYNTAX);
    assert_int_equal(webota_mp_init(NULL, "a", &cb), WEBOTA_ERR_ARG);
    assert_int_equal(webota_mp_init(&mp, "a", NULL), WEBOTA_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_every_split),
        cmocka_unit_test(test_preamble_epilogue_multiple_parts),
        cmocka_unit_test(test_binary_content_all_bytes),
        cmocka_unit_test(test_missing_close_and_malformed),
        cmocka_unit_test(test_long_headers),
        cmocka_unit_test(test_callback_errors_stop),
        cmocka_unit_test(test_done_and_parts),
        cmocka_unit_test(test_boundary_param),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
