/* Who may use the API: the password (HTTP Basic) and the same-origin rule for
 * state-changing requests, so that another web page cannot post to the
 * device from a user's browser. */
#include <string.h>

#include "api_internal.h"

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

/* "Basic base64(user:password)" with the configured password (any user). The
 * comparison takes the same time wherever the first difference is. */
bool webota_api_auth_ok(const webota_api_t *api, const char *authz)
{
    const char *pw = api->cfg.password;
    if (pw == NULL || pw[0] == '\0') {
        return true;
    }
    if (authz == NULL) {
        return false;
    }
    while (ascii_is_ws(*authz)) {
        authz++;
    }
    if (strlen(authz) < 6 || !ascii_eq_ci_n(authz, "basic ", 6)) {
        return false;
    }
    authz += 6;
    while (ascii_is_ws(*authz)) {
        authz++;
    }
    unsigned char dec[192];
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (; *authz != '\0' && *authz != '=' && !ascii_is_ws(*authz); authz++) {
        int v = b64_value(*authz);
        if (v < 0) {
            return false;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= sizeof(dec)) {
                return false;
            }
            dec[n++] = (unsigned char)(acc >> bits);
        }
    }
    const unsigned char *colon = memchr(dec, ':', n);
    if (colon == NULL) {
        return false;
    }
    size_t off = (size_t)(colon - dec) + 1;
    size_t got = n - off;
    size_t want = strlen(pw);
    unsigned diff = (unsigned)(got != want);
    for (size_t i = 0; i < want; i++) {
        unsigned char g = i < got ? dec[off + i] : 0;
        diff |= (unsigned)(g ^ (unsigned char)pw[i]);
    }
    return diff == 0;
}

/* Same-origin rule for state-changing requests: no Origin (curl, older
 * browsers' same-origin posts) passes; otherwise its host[:port] must be the
 * Host header. */
bool webota_api_origin_ok(const webota_api_request_t *req)
{
    const char *o = req->origin;
    if (o == NULL) {
        return true;
    }
    if (req->host == NULL || req->host[0] == '\0') {
        return false;
    }
    if (strlen(o) > 7 && ascii_eq_ci_n(o, "http://", 7)) {
        o += 7;
    } else if (strlen(o) > 8 && ascii_eq_ci_n(o, "https://", 8)) {
        o += 8;
    } else {
        return false; /* "null" and other schemes */
    }
    size_t olen = strlen(o);
    if (olen > 0 && o[olen - 1] == '/') {
        olen--;
    }
    return olen == strlen(req->host) && ascii_eq_ci_n(o, req->host, olen);
}
