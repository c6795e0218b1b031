/* sim_image_make_alloc: the same bytes as webota_image_make streamed, in one
 * buffer of exactly webota_image_make_length bytes; every refusal leaves
 * nothing allocated (the ASan build checks for leaks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "sim/image_buf.h"
#include "webota/crypto.h"
#include "webota/image.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

typedef struct {
    uint8_t *p;
    size_t n, cap;
} stream_t;

static webota_err_t to_stream(void *ctx, const void *data, size_t len)
{
    stream_t *s = ctx;
    if (s->n + len > s->cap) {
        return WEBOTA_ERR_NO_SPACE;
    }
    memcpy(s->p + s->n, data, len);
    s->n += len;
    return WEBOTA_OK;
}

static void opts(webota_image_make_opts_t *o, webota_chip_t chip, uint32_t size)
{
    webota_image_make_defaults(o, chip);
    o->project = "image-buf";
    o->version = "1.2.3";
    o->size = size;
    o->seed = 7;
}

static void test_same_bytes_as_streamed(void **state)
{
    (void)state;
    static const webota_chip_t chips[] = {WEBOTA_CHIP_ESP32, WEBOTA_CHIP_ESP32C3, WEBOTA_CHIP_ESP32S3};
    static const uint32_t sizes[] = {0, 1000, 0x10800, 192 * 1024};
    for (size_t c = 0; c < sizeof(chips) / sizeof(chips[0]); c++) {
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            webota_image_make_opts_t o;
            opts(&o, chips[c], sizes[s]);
            o.marker = (s & 1) != 0;
            uint8_t *img = (uint8_t *)1;
            size_t len = 1;
            assert_int_equal(sim_image_make_alloc(&o, &img, &len), WEBOTA_OK);
            assert_non_null(img);
            assert_int_equal(len, webota_image_make_length(&o));
            stream_t st = {malloc(len + 64), 0, len + 64};
            assert_int_equal(webota_image_make(&o, to_stream, &st), WEBOTA_OK);
            assert_int_equal(st.n, len);
            assert_memory_equal(st.p, img, len);
            /* and it is a valid image */
            webota_image_policy_t pol = {.check_chip = true, .chip = (int)chips[c]};
            webota_image_checker_t chk;
            assert_int_equal(webota_image_check_buffer(img, len, &pol, NULL, &chk), WEBOTA_OK);
            assert_int_equal(webota_image_status(&chk)->marker, o.marker);
            free(st.p);
            free(img);
        }
    }
}

static void test_refusals_allocate_nothing(void **state)
{
    (void)state;
    webota_image_make_opts_t o;
    opts(&o, WEBOTA_CHIP_ESP32, 4096);
    uint8_t *img = (uint8_t *)1;
    size_t len = 1;
    assert_int_equal(sim_image_make_alloc(NULL, &img, &len), WEBOTA_ERR_ARG);
    assert_null(img);
    assert_int_equal(len, 0);
    assert_int_equal(sim_image_make_alloc(&o, NULL, &len), WEBOTA_ERR_ARG);
    assert_int_equal(sim_image_make_alloc(&o, &img, NULL), WEBOTA_ERR_ARG);
    /* options that make no image: too large (length 0) */
    o.size = 16u * 1024u * 1024u;
    assert_int_equal(webota_image_make_length(&o), 0);
    img = (uint8_t *)1;
    len = 1;
    assert_int_equal(sim_image_make_alloc(&o, &img, &len), WEBOTA_ERR_ARG);
    assert_null(img);
    assert_int_equal(len, 0);
    /* a length, but the maker refuses (project too long): the buffer is freed */
    opts(&o, WEBOTA_CHIP_ESP32, 4096);
    o.project = "a-project-name-of-32-characters!";
    assert_int_equal(strlen(o.project), 32);
    assert_true(webota_image_make_length(&o) > 0);
    img = (uint8_t *)1;
    len = 1;
    assert_int_equal(sim_image_make_alloc(&o, &img, &len), WEBOTA_ERR_ARG);
    assert_null(img);
    assert_int_equal(len, 0);
}

/* Out of memory is NO_SPACE: in a child whose address space is capped just
 * above what it uses, a 3 MiB image cannot be allocated. (ASan reserves
 * terabytes of shadow memory, so it cannot run under such a cap.) */
static void test_out_of_memory(void **state)
{
    (void)state;
#ifdef UNDER_ASAN
    skip();
#else
    webota_image_make_opts_t o;
    opts(&o, WEBOTA_CHIP_ESP32, 3u * 1024u * 1024u);
    assert_true(webota_image_make_length(&o) >= 3u * 1024u * 1024u);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        long pages = 0, page = sysconf(_SC_PAGESIZE);
        FILE *f = fopen("/proc/self/statm", "r");
        if (f == NULL || fscanf(f, "%ld", &pages) != 1) {
            _exit(2);
        }
        fclose(f);
        struct rlimit rl = {(rlim_t)(pages * page) + 1024u * 1024u,
                            (rlim_t)(pages * page) + 1024u * 1024u};
        if (setrlimit(RLIMIT_AS, &rl) != 0) {
            _exit(3);
        }
        uint8_t *img = (uint8_t *)1;
        size_t len = 1;
        webota_err_t err = sim_image_make_alloc(&o, &img, &len);
        _exit(err == WEBOTA_ERR_NO_SPACE && img == NULL && len == 0 ? 0 : 4);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
#endif
}

static int setup(void **state)
{
    (void)state;
    return webota_crypto_init() == WEBOTA_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_streamed),
        cmocka_unit_test(test_refusals_allocate_nothing),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
