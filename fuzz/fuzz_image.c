/* The streaming image checker on arbitrary streams: fed at once, at once
 * without an info record, and in pseudo-random chunks (derived from the
 * input), verdict, status and every recorded field must agree; nothing may
 * read outside the chunks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "webota/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static webota_err_t refuse_odd(void *ctx, const webota_app_desc_t *d)
{
    (void)ctx;
    return (d->secure_version & 1) ? WEBOTA_ERR_UPD_SECURE_VERSION : WEBOTA_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static webota_image_checker_t one, split, bare;
    static webota_image_info_t one_info, split_info;
    if (webota_crypto_init() != WEBOTA_OK) {
        abort();
    }
    uint32_t seed = (uint32_t)size * 2654435761u;
    for (size_t i = 0; i < size && i < 64; i++) {
        seed = seed * 31u + data[i];
    }
    webota_image_policy_t pol = {
        .check_chip = (seed & 1) == 0,
        .chip = (int)(seed >> 1) % WEBOTA_CHIP__COUNT,
        .check_chip_rev = (seed & 2) == 0,
        .chip_rev = (int)((seed >> 3) % 400),
        .check_efuse_blk_rev = (seed & 4) == 0,
        .efuse_blk_rev = 0,
        .max_size = (seed & 8) ? 0 : (uint32_t)size - (uint32_t)(size / 4),
        .on_desc = (seed & 16) ? refuse_odd : NULL,
    };
    webota_err_t e1 = webota_image_check_buffer(data, size, &pol, &one_info, &one);
    /* without an info record: the same verdict and status */
    webota_err_t e0 = webota_image_check_buffer(data, size, &pol, NULL, &bare);
    if (e0 != e1 || memcmp(webota_image_status(&bare), webota_image_status(&one), sizeof(webota_image_status_t)) != 0) {
        abort();
    }

    webota_image_init(&split, &pol, &split_info);
    size_t off = 0;
    while (off < size) {
        seed = seed * 1103515245u + 12345u;
        size_t k = 1 + (seed >> 16) % ((seed & 0x100) ? 7 : 600);
        if (k > size - off) {
            k = size - off;
        }
        /* a private copy of each chunk so that ASan catches reads outside it */
        uint8_t *chunk = malloc(k);
        memcpy(chunk, data + off, k);
        webota_image_feed(&split, chunk, k);
        free(chunk);
        off += k;
    }
    webota_err_t e2 = webota_image_finish(&split);
    const webota_image_status_t *st = webota_image_status(&one);
    if (e1 != e2 || memcmp(st, webota_image_status(&split), sizeof(*st)) != 0 ||
        memcmp(&one_info, &split_info, sizeof(one_info)) != 0) {
        abort();
    }
    if (e1 == WEBOTA_OK && (!st->complete || st->length > size)) {
        abort();
    }
    return 0;
}
