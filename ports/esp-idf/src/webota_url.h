/* Where a request URI goes under the component's URL prefix (menuconfig
 * WEBOTA_URL_PREFIX, e.g. "/ota"). Pure string work, so that it is tested on
 * the PC; webota_esp_http.c applies it to every request. */
#ifndef WEBOTA_URL_H
#define WEBOTA_URL_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEBOTA_URL_PREFIX_MAX 39u /* bytes, without the NUL */

typedef enum {
    WEBOTA_URL_API,     /* under the prefix: *path is the API's path ("/", "/api/status") */
    WEBOTA_URL_SLASH,   /* exactly the prefix ("/ota"): redirect to "/ota/" so that the
                         * page's relative links resolve under the prefix */
    WEBOTA_URL_OUTSIDE, /* not under the prefix ("/", "/otafoo", "/other") */
} webota_url_where_t;

/* A prefix is "" (serve at /) or starts with '/', does not end with '/' and
 * has at most WEBOTA_URL_PREFIX_MAX bytes. */
bool webota_url_prefix_ok(const char *prefix);

/* Splits uri in place at '?' (*query = what follows it, NULL when there is
 * none) and places the path relative to prefix (a valid prefix). *path is
 * set for WEBOTA_URL_API only. */
webota_url_where_t webota_url_split(char *uri, const char *prefix, const char **path,
                                    const char **query);

#ifdef __cplusplus
}
#endif

#endif
