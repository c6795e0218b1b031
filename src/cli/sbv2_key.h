/* Secure Boot V2 keys for the CLI and the simulator: PEM files read with
 * mbedTLS pk, the key bytes and digest as a signature block holds them,
 * signing (image sign) and key generation (keygen). Only the PC side signs:
 * the core verifies. Key material is never printed; buffers that held a
 * private key are wiped. */
#ifndef WEBOTA_CLI_SBV2_KEY_H
#define WEBOTA_CLI_SBV2_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mbedtls/pk.h>

#include "webota/sigblock.h"

typedef struct cli_sbv2_key {
    webota_sig_scheme_t scheme;
    bool has_private;
    mbedtls_pk_context pk;
    uint8_t block_key[WEBOTA_SIG_KEY_MAX_LEN]; /* the key as a block stores it */
    size_t block_key_len;
    webota_sig_key_t trusted; /* scheme and key digest */
} cli_sbv2_key_t;

/* Loads a PEM (or DER) RSA-3072, P-256 or P-384 key, private or public;
 * need_private refuses a public one. Prints the reason (never the key) as
 * "webota <cmd>: ..." and returns false on failure. */
bool cli_sbv2_key_load(const char *cmd, const char *path, bool need_private, cli_sbv2_key_t *k);
void cli_sbv2_key_free(cli_sbv2_key_t *k);

/* Signs data[0..len) (the image padded to 4096) into a 1216-byte block as
 * espsecure sign_data --version 2 lays it out. */
bool cli_sbv2_sign_block(const char *cmd, cli_sbv2_key_t *k, const uint8_t *data, size_t len,
                         uint8_t block[WEBOTA_SIG_BLOCK_LEN]);

/* Generates a key of the scheme and writes it as PEM to path (mode 0600,
 * refusing to overwrite), and its public half to pub_path when not NULL.
 * Fills *digest with the SBv2 key digest. */
bool cli_sbv2_keygen(const char *cmd, webota_sig_scheme_t scheme, const char *path, const char *pub_path,
                     webota_sig_key_t *digest);

/* "rsa3072" -> WEBOTA_SIG_SCHEME_RSA3072, ...; NONE for others (ecdsa192 too). */
webota_sig_scheme_t cli_sbv2_scheme(const char *name);

/* Lower-case hex. */
void cli_hex(FILE *f, const uint8_t *p, size_t n);

#endif
