/* `webota push` with compression against the real simulator on 127.0.0.1 (a
 * free port): by default the image is gzip-compressed because the device's
 * status says it takes gzip, and installs; --no-compress sends it plain; a
 * .gz file is sent as it is; damaged .gz files are refused with their code
 * and the device keeps running its firmware; the demo image without the
 * updater installs compressed with --force. */
#include <stdlib.h>
#include <string.h>

#include "gz_util.h"
#include "sim_proc.h"

static int sim_start(void **state)
{
    (void)state;
    return sim_start_args(NULL);
}

/* `webota status --json` once the device is back (bounded: 15 s). */
static char *status_when_back(void)
{
    for (int i = 0; i < 150; i++) {
        char *out = NULL;
        if (run(&out, NULL, "status --json %s", url) == 0 && strstr(out, "\"rebooting\":false") &&
            strstr(out, "\"state\":\"receiving\"") == NULL) {
            return out;
        }
        free(out);
        sleep_ms(100);
    }
    fail_msg("the device did not come back within 15 s");
    return NULL;
}

static void test_push_compresses_by_default(void **state)
{
    (void)state;
    find_demo_images();
    char *out = NULL, *err = NULL;
    size_t plain = 0;
    free(tu_read_file(good, &plain));
    assert_int_equal(run(&out, &err, "push --json %s '%s'", url, good), 0);
    assert_contains(err, "webota push: compressed ");
    assert_contains(out, "\"ok\":true");
    assert_contains(out, "\"compressed_size\":");
    unsigned long long size = 0, packed = 0;
    const char *s = strstr(out, "\"size\":"), *c = strstr(out, "\"compressed_size\":");
    assert_int_equal(sscanf(s, "\"size\":%llu", &size), 1);
    assert_int_equal(sscanf(c, "\"compressed_size\":%llu", &packed), 1);
    assert_int_equal(size, plain);
    assert_true(packed < plain);
    free(out);
    free(err);
    out = status_when_back();
    assert_contains(out, "\"version\":\"1.1.0\"");
    assert_contains(out, "\"gzip\":true");
    /* the simulator reports the flash work of the update (timing model) */
    char want[80];
    snprintf(want, sizeof(want), "\"last_update\":{\"bytes\":%zu,\"flash_ms\":", plain);
    assert_contains(out, want);
    unsigned long long ms = 0, erases = 0, erased = 0;
    assert_int_equal(sscanf(strstr(out, "\"flash_ms\":"), "\"flash_ms\":%llu,\"erases\":%llu,\"bytes_erased\":%llu",
                            &ms, &erases, &erased), 3);
    assert_true(erases > 0 && ms > 0 && erased >= plain); /* the whole image's sectors were erased */
    free(out);
    char logpath[700];
    snprintf(logpath, sizeof(logpath), "%s/sim.log", dir);
    size_t ln = 0;
    char *log = (char *)tu_read_file(logpath, &ln);
    assert_non_null(log);
    log = realloc(log, ln + 1);
    log[ln] = 0;
    snprintf(want, sizeof(want), "webota sim: update of %zu bytes: ", plain);
    assert_contains(log, want);
    assert_contains(log, "a real chip's flash would be busy ");
    free(log);
}

static void test_push_no_compress_and_gz_files(void **state)
{
    (void)state;
    find_demo_images();
    size_t n = 0;
    uint8_t *img = tu_read_file(good, &n);
    assert_non_null(img);
    /* the same image again, plain: it goes into the other slot */
    char *out = NULL, *err = NULL;
    assert_int_equal(run(&out, &err, "push --no-compress --json %s '%s'", url, good), 0);
    assert_true(strstr(err, "compressed") == NULL);
    assert_true(strstr(out, "compressed_size") == NULL);
    free(out);
    free(err);
    free(status_when_back());
    /* a .gz made by zlib: sent as it is */
    size_t gl;
    uint8_t *gz = gz_make(img, n, &gl);
    char gzpath[700];
    snprintf(gzpath, sizeof(gzpath), "%s/app.bin.gz", dir);
    tu_write_file(gzpath, gz, gl);
    assert_int_equal(run(&out, &err, "push --json %s '%s'", url, gzpath), 0);
    char want[64];
    snprintf(want, sizeof(want), "\"compressed_size\":%zu", gl);
    assert_contains(out, want);
    free(out);
    free(err);
    char *before = status_when_back();
    /* damaged: bad CRC, cut short, a bomb of zeros after the image. push finds
     * it before sending (the device's own gzip parser, over zlib), and the
     * device refuses the same bytes with the same code when they are sent */
    size_t big = 8u << 20, bl;
    uint8_t *bomb = calloc(1, big);
    memcpy(bomb, img, n);
    uint8_t *bz = gz_make(bomb, big, &bl);
    static const struct {
        const char *code;
        int status;
    } bad[] = {{"bad_gzip_crc", 422}, {"gzip_truncated", 422}, {"gzip_too_big", 413}};
    for (int i = 0; i < 3; i++) {
        if (i == 0) {
            gz[gl - 7] ^= 0x20;
            tu_write_file(gzpath, gz, gl);
            gz[gl - 7] ^= 0x20;
        } else if (i == 1) {
            tu_write_file(gzpath, gz, gl / 2);
        } else {
            tu_write_file(gzpath, bz, bl);
        }
        assert_int_equal(run(&out, &err, "push %s '%s'", url, gzpath), 1);
        char code[80];
        snprintf(code, sizeof(code), "error: %s: ", bad[i].code);
        assert_contains(err, code);
        assert_contains(err, "nothing was sent");
        free(out);
        free(err);
        char *ans = NULL;
        assert_int_equal(tu_runf(&ans, "curl -s -w ' HTTP %%{http_code}' -H 'Content-Type: application/octet-stream' "
                                       "-H 'Content-Encoding: gzip' --data-binary @'%s' %s/api/update",
                                 gzpath, url),
                         0);
        snprintf(code, sizeof(code), "{\"error\":\"%s\",", bad[i].code);
        assert_contains(ans, code);
        snprintf(code, sizeof(code), " HTTP %d", bad[i].status);
        assert_contains(ans, code);
        free(ans);
    }
    /* nothing of it changed what runs */
    char *after = status_when_back();
    char *rb = strstr(before, "\"running\""), *ra = strstr(after, "\"running\"");
    assert_non_null(rb);
    assert_non_null(ra);
    assert_int_equal(strncmp(rb, ra, 120), 0);
    free(before);
    free(after);
    free(bz);
    free(bomb);
    free(gz);
    free(img);
}

/* The other demo image, the one without the updater, compressed by default
 * and installed with --force (every demo image installs compressed). */
static void test_push_forced_no_updater_compressed(void **state)
{
    (void)state;
    find_demo_images();
    char *out = NULL, *err = NULL;
    assert_int_equal(run(&out, &err, "push --json --no-wait %s '%s'", url, nomarker), 1);
    assert_contains(err, "--force"); /* refused locally, the fix named, nothing sent */
    free(out);
    free(err);
    assert_int_equal(run(&out, &err, "push --json --no-wait --force %s '%s'", url, nomarker), 0);
    assert_contains(err, "webota push: compressed ");
    assert_contains(out, "\"ok\":true");
    assert_contains(out, "\"compressed_size\":");
    assert_contains(out, "\"version\":\"1.2.0\"");
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_compresses_by_default),
        cmocka_unit_test(test_push_no_compress_and_gz_files),
        cmocka_unit_test(test_push_forced_no_updater_compressed),
    };
    return cmocka_run_group_tests(tests, sim_start, sim_stop);
}
