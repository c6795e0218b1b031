/* `webota image sign|verify` and `webota keygen`: Secure Boot V2 signatures
 * as `espsecure sign_data --version 2` writes them, checked by the same
 * streaming verifier the device runs. Keys are named by file path only and
 * never printed; what is shown of a key is its SBv2 digest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/image_sign.h"
#include "cli/sbv2_key.h"
#include "webota/image.h"
#include "webota/sigblock.h"

#define MAX_KEYS 8

static const char sign_usage[] =
    "usage: webota image sign --key KEY.pem [--key KEY2.pem ...] [--append] IN -o OUT\n"
    "Signs an app image with Secure Boot V2 signature blocks (up to 3), as\n"
    "`espsecure sign_data --version 2` does: the image is padded with 0xFF to a\n"
    "multiple of 4096 bytes and a 4096-byte signature sector follows. Keys:\n"
    "RSA-3072 (PSS), ECDSA P-256 or P-384, unencrypted PEM. --append keeps the\n"
    "blocks of an already signed IN and adds the new ones. Exit 0 signed, 1 when\n"
    "IN is not a valid image or cannot be signed, 2 for usage errors.\n";
static const char verify_usage[] =
    "usage: webota image verify --key KEY.pem [--key KEY2.pem ...] [--blocks N] FILE\n"
    "Verifies the Secure Boot V2 signature of a signed app image as a device that\n"
    "trusts exactly the given keys (public or private PEM) does. --blocks 1 examines\n"
    "only the first block (ESP32). Exit 0 verified; 1 with 'error: CODE: REASON'\n"
    "(unsigned, bad_signature_sector, untrusted_key, bad_signature, or an image\n"
    "error); 2 for usage errors.\n";
static const char keygen_usage[] =
    "usage: webota keygen --scheme rsa3072|ecdsa256|ecdsa384 -o KEY.pem [--pub PUB.pem]\n"
    "Generates a Secure Boot V2 signing key (PEM, file mode 0600, never\n"
    "overwritten) and, with --pub, its public key. Prints the key's SBv2 digest\n"
    "(the value ESP-IDF burns into eFuse), never the key.\n";

static void usage_sign(FILE *f)
{
    fputs(sign_usage, f);
}

static void usage_verify(FILE *f)
{
    fputs(verify_usage, f);
}

static void usage_keygen(FILE *f)
{
    fputs(keygen_usage, f);
}

static void print_block_line(FILE *f, const webota_sig_result_t *r, int i)
{
    const webota_sig_block_t *b = &r->block_info[i];
    fprintf(f, "block %d: %s", i, webota_sig_block_state_text((webota_sig_block_state_t)b->state));
    if (b->scheme != WEBOTA_SIG_SCHEME_NONE) {
        fprintf(f, ", %s key ", webota_sig_scheme_name((webota_sig_scheme_t)b->scheme));
        cli_hex(f, b->key_digest, 32);
    }
}

static int load_keys(const char *cmd, const char **paths, size_t n, bool need_private, cli_sbv2_key_t *keys)
{
    for (size_t i = 0; i < n; i++) {
        if (!cli_sbv2_key_load(cmd, paths[i], need_private, &keys[i])) {
            for (size_t j = 0; j < i; j++) {
                cli_sbv2_key_free(&keys[j]);
            }
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

static void free_keys(cli_sbv2_key_t *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cli_sbv2_key_free(&keys[i]);
    }
}

/* Option parsing shared by sign and verify: --key (repeatable), -o, --append, --blocks. */
typedef struct {
    const char *keys[MAX_KEYS];
    size_t nkeys;
    const char *out;
    const char *in;
    bool append;
    unsigned blocks;
} opts_t;

static int parse(const char *cmd, int argc, char **argv, opts_t *o, bool sign, void (*usage)(FILE *))
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--key") == 0 && v) {
            if (o->nkeys == MAX_KEYS) {
                cli_error(cmd, "at most %d keys", MAX_KEYS);
                return CLI_USAGE;
            }
            o->keys[o->nkeys++] = v;
            i++;
        } else if (sign && (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && v) {
            o->out = v;
            i++;
        } else if (sign && strcmp(a, "--append") == 0) {
            o->append = true;
        } else if (!sign && strcmp(a, "--blocks") == 0 && v) {
            if (strcmp(v, "1") != 0 && strcmp(v, "2") != 0 && strcmp(v, "3") != 0) {
                cli_error(cmd, "--blocks takes 1, 2 or 3");
                return CLI_USAGE;
            }
            o->blocks = (unsigned)(v[0] - '0');
            i++;
        } else {
            int rc = cli_other_arg(cmd, a, &o->in, 1, usage);
            if (rc >= 0) {
                return rc;
            }
        }
    }
    if (o->nkeys == 0 || o->in == NULL || (sign && o->out == NULL)) {
        usage(stderr);
        return CLI_USAGE;
    }
    return -1;
}

int cmd_image_sign(int argc, char **argv)
{
    const char *cmd = "image sign";
    opts_t o;
    int rc = parse(cmd, argc, argv, &o, true, usage_sign);
    if (rc >= 0) {
        return rc;
    }
    if (o.nkeys > WEBOTA_SIG_BLOCKS) {
        cli_error(cmd, "a signature sector holds at most %u blocks", WEBOTA_SIG_BLOCKS);
        return CLI_USAGE;
    }
    size_t len;
    uint8_t *in = cli_read_file(o.in, &len);
    if (in == NULL) {
        return CLI_USAGE;
    }
    cli_sbv2_key_t keys[WEBOTA_SIG_BLOCKS];
    if (load_keys(cmd, o.keys, o.nkeys, true, keys) != CLI_OK) {
        free(in);
        return CLI_USAGE;
    }
    cli_signed_t out;
    rc = CLI_INVALID;
    if (cli_image_sign(cmd, o.in, in, len, keys, o.nkeys, o.append, &out)) {
        if (cli_write_file(o.out, out.data, out.len)) {
            cli_image_sign_print(stdout, o.out, &out, keys, o.nkeys);
            rc = CLI_OK;
        }
        free(out.data);
    }
    free_keys(keys, o.nkeys);
    free(in);
    return rc;
}

int cmd_image_verify(int argc, char **argv)
{
    const char *cmd = "image verify";
    opts_t o;
    int rc = parse(cmd, argc, argv, &o, false, usage_verify);
    if (rc >= 0) {
        return rc;
    }
    cli_sbv2_key_t keys[MAX_KEYS];
    webota_sig_key_t trusted[MAX_KEYS];
    if (load_keys(cmd, o.keys, o.nkeys, false, keys) != CLI_OK) {
        return CLI_USAGE;
    }
    for (size_t i = 0; i < o.nkeys; i++) {
        trusted[i] = keys[i].trusted;
    }
    size_t len;
    uint8_t *d = cli_read_file(o.in, &len);
    if (d == NULL) {
        free_keys(keys, o.nkeys);
        return CLI_USAGE;
    }
    static webota_image_checker_t c;
    static webota_sig_verifier_t v;
    webota_sig_config_t cfg = {.keys = trusted, .key_count = o.nkeys, .max_blocks = (uint8_t)o.blocks};
    webota_err_t err = cli_image_check_signed(d, len, &cfg, &c, &v);
    free(d);
    const webota_sig_result_t *r = webota_sig_result(&v);
    const webota_image_status_t *st = webota_image_status(&c);
    if (err == WEBOTA_OK) {
        printf("%s: signature verified: block %d, %s key ", o.in, r->block,
               webota_sig_scheme_name((webota_sig_scheme_t)r->block_info[r->block].scheme));
        cli_hex(stdout, trusted[r->key].digest, 32);
        printf(" (%s)\n", o.keys[r->key]);
        rc = CLI_OK;
    } else if (st->err != WEBOTA_OK) {
        fprintf(stderr, "error: %s: %s at offset %u\n", webota_err_name(st->err), webota_strerror(st->err),
                (unsigned)st->err_offset);
        rc = CLI_INVALID;
    } else {
        fprintf(stderr, "error: %s: %s at offset %u", webota_err_name(err), webota_strerror(err),
                (unsigned)r->err_offset);
        if (r->block >= 0) {
            fputs(" (", stderr);
            print_block_line(stderr, r, r->block);
            fputs(")", stderr);
        }
        fputc('\n', stderr);
        rc = CLI_INVALID;
    }
    free_keys(keys, o.nkeys);
    return rc;
}

int cmd_keygen(int argc, char **argv)
{
    const char *cmd = "keygen";
    const char *scheme_name = NULL, *out = NULL, *pub = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--scheme") == 0 && v) {
            scheme_name = v, i++;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && v) {
            out = v, i++;
        } else if (strcmp(a, "--pub") == 0 && v) {
            pub = v, i++;
        } else {
            const char *none = NULL;
            int rc = cli_other_arg(cmd, a, &none, 0, usage_keygen);
            if (rc >= 0) {
                return rc;
            }
        }
    }
    if (scheme_name == NULL || out == NULL) {
        usage_keygen(stderr);
        return CLI_USAGE;
    }
    webota_sig_scheme_t scheme = cli_sbv2_scheme(scheme_name);
    if (scheme == WEBOTA_SIG_SCHEME_NONE) {
        cli_error(cmd, "unknown scheme '%s' (rsa3072, ecdsa256 or ecdsa384)", scheme_name);
        return CLI_USAGE;
    }
    if (webota_crypto_init() != WEBOTA_OK) {
        cli_error(cmd, "crypto library failed to start");
        return CLI_INVALID;
    }
    webota_sig_key_t digest;
    if (!cli_sbv2_keygen(cmd, scheme, out, pub, &digest)) {
        return CLI_INVALID;
    }
    printf("%s: %s private key written", out, scheme_name);
    if (pub != NULL) {
        printf(", public key in %s", pub);
    }
    printf("\nkey digest (SBv2, as burned into eFuse): ");
    cli_hex(stdout, digest.digest, 32);
    putchar('\n');
    return CLI_OK;
}
