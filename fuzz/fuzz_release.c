/* The release manifest parser (webota/release.h) on arbitrary bytes: never
 * reads outside them; whatever it accepts, the writer writes and the parser
 * reads back identically; version order is antisymmetric. The same bytes as
 * a pull record (webota/pull.h: decoded ones encode back identically) and
 * as a manifest with a detached signature (never accepted: no key signed). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webota/pull.h"
#include "webota/release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *j = malloc(size ? size : 1); /* exact size: ASan catches any overread */
    if (j == NULL) {
        return 0;
    }
    memcpy(j, data, size);
    webota_release_t r, back;
    webota_release_error_t e;
    if (webota_release_parse(j, size, &r, &e) == WEBOTA_OK) {
        char buf[WEBOTA_RELEASE_MANIFEST_MAX * 2];
        size_t n = 0;
        if (webota_release_write(&r, buf, sizeof(buf), &n) != WEBOTA_OK ||
            webota_release_parse(buf, n, &back, NULL) != WEBOTA_OK ||
            memcmp(&r, &back, sizeof(r)) != 0) {
            abort();
        }
        bool ok1, ok2;
        int c1 = webota_version_cmp(r.version, r.project, &ok1);
        int c2 = webota_version_cmp(r.project, r.version, &ok2);
        if (ok1 != ok2 || c1 != -c2) {
            abort();
        }
        char url[WEBOTA_RELEASE_URL_MAX];
        (void)webota_release_image_url("http://h/fw/m.json", r.image, url, sizeof(url));
    } else if (e.offset > size || e.message[0] == '\0') {
        abort();
    }
    webota_pull_record_t rec;
    if (webota_pull_record_decode(data, size, &rec) == WEBOTA_OK) {
        uint8_t again[WEBOTA_PULL_RECORD_LEN];
        if (webota_pull_record_encode(&rec, again) != WEBOTA_OK || memcmp(again, data, size) != 0) {
            abort();
        }
    }
    static const webota_sig_key_t key = {WEBOTA_SIG_SCHEME_ECDSA256, {1, 2, 3}};
    static const webota_sig_config_t trust = {&key, 1, 0, false};
    size_t half = size / 2;
    if (webota_release_verify(j, half, j + half, size - half, &trust) == WEBOTA_OK) {
        abort();
    }
    free(j);
    return 0;
}
