/* The Host allow-list: the defence against DNS rebinding. A web page of
 * evil.example whose name the attacker re-points at the device's address is
 * same-origin with itself, so the browser lets it post to the device with
 * "Origin: http://evil.example" and "Host: evil.example" (the Origin check
 * alone passes: they match). Only the Host tells: a request for a name the
 * device does not answer to is refused, whatever its method. */
#include <string.h>

#include "api_internal.h"

#define HOST_MAX 253 /* a DNS name */

static bool same_ci(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && ascii_eq_ci_n(a, b, alen);
}

/* The host part of a Host header value: "[::1]:8080" -> "[::1]",
 * "name.:80" -> "name" (a trailing dot is the same name). false when it is
 * malformed (empty, bad port). */
static bool host_part(const char *h, size_t *len)
{
    size_t n = strlen(h);
    while (n > 0 && ascii_is_ws(h[n - 1])) {
        n--;
    }
    size_t end = n;
    if (n > 0 && h[0] == '[') {
        const char *close = memchr(h, ']', n);
        if (close == NULL) {
            return false;
        }
        end = (size_t)(close - h) + 1;
    } else {
        const char *colon = memchr(h, ':', n);
        if (colon != NULL) {
            end = (size_t)(colon - h);
        }
    }
    if (end < n) { /* a port: ":" and 1..5 digits */
        if (h[end] != ':' || n - end < 2 || n - end > 6) {
            return false;
        }
        for (size_t i = end + 1; i < n; i++) {
            if (h[i] < '0' || h[i] > '9') {
                return false;
            }
        }
    }
    if (end > 1 && h[end - 1] == '.') {
        end--;
    }
    *len = end;
    return end > 0 && end <= HOST_MAX;
}

bool webota_api_host_ok(const webota_api_t *api, const char *host)
{
    if (host == NULL) {
        /* HTTP/1.0 tools send none; a browser always does, so a request
         * without Host cannot come from a rebinding page */
        return true;
    }
    size_t n = 0;
    if (!host_part(host, &n)) {
        return false;
    }
    static const char *const local[] = {"localhost", "127.0.0.1", "[::1]"};
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
        if (same_ci(host, n, local[i])) {
            return true;
        }
    }
    for (size_t i = 0; i < api->cfg.hosts_count; i++) {
        const char *name = api->cfg.hosts != NULL ? api->cfg.hosts[i] : NULL;
        if (name != NULL && same_ci(host, n, name)) {
            return true;
        }
    }
    if (api->cfg.host_ok != NULL) {
        char lc[HOST_MAX + 1];
        for (size_t i = 0; i < n; i++) {
            lc[i] = ascii_lower(host[i]);
        }
        lc[n] = '\0';
        return api->cfg.host_ok(api->cfg.ctx, lc);
    }
    return false;
}
