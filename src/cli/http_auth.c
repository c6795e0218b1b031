#include "cli/http_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/http_client.h"
#include "cli/json_get.h"

static bool unhex(const char *s, uint8_t *out, size_t n)
{
    if (strlen(s) != 2 * n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            return false;
        }
        out[i] = (uint8_t)v;
    }
    return true;
}

bool cli_auth_header(cli_auth_t *a, const char *cmd, const char *base, const char *method,
                     const char *path, const char *query, struct curl_slist **headers)
{
    if (!a->have_password && !a->derived) {
        return true;
    }
    char *url = cli_http_url(cmd, base, "/api/auth", NULL);
    if (url == NULL) {
        return false;
    }
    cli_http_answer_t ans;
    CURL *curl = cli_http_open(url, &ans);
    bool ok = false;
    if (curl == NULL) {
        cli_error(cmd, "cannot start libcurl");
        free(url);
        return false;
    }
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(curl);
    bool required = false;
    char nonce[2 * WEBOTA_AUTH_NONCE_LEN + 1], salt_hex[2 * WEBOTA_AUTH_SALT_LEN + 1];
    unsigned long long iterations = 0;
    uint8_t salt[WEBOTA_AUTH_SALT_LEN];
    if (!cli_http_answered(curl, rc, &ans)) {
        cli_http_report_failure(cmd, url, rc, &ans);
    } else if (ans.status == 404) {
        ok = true; /* an older device without logins: ask without */
    } else if (ans.status != 200 || !cli_json_valid(ans.body, ans.len) ||
               !cli_json_bool(ans.body, ans.len, "required", &required)) {
        cli_error(cmd, "%s did not answer with a login challenge (HTTP %ld)", url, ans.status);
    } else if (!required) {
        ok = true;
    } else if (!cli_json_text(ans.body, ans.len, "nonce", nonce, sizeof(nonce)) ||
               !cli_json_text(ans.body, ans.len, "salt", salt_hex, sizeof(salt_hex)) ||
               !cli_json_uint(ans.body, ans.len, "iterations", &iterations) ||
               !unhex(salt_hex, salt, sizeof(salt)) || iterations == 0 ||
               iterations > WEBOTA_AUTH_ITERATIONS_MAX) {
        cli_error(cmd, "%s: malformed login challenge", url);
    } else {
        ok = true;
        if (!a->derived || memcmp(a->key.salt, salt, sizeof(salt)) != 0 ||
            a->key.iterations != iterations) {
            if (!a->have_password) {
                cli_error(cmd, "the device asks for its password again: give it with "
                               "--password-file FILE or $" CLI_PASSWORD_ENV);
                ok = false;
            } else if (webota_auth_verifier_make(a->password, strlen(a->password), salt,
                                                 (uint32_t)iterations, &a->key) != WEBOTA_OK) {
                cli_error(cmd, "cannot derive the login key");
                ok = false;
            } else {
                a->derived = true;
                cli_secret_wipe(a->password, sizeof(a->password)); /* the key is enough */
                a->have_password = false;
            }
        }
        char mac[2 * WEBOTA_AUTH_KEY_LEN + 1], line[200];
        if (ok && webota_auth_mac(a->key.key, nonce, method, path, query, mac) != WEBOTA_OK) {
            cli_error(cmd, "cannot compute the login answer");
            ok = false;
        }
        if (ok) {
            snprintf(line, sizeof(line), "Authorization: WebOTA-HMAC nonce=\"%s\", mac=\"%s\"",
                     nonce, mac);
            struct curl_slist *grown = curl_slist_append(*headers, line);
            if (grown == NULL) {
                cli_error(cmd, "out of memory");
                ok = false;
            } else {
                *headers = grown;
            }
        }
    }
    curl_easy_cleanup(curl);
    cli_http_answer_free(&ans);
    free(url);
    return ok;
}

void cli_auth_free(cli_auth_t *a)
{
    cli_secret_wipe(a, sizeof(*a));
}
