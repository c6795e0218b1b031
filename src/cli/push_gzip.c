/* `webota push` compression: zlib's deflate with a gzip wrapper (Debian's
 * zlib1g), the image read and compressed whole (an app image is at most a
 * few MiB). */
#include "cli/push_gzip.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cli/http_client.h"
#include "cli/json_get.h"

bool cli_file_is_gzip(FILE *f)
{
    unsigned char m[2] = {0, 0};
    size_t n = fread(m, 1, 2, f);
    rewind(f);
    return n == 2 && m[0] == 0x1F && m[1] == 0x8B;
}

bool cli_device_takes_gzip(const char *base)
{
    char *url = cli_http_url("push", base, "/api/status", NULL);
    if (url == NULL) {
        return false;
    }
    cli_http_answer_t ans;
    bool gz = false;
    CURL *curl = cli_http_open(url, &ans);
    if (curl != NULL) {
        CURLcode rc = curl_easy_perform(curl);
        if (cli_http_answered(curl, rc, &ans) && ans.status == 200 &&
            !cli_json_bool(ans.body, ans.len, "gzip", &gz)) {
            gz = false; /* an older device: send the image plain */
        }
        curl_easy_cleanup(curl);
    }
    cli_http_answer_free(&ans);
    free(url);
    return gz;
}

bool cli_gzip_file(FILE *f, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        return false;
    }
    size_t cap = 1u << 16, len = 0;
    uint8_t *buf = malloc(cap);
    unsigned char in[1u << 16];
    bool ok = buf != NULL;
    int flush = Z_NO_FLUSH;
    while (ok && flush != Z_FINISH) {
        size_t n = fread(in, 1, sizeof(in), f);
        if (ferror(f)) {
            ok = false;
            break;
        }
        flush = n < sizeof(in) ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = in;
        zs.avail_in = (uInt)n;
        int rc;
        do {
            if (cap - len < 4096) {
                uint8_t *p = realloc(buf, cap * 2);
                if (p == NULL) {
                    ok = false;
                    break;
                }
                buf = p;
                cap *= 2;
            }
            zs.next_out = buf + len;
            zs.avail_out = (uInt)(cap - len);
            rc = deflate(&zs, flush);
            len = cap - zs.avail_out;
        } while (ok && (zs.avail_in > 0 || (flush == Z_FINISH && rc != Z_STREAM_END)));
    }
    deflateEnd(&zs);
    rewind(f);
    if (!ok) {
        free(buf);
        return false;
    }
    *out = buf;
    *out_len = len;
    return true;
}
