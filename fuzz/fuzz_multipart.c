/* libFuzzer target for the streaming multipart parser. Input: byte 0 = chunk
 * size (1..256), bytes 1.. = body with boundary "fuzzB". The same body is
 * parsed in one piece and in chunks: the callbacks must see the same content
 * and the same verdict (chunking must never change the result). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webota/multipart.h"

typedef struct {
    uint8_t out[70000];
    size_t len;
    unsigned begins, ends;
} sink_t;

static void put(sink_t *s, const void *d, size_t n)
{
    if (s->len + n > sizeof(s->out)) {
        abort(); /* content can never exceed the input */
    }
    memcpy(s->out + s->len, d, n);
    s->len += n;
}

static webota_err_t on_begin(void *ctx, const char *name, const char *filename, bool has_filename)
{
    sink_t *s = ctx;
    s->begins++;
    put(s, name, strlen(name));
    put(s, has_filename ? "|F|" : "|-|", 3);
    put(s, filename, strlen(filename));
    return WEBOTA_OK;
}

static webota_err_t on_data(void *ctx, const void *data, size_t len)
{
    if (len == 0) {
        abort();
    }
    put(ctx, data, len);
    return WEBOTA_OK;
}

static webota_err_t on_end(void *ctx)
{
    sink_t *s = ctx;
    s->ends++;
    put(s, ";", 1);
    return WEBOTA_OK;
}

static sink_t one, many;

static webota_err_t run(sink_t *s, const uint8_t *body, size_t len, size_t step)
{
    memset(s, 0, sizeof(*s));
    webota_mp_callbacks_t cb = {s, on_begin, on_data, on_end};
    webota_mp_t mp;
    if (webota_mp_init(&mp, "fuzzB", &cb) != WEBOTA_OK) {
        abort();
    }
    webota_err_t err = WEBOTA_OK;
    for (size_t off = 0; off < len && err == WEBOTA_OK; off += step) {
        size_t n = len - off < step ? len - off : step;
        err = webota_mp_feed(&mp, body + off, n);
    }
    if (err == WEBOTA_OK) {
        err = webota_mp_finish(&mp);
    }
    if (s->ends > s->begins || s->begins > webota_mp_parts(&mp)) {
        abort();
    }
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) {
        return 0;
    }
    size_t step = (size_t)data[0] + 1;
    webota_err_t a = run(&one, data + 1, size - 1, size);
    webota_err_t b = run(&many, data + 1, size - 1, step);
    if (a != b) {
        abort();
    }
    /* on success both saw everything; on error the chunked run may stop earlier */
    if (a == WEBOTA_OK && (one.len != many.len || memcmp(one.out, many.out, one.len) != 0)) {
        abort();
    }
    return 0;
}
