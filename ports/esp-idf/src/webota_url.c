/* URL prefix handling (see webota_url.h). */
#include "webota_url.h"

#include <string.h>

bool webota_url_prefix_ok(const char *prefix)
{
    size_t n = prefix != NULL ? strlen(prefix) : 0;
    return n == 0 || (prefix[0] == '/' && prefix[n - 1] != '/' && n <= WEBOTA_URL_PREFIX_MAX);
}

webota_url_where_t webota_url_split(char *uri, const char *prefix, const char **path,
                                    const char **query)
{
    char *q = strchr(uri, '?');
    if (q != NULL) {
        *q++ = '\0';
    }
    *query = q;
    *path = NULL;
    size_t n = prefix != NULL ? strlen(prefix) : 0;
    if (strncmp(uri, prefix != NULL ? prefix : "", n) != 0) {
        return WEBOTA_URL_OUTSIDE;
    }
    if (uri[n] == '\0') {
        /* "" under an empty prefix cannot come from a parsed request line */
        return n > 0 ? WEBOTA_URL_SLASH : WEBOTA_URL_OUTSIDE;
    }
    if (uri[n] != '/') {
        return WEBOTA_URL_OUTSIDE; /* "/otafoo" is not under "/ota" */
    }
    *path = uri + n;
    return WEBOTA_URL_API;
}
