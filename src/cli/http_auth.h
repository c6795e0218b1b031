/* Logging in to a device from the CLI (every command that talks to one, via
 * cli/device.c): the device's challenge-response (docs/security.md), with the
 * password from --password-file or $WEBOTA_PASSWORD, never from argv. The key
 * is derived once per device salt; the password is wiped as soon as it is. */
#ifndef WEBOTA_CLI_HTTP_AUTH_H
#define WEBOTA_CLI_HTTP_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "cli/secret.h"

typedef struct cli_auth {
    bool have_password;
    char password[CLI_PASSWORD_MAX];
    bool derived;
    webota_auth_verifier_t key; /* salt, iterations, key: from the device's challenge */
} cli_auth_t;

/* When a password is known and the device wants one: asks base's GET
 * /api/auth for a challenge and appends "Authorization: WebOTA-HMAC ..." for
 * method + path[?query] to *headers. Without a password nothing is added.
 * false with a message when the device cannot be asked. */
bool cli_auth_header(cli_auth_t *a, const char *cmd, const char *base, const char *method,
                     const char *path, const char *query, struct curl_slist **headers);

void cli_auth_free(cli_auth_t *a);

#endif
