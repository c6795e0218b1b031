/* The error list's columns as lookups (webota/err.h). A switch, not arrays
 * indexed by the code: the numbers are explicit, and a number used twice is a
 * duplicate case the compiler refuses. */
#include "webota/err.h"

const char *webota_strerror(webota_err_t err)
{
    switch (err) {
#define WEBOTA_X_MSG(id, num, http, name, msg) \
    case WEBOTA_ERR_##id:                      \
        return msg;
        WEBOTA_ERROR_LIST(WEBOTA_X_MSG)
#undef WEBOTA_X_MSG
    }
    return "unknown error";
}

const char *webota_err_name(webota_err_t err)
{
    switch (err) {
#define WEBOTA_X_NAME(id, num, http, name, msg) \
    case WEBOTA_ERR_##id:                       \
        return name;
        WEBOTA_ERROR_LIST(WEBOTA_X_NAME)
#undef WEBOTA_X_NAME
    }
    return "unknown";
}

int webota_err_http_status(webota_err_t err)
{
    switch (err) {
#define WEBOTA_X_HTTP(id, num, http, name, msg) \
    case WEBOTA_ERR_##id:                       \
        return http;
        WEBOTA_ERROR_LIST(WEBOTA_X_HTTP)
#undef WEBOTA_X_HTTP
    }
    return 500;
}
