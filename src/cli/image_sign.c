/* Signing app images on the PC (see cli/image_sign.h). */
#include "cli/image_sign.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

webota_err_t cli_image_check_signed(const uint8_t *d, size_t n, const webota_sig_config_t *cfg,
                                    webota_image_checker_t *c, webota_sig_verifier_t *v)
{
    webota_image_init(c, NULL, NULL);
    webota_err_t err = webota_sig_init(v, cfg, c);
    if (err != WEBOTA_OK) {
        webota_image_abort(c);
        return err;
    }
    for (size_t off = 0; off < n; off += 4096) {
        size_t k = n - off < 4096 ? n - off : 4096;
        webota_image_feed(c, d + off, k);
        webota_sig_feed(v, d + off, k);
    }
    err = webota_image_finish(c);
    webota_err_t serr = webota_sig_finish(v);
    return err != WEBOTA_OK ? err : serr;
}

/* The checker and verifier are large; the CLI runs one check at a time. */
static webota_image_checker_t s_checker;
static webota_sig_verifier_t s_verifier;

webota_err_t cli_image_signed_by(const uint8_t *d, size_t n, const webota_sig_key_t *key, uint32_t *sector)
{
    webota_sig_config_t cfg = {.keys = key, .key_count = 1};
    webota_err_t err = cli_image_check_signed(d, n, &cfg, &s_checker, &s_verifier);
    if (sector != NULL) {
        *sector = webota_sig_result(&s_verifier)->sector;
    }
    return err;
}

bool cli_image_sign(const char *cmd, const char *name, const uint8_t *in, size_t len, cli_sbv2_key_t *keys,
                    size_t nkeys, bool append, cli_signed_t *out)
{
    memset(out, 0, sizeof(*out));
    webota_sig_config_t none = {.all_digests = false};
    webota_err_t err = cli_image_check_signed(in, len, &none, &s_checker, &s_verifier);
    const webota_image_status_t *st = webota_image_status(&s_checker);
    if (st->err != WEBOTA_OK) {
        cli_error(cmd, "%s is not a valid app image: %s: %s at offset %u", name, webota_err_name(st->err),
                  webota_strerror(st->err), (unsigned)st->err_offset);
        return false;
    }
    const webota_sig_result_t *res = webota_sig_result(&s_verifier);
    uint32_t sector = res->sector;
    unsigned kept = 0;
    uint8_t old[WEBOTA_SIG_BLOCKS * WEBOTA_SIG_BLOCK_LEN];
    if (len > sector) {
        /* already signed: keep its usable blocks only with append */
        if (err == WEBOTA_ERR_SIG_MALFORMED || err == WEBOTA_ERR_SIG_UNSIGNED) {
            cli_error(cmd, "%s has %zu bytes after the image that are not a signature sector (sign the image as built)",
                      name, len - sector);
            return false;
        }
        if (!append) {
            cli_error(cmd, "%s is signed already (%u block(s)); --append adds a signature", name,
                      (unsigned)res->blocks);
            return false;
        }
        for (unsigned i = 0; i < WEBOTA_SIG_BLOCKS; i++) {
            if (res->block_info[i].scheme != WEBOTA_SIG_SCHEME_NONE) {
                memcpy(old + kept * WEBOTA_SIG_BLOCK_LEN, in + sector + i * WEBOTA_SIG_BLOCK_LEN,
                       WEBOTA_SIG_BLOCK_LEN);
                kept++;
            }
        }
        if (kept + nkeys > WEBOTA_SIG_BLOCKS) {
            cli_error(cmd, "%s has %u block(s): no room for %zu more", name, kept, nkeys);
            return false;
        }
    }
    out->image_len = st->length;
    out->sector = sector;
    out->kept = kept;
    out->blocks = kept + (unsigned)nkeys;
    out->len = (size_t)sector + WEBOTA_SIG_SECTOR_LEN;
    out->data = malloc(out->len);
    if (out->data == NULL) {
        cli_error(cmd, "out of memory");
        return false;
    }
    uint8_t *o = out->data;
    memset(o, 0xFF, out->len);
    memcpy(o, in, len < sector ? len : sector);
    memcpy(o + sector, old, kept * WEBOTA_SIG_BLOCK_LEN);
    bool ok = true;
    for (size_t i = 0; ok && i < nkeys; i++) {
        ok = cli_sbv2_sign_block(cmd, &keys[i], o, sector, o + sector + (kept + i) * WEBOTA_SIG_BLOCK_LEN);
    }
    /* the result must pass the device's verifier with each key used */
    for (size_t i = 0; ok && i < nkeys; i++) {
        err = cli_image_signed_by(o, out->len, &keys[i].trusted, NULL);
        if (err != WEBOTA_OK) {
            cli_error(cmd, "the signed image does not verify: %s", webota_err_name(err));
            ok = false;
        }
    }
    if (!ok) {
        free(out->data);
        memset(out, 0, sizeof(*out));
    }
    return ok;
}

void cli_image_sign_print(FILE *f, const char *out_name, const cli_signed_t *s, const cli_sbv2_key_t *keys,
                          size_t nkeys)
{
    fprintf(f, "%s: signed %u bytes (image 0x%x bytes, signature sector at 0x%x), %u block(s)\n", out_name,
            (unsigned)s->sector, (unsigned)s->image_len, (unsigned)s->sector, s->blocks);
    for (size_t i = 0; i < nkeys; i++) {
        fprintf(f, "  block %u: %s key ", s->kept + (unsigned)i, webota_sig_scheme_name(keys[i].scheme));
        cli_hex(f, keys[i].trusted.digest, 32);
        fputc('\n', f);
    }
}
