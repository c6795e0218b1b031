/* Signing app images on the PC (`webota image sign`, `webota release
 * publish`): the Secure Boot V2 layout `espsecure sign_data --version 2`
 * writes, checked afterwards by the streaming verifier a device runs. */
#ifndef WEBOTA_CLI_IMAGE_SIGN_H
#define WEBOTA_CLI_IMAGE_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/sbv2_key.h"
#include "webota/image.h"
#include "webota/sigblock.h"

/* Runs the image checker and the signature verifier over d[0..n) in 4 KiB
 * chunks, as a device receives them; cfg = the keys the device trusts (none:
 * blocks are parsed but nothing verifies). The image's error first, then
 * the signature's. c and v hold the findings afterwards. */
webota_err_t cli_image_check_signed(const uint8_t *d, size_t n, const webota_sig_config_t *cfg,
                                    webota_image_checker_t *c, webota_sig_verifier_t *v);

/* What a device that trusts exactly key says of d[0..n): OK when a block by
 * key verifies; SIG_UNSIGNED when no signature sector follows the image;
 * SIG_UNTRUSTED, SIG_MISMATCH, SIG_MALFORMED, or the image's own error.
 * *sector: where the signature sector starts (the image padded to 4096). */
webota_err_t cli_image_signed_by(const uint8_t *d, size_t n, const webota_sig_key_t *key, uint32_t *sector);

typedef struct cli_signed {
    uint8_t *data;     /* malloc'd: the image, 0xFF padding, the signature sector */
    size_t len;
    uint32_t image_len; /* the app image proper */
    uint32_t sector;    /* offset of the signature sector */
    unsigned kept;      /* blocks kept from an already signed input (append) */
    unsigned blocks;    /* blocks in the sector */
} cli_signed_t;

/* Signs the app image in[0..len) with keys[0..nkeys) (1..3 private keys):
 * pads it with 0xFF to a multiple of 4096 and appends a 4096-byte sector
 * with one block per key, after the usable blocks of an already signed in
 * when append (without append a signed in is refused). The result must
 * pass the device's verifier with each key. name: the input as the user
 * knows it, for messages ("webota <cmd>: ..."). out->data is freed with
 * free(). */
bool cli_image_sign(const char *cmd, const char *name, const uint8_t *in, size_t len, cli_sbv2_key_t *keys,
                    size_t nkeys, bool append, cli_signed_t *out);

/* "OUT: signed N bytes (image 0x.. bytes, signature sector at 0x..), K block(s)"
 * and a line per new block with its key's scheme and digest. */
void cli_image_sign_print(FILE *f, const char *out_name, const cli_signed_t *s, const cli_sbv2_key_t *keys,
                          size_t nkeys);

#endif
