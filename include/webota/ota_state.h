/* OTA image states as stored in otadata (esp_ota_img_states_t values). */
#ifndef WEBOTA_OTA_STATE_H
#define WEBOTA_OTA_STATE_H

#include <stdint.h>

#define WEBOTA_OTA_STATE_NEW 0x0u
#define WEBOTA_OTA_STATE_PENDING_VERIFY 0x1u
#define WEBOTA_OTA_STATE_VALID 0x2u
#define WEBOTA_OTA_STATE_INVALID 0x3u
#define WEBOTA_OTA_STATE_ABORTED 0x4u
#define WEBOTA_OTA_STATE_UNDEFINED 0xFFFFFFFFu

/* Lowercase API name of a state ("pending_verify"); "unknown" for others. */
static inline const char *webota_ota_state_name(uint32_t state)
{
    switch (state) {
    case WEBOTA_OTA_STATE_NEW:
        return "new";
    case WEBOTA_OTA_STATE_PENDING_VERIFY:
        return "pending_verify";
    case WEBOTA_OTA_STATE_VALID:
        return "valid";
    case WEBOTA_OTA_STATE_INVALID:
        return "invalid";
    case WEBOTA_OTA_STATE_ABORTED:
        return "aborted";
    case WEBOTA_OTA_STATE_UNDEFINED:
        return "undefined";
    default:
        return "unknown";
    }
}

#endif
