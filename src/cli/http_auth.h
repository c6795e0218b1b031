/* Logging in to a device from the CLI (`webota push`, `webota status`): the
 * device's challenge-response (docs/security.md), with the password from
 * --password-file or $WEBOTA_PASSWORD, never from argv. The key is derived
 * once per device salt; the password is wiped as soon as it is. */
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

/* Reads the password (file, else environment). false with a message. */
bool cli_auth_init(cli_auth_t *a, const char *cmd, const char *password_file);

/* When a password is known and the device wants one: asks base's GET
 * /api/auth for a challenge and appends "Authorization: WebOTA-HMAC ..." for
 * method + path[?query] to *headers. Without a password nothing is added.
 * false with a message when the device cannot be asked. */
bool cli_auth_header(cli_auth_t *a, const char *cmd, const char *base, const char *method,
                     const char *path, const char *query, struct curl_slist **headers);

/* After a 401/429 answer: says what to do (give a password, wrong password,
 * wait). */
void cli_auth_hint(const cli_auth_t *a, const char *cmd, long status);

void cli_auth_free(cli_auth_t *a);

#endif
