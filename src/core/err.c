#include "webota/err.h"

static const char *const err_names[] = {
#define WEBOTA_X_NAME(id, name, msg) name,
    WEBOTA_ERROR_LIST(WEBOTA_X_NAME)
#undef WEBOTA_X_NAME
};

static const char *const err_messages[] = {
#define WEBOTA_X_MSG(id, name, msg) msg,
    WEBOTA_ERROR_LIST(WEBOTA_X_MSG)
#undef WEBOTA_X_MSG
};

const char *webota_strerror(webota_err_t err)
{
    if ((unsigned)err >= (unsigned)WEBOTA_ERR__COUNT) {
        return "unknown error";
    }
    return err_messages[err];
}

const char *webota_err_name(webota_err_t err)
{
    if ((unsigned)err >= (unsigned)WEBOTA_ERR__COUNT) {
        return "unknown";
    }
    return err_names[err];
}
