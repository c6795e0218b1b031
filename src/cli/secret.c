#include "cli/secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "webota/crypto.h"

void cli_secret_wipe(void *p, size_t n)
{
    volatile unsigned char *b = p;
    while (n-- > 0) {
        *b++ = 0;
    }
}

static bool take_line(const char *cmd, const char *from, const char *s, size_t n,
                      char out[CLI_PASSWORD_MAX])
{
    const char *nl = memchr(s, '\n', n);
    if (nl != NULL) {
        n = (size_t)(nl - s);
    }
    if (n > 0 && s[n - 1] == '\r') {
        n--;
    }
    if (n >= CLI_PASSWORD_MAX) {
        cli_error(cmd, "the password in %s is longer than %d bytes", from, CLI_PASSWORD_MAX - 1);
        return false;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

bool cli_secret_read(const char *cmd, const char *file, char out[CLI_PASSWORD_MAX], bool *found)
{
    *found = false;
    out[0] = '\0';
    if (file != NULL) {
        FILE *f = fopen(file, "rb");
        if (f == NULL) {
            cli_error(cmd, "cannot read the password file %s: %s", file, strerror(errno));
            return false;
        }
        char buf[CLI_PASSWORD_MAX + 2];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        bool ok = take_line(cmd, file, buf, n, out);
        cli_secret_wipe(buf, sizeof(buf));
        if (ok && out[0] == '\0') {
            cli_error(cmd, "the password file %s is empty", file);
            return false;
        }
        *found = ok;
        return ok;
    }
    char *env = getenv(CLI_PASSWORD_ENV);
    if (env == NULL || env[0] == '\0') {
        return true;
    }
    size_t n = strlen(env);
    bool ok = take_line(cmd, "$" CLI_PASSWORD_ENV, env, n, out);
    cli_secret_wipe(env, n); /* in place: /proc/PID/environ shows zeros from now on */
    *found = ok;
    return ok;
}

bool cli_secret_verifier(const char *cmd, const char *secret, webota_auth_verifier_t *v)
{
    if (strncmp(secret, "pbkdf2-sha256$", 14) == 0) {
        if (webota_auth_verifier_parse(secret, v) != WEBOTA_OK) {
            cli_error(cmd, "malformed password verifier (want pbkdf2-sha256$ITERATIONS$SALT$KEY "
                           "as `webota passwd` prints it)");
            return false;
        }
        return true;
    }
    uint8_t salt[WEBOTA_AUTH_SALT_LEN];
    webota_err_t e = webota_random(salt, sizeof(salt));
    if (e == WEBOTA_OK) {
        e = webota_auth_verifier_make(secret, strlen(secret), salt, WEBOTA_AUTH_ITERATIONS, v);
    }
    if (e != WEBOTA_OK) {
        cli_error(cmd, "cannot derive the password verifier: %s", webota_strerror(e));
        return false;
    }
    return true;
}
