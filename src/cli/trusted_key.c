/* --trusted-key FILE (webota sim, webota fleet sim): a public or private
 * Secure Boot V2 key (PEM/DER, rsa3072, ecdsa256, ecdsa384) reduced to what a
 * device keeps: its scheme and key digest. */
#include "cli/cli.h"
#include "cli/sbv2_key.h"

bool cli_trusted_key(const char *cmd, const char *path, webota_sig_key_t *out)
{
    cli_sbv2_key_t k;
    if (!cli_sbv2_key_load(cmd, path, false, &k)) {
        return false;
    }
    *out = k.trusted;
    cli_sbv2_key_free(&k);
    return true;
}
